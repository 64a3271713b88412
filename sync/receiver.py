"""An OMS-side event receiver: deduplicates on ``event_id``, checks each order's
sequence, and can be told to misbehave (for fault tests and demos).

``ReceiverApp`` is a plain ASGI app (no framework: ``sync`` stays free of the
web layer) serving ``POST /events``, ``GET /state`` (JSON) and ``GET /`` (a
small HTML page). The simulator mounts it; tests run it under uvicorn.
"""

from __future__ import annotations

import asyncio
import html
import json
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sync.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, BadSignature, verify

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass
class EventLedger:
    """What the OMS received. Applying an event twice is impossible by construction:
    ``applied`` is keyed by ``event_id``."""

    applied: dict[str, dict[str, Any]] = field(default_factory=dict)
    sequences: dict[str, list[int]] = field(default_factory=dict)  # order -> applied seqs
    received_at: dict[str, float] = field(default_factory=dict)  # event_id -> time.time()
    duplicates: int = 0
    gaps: list[str] = field(default_factory=list)
    types: Counter[str] = field(default_factory=Counter)
    recent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=30))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def receive(self, envelope: dict[str, Any]) -> bool:
        """Apply the event unless seen before; returns False for a duplicate."""
        event_id, order = str(envelope["event_id"]), str(envelope["order_id"])
        with self.lock:
            if event_id in self.applied:
                self.duplicates += 1
                return False
            seqs = self.sequences.setdefault(order, [])
            sequence = int(envelope["sequence"])
            if seqs and sequence != seqs[-1] + 1:
                self.gaps.append(f"{order}: {seqs[-1]} then {sequence}")
            seqs.append(sequence)
            self.applied[event_id] = envelope
            self.received_at[event_id] = time.time()
            self.types[str(envelope["type"])] += 1
            self.recent.appendleft(envelope)
            return True

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {"applied": len(self.applied), "duplicates": self.duplicates,
                    "gaps": list(self.gaps), "types": dict(self.types),
                    "sequences": {k: list(v) for k, v in self.sequences.items()}}


@dataclass
class Faults:
    """How the receiver misbehaves; change it at any time from a test."""

    statuses: deque[int] = field(default_factory=deque)  # answer these to the next requests
    delay: float = 0.0  # seconds before answering
    retry_after: str | None = None  # sent with 429/503 answers
    refuse_types: dict[str, int] = field(default_factory=dict)  # event type -> status

    def answer_for(self, envelope: dict[str, Any]) -> int | None:
        if self.statuses:
            return self.statuses.popleft()
        return self.refuse_types.get(str(envelope.get("type")))


class ReceiverApp:
    """The ASGI app. ``secret`` None skips signature checks (benchmarks of the
    transport only); otherwise a bad signature gets 401."""

    def __init__(self, ledger: EventLedger | None = None, faults: Faults | None = None,
                 secret: str | None = None, *, page: Callable[[], str] | None = None,
                 on_startup: Callable[[], Awaitable[None]] | None = None) -> None:
        self.ledger = ledger or EventLedger()
        self.faults = faults or Faults()
        self.secret = secret
        self.page = page or (lambda: ledger_page(self.ledger))
        self.on_startup = on_startup
        self.requests = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            status, body, ctype, headers = await self._route(scope, receive)
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", ctype.encode()),
                                    (b"content-length", str(len(body)).encode()), *headers]})
            await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self.on_startup is not None:
                    await self.on_startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _route(self, scope: Scope, receive: Receive
                     ) -> tuple[int, bytes, str, list[tuple[bytes, bytes]]]:
        path, method = scope["path"], scope["method"]
        if method == "POST" and path == "/events":
            return await self._event(scope, await _body(receive))
        if method == "GET" and path == "/state":
            return 200, json.dumps(self.ledger.snapshot()).encode(), "application/json", []
        if method == "GET" and path == "/":
            return 200, self.page().encode(), "text/html; charset=utf-8", []
        return 404, b'{"detail":"not found"}', "application/json", []

    async def _event(self, scope: Scope, body: bytes
                     ) -> tuple[int, bytes, str, list[tuple[bytes, bytes]]]:
        self.requests += 1
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        if self.secret is not None:
            try:
                verify(self.secret, timestamp=headers.get(TIMESTAMP_HEADER.lower()),
                       sig=headers.get(SIGNATURE_HEADER.lower()), body=body, now=time.time())
            except BadSignature as bad:
                return 401, json.dumps({"detail": str(bad)}).encode(), "application/json", []
        try:
            envelope = json.loads(body)
            envelope["event_id"], envelope["sequence"], envelope["order_id"]
        except (ValueError, KeyError, TypeError):
            return 400, b'{"detail":"not an event envelope"}', "application/json", []
        if self.faults.delay:
            await asyncio.sleep(self.faults.delay)
        refused = self.faults.answer_for(envelope)
        if refused is not None:
            extra = ([(b"retry-after", self.faults.retry_after.encode())]
                     if self.faults.retry_after else [])
            return refused, b'{"detail":"refused"}', "application/json", extra
        fresh = self.ledger.receive(envelope)
        answer = {"status": "applied" if fresh else "duplicate"}
        return 200, json.dumps(answer).encode(), "application/json", []


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def ledger_page(ledger: EventLedger, extra: str = "") -> str:
    """A plain page: counts per type, duplicates, gaps, the last events."""
    snap = ledger.snapshot()
    types = "".join(f"<tr><td>{html.escape(t)}</td><td>{n}</td></tr>"
                    for t, n in sorted(snap["types"].items()))
    with ledger.lock:
        recent = list(ledger.recent)[:20]
    rows = "".join(
        f"<tr><td>{html.escape(str(e['order_id']))}</td><td>{e['sequence']}</td>"
        f"<td>{html.escape(str(e['type']))}</td><td>{html.escape(str(e['occurred_at']))}</td>"
        "</tr>" for e in recent)
    gaps = "".join(f"<li>{html.escape(g)}</li>" for g in snap["gaps"][-20:]) or "<li>none</li>"
    return (
        "<!doctype html><html><head><meta charset='utf-8'><meta http-equiv='refresh' "
        "content='3'><title>OMS simulator</title><style>body{font-family:sans-serif;"
        "margin:1.5rem}td,th{padding:.2rem .6rem;text-align:left}</style></head><body>"
        f"<h1>OMS simulator</h1>{extra}<p>Events applied: <b>{snap['applied']}</b> · "
        f"duplicates ignored: <b>{snap['duplicates']}</b> · sequence gaps: "
        f"<b>{len(snap['gaps'])}</b></p><h2>Per type</h2><table>{types}</table>"
        f"<h2>Gaps</h2><ul>{gaps}</ul><h2>Last events</h2><table><tr><th>order</th>"
        f"<th>seq</th><th>type</th><th>occurred</th></tr>{rows}</table></body></html>")
