"""A fake of the national marking system's code check (Честный ЗНАК ``codes/check``)
and of a store's local module, over real HTTP, so demos and tests run offline.

A plain ASGI app (like ``sync.receiver``), mounted by the OMS simulator under
``/marking``:

* ``POST /marking/api/v4/true-api/codes/check``: the national system;
  ``POST /marking/local/api/v4/true-api/codes/check``: the local module, same shape.
  Body ``{"codes": [...]}``; header ``X-API-KEY`` must equal the token when one is set.
* ``POST /marking/control``: ``{"code": "<01 GTIN 21 serial>", "status": "blocked"}``
  sets a unit's status; ``{"endpoint": "online"|"local", "mode": "slow"}`` sets how an
  endpoint behaves; ``{"clock_offset": 86400}`` moves the fake's clock; ``{"reset": true}``.
* ``GET /marking/state``: statuses, modes and request counts.

Unit statuses: ``valid`` (the default), ``unknown``, ``sold``, ``blocked``, ``expired``,
``not_owner``, ``invalid``; and three that spoil the whole request carrying that code:
``error`` (an error answer), ``slow`` (answers after ``slow_seconds``), ``down`` (503).
Endpoint modes: ``normal``, ``slow``, ``down``, ``error``, ``garbage`` (not JSON),
``nonsense`` (JSON of another shape), ``partial`` (leaves out the last code).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGI = Callable[[Scope, Receive, Send], Awaitable[None]]

PREFIX = "/marking"
CHECK_PATH = "/api/v4/true-api/codes/check"
UNIT_STATUSES = ("valid", "unknown", "sold", "blocked", "expired", "not_owner", "invalid",
                 "error", "slow", "down")
MODES = ("normal", "slow", "down", "error", "garbage", "nonsense", "partial")
GS = "\x1d"


class MarkingFake:
    def __init__(self, token: str = "", *, slow_seconds: float = 3.0,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.token, self.slow_seconds, self.clock = token, slow_seconds, clock
        self.reset()

    def reset(self) -> None:
        self.statuses: dict[str, str] = {}
        self.modes = {"online": "normal", "local": "normal"}
        self.requests: Counter[str] = Counter()
        self.clock_offset = 0.0

    def status_of(self, code: str) -> str:
        for key, status in self.statuses.items():
            if code.startswith(key):
                return status
        return "valid"

    def entry(self, code: str, now: datetime) -> dict[str, Any]:
        """One code's answer, as the national system words it."""
        status = self.status_of(code)
        cis = code.split(GS, 1)[0]
        expiry = now + (timedelta(days=-2) if status == "expired" else timedelta(days=30))
        gtin = cis[2:16] if cis.startswith("01") else ""
        return {"cis": cis, "valid": status != "invalid", "printView": cis, "gtin": gtin,
                "groupIds": [8], "verified": status != "invalid", "found": status != "unknown",
                "realizable": True, "utilised": True, "isBlocked": status == "blocked",
                "sold": status == "sold", "isOwner": status != "not_owner",
                "expireDate": expiry.strftime("%Y-%m-%dT00:00:00.000Z"),
                "errorCode": 1 if status == "invalid" else 0, "isTracking": False,
                "packageType": "UNIT"}

    async def answer(self, endpoint: str, body: bytes, headers: dict[str, str]
                     ) -> tuple[int, bytes]:
        self.requests[endpoint] += 1
        if self.token and headers.get("x-api-key") != self.token:
            return 401, json.dumps({"code": 401, "description": "bad token"}).encode()
        try:
            codes = [str(c) for c in json.loads(body)["codes"]]
        except (ValueError, KeyError, TypeError):
            return 400, json.dumps({"code": 400, "description": "codes expected"}).encode()
        mode = self.modes[endpoint]
        spoilers = {self.status_of(c) for c in codes} & {"error", "slow", "down"}
        if mode == "slow" or "slow" in spoilers:
            await asyncio.sleep(self.slow_seconds)
        if mode == "down" or "down" in spoilers:
            return 503, b"Service Unavailable"
        if mode == "garbage":
            return 200, b"<html>gateway says hello</html>"
        if mode == "nonsense":
            return 200, json.dumps({"codes": "all fine"}).encode()
        now = self.clock() + timedelta(seconds=self.clock_offset)
        if mode == "error" or "error" in spoilers:
            return 200, json.dumps({"code": 5, "description": "internal error",
                                    "codes": []}).encode()
        if mode == "partial":
            codes = codes[:-1]
        return 200, json.dumps({
            "code": 0, "description": "ok", "reqId": str(uuid.uuid4()),
            "reqTimestamp": int(now.timestamp() * 1000),
            "codes": [self.entry(c, now) for c in codes]}).encode()

    def control(self, body: bytes) -> tuple[int, bytes]:
        try:
            command = json.loads(body)
        except ValueError:
            return 400, b'{"detail": "JSON expected"}'
        if not isinstance(command, dict):
            return 400, b'{"detail": "an object expected"}'
        if command.get("reset"):
            self.reset()
        if "code" in command:
            if command.get("status") not in UNIT_STATUSES:
                return 400, json.dumps({"detail": f"status one of {UNIT_STATUSES}"}).encode()
            self.statuses[str(command["code"])] = str(command["status"])
        if "endpoint" in command:
            if command["endpoint"] not in self.modes or command.get("mode") not in MODES:
                return 400, json.dumps({"detail": f"mode one of {MODES}"}).encode()
            self.modes[str(command["endpoint"])] = str(command["mode"])
        if "clock_offset" in command:
            self.clock_offset = float(command["clock_offset"])
        return 200, json.dumps(self.state()).encode()

    def state(self) -> dict[str, Any]:
        return {"statuses": self.statuses, "modes": self.modes,
                "requests": dict(self.requests), "clock_offset": self.clock_offset}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"].removeprefix(PREFIX)
        method = scope["method"]
        body = await _body(receive)
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        if method == "POST" and path == CHECK_PATH:
            status, payload = await self.answer("online", body, headers)
        elif method == "POST" and path == "/local" + CHECK_PATH:
            status, payload = await self.answer("local", body, headers)
        elif method == "POST" and path == "/control":
            status, payload = self.control(body)
        elif method == "GET" and path == "/state":
            status, payload = 200, json.dumps(self.state()).encode()
        else:
            status, payload = 404, b'{"detail": "not found"}'
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})


def mounted(fake: MarkingFake, inner: ASGI) -> ASGI:
    """``inner`` with the fake answering every path under ``/marking``."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["path"] == PREFIX
                                        or scope["path"].startswith(PREFIX + "/")):
            await fake(scope, receive, send)
        else:
            await inner(scope, receive, send)

    return app


async def _body(receive: Receive) -> bytes:
    chunks = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)
