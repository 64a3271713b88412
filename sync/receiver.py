"""An OMS-side event receiver: deduplicates on ``event_id``, checks each order's
sequence, and can be told to misbehave (for fault tests and demos).

``ReceiverApp`` is a plain ASGI app (no framework: ``sync`` stays free of the
web layer) serving:

* ``POST /events``: one envelope; 200 ``{"status": "applied"|"duplicate"}``.
* ``POST /events/batch``: ``{"events": [envelope, ...]}`` holding at most one
  event per order (else 400) and at most ``MAX_BATCH`` events (else 413);
  200 ``{"results": [{"event_id", "status", "detail"}, ...]}`` with one HTTP
  status per event, in request order; each event is applied exactly as if it
  had been posted alone. A refusal of the whole request (401, 429, 5xx) holds
  for every event in it.
* ``GET /state`` (JSON), ``GET /stats`` (counts only), ``GET /received``
  (``event_id`` -> arrival time) and ``GET /`` (a small HTML page).

It also counts *overlaps*: an event arriving while a request carrying the
same event is still being answered, which a relay must never cause. The
simulator mounts it; tests run it under uvicorn (``app_from_env`` as a factory).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sync.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, BadSignature, verify

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Answer = tuple[int, bytes, str, list[tuple[bytes, bytes]]]
JSON = "application/json"
MAX_BATCH = 1000


def _json(status: int, payload: Any, headers: list[tuple[bytes, bytes]] | None = None
          ) -> Answer:
    return status, json.dumps(payload).encode(), JSON, headers or []


@dataclass
class EventLedger:
    """What the OMS received. Applying an event twice is impossible by construction:
    ``applied`` is keyed by ``event_id``."""

    applied: dict[str, dict[str, Any]] = field(default_factory=dict)
    sequences: dict[str, list[int]] = field(default_factory=dict)  # order -> applied seqs
    received_at: dict[str, float] = field(default_factory=dict)  # event_id -> time.time()
    duplicates: int = 0
    overlaps: int = 0  # an event arrived again while its earlier request was still open
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
            return {**self._counts(), "gaps": list(self.gaps),
                    "types": dict(self.types),
                    "sequences": {k: list(v) for k, v in self.sequences.items()}}

    def stats(self) -> dict[str, Any]:
        """Counts only (cheap enough to poll)."""
        with self.lock:
            return self._counts()

    def _counts(self) -> dict[str, Any]:
        return {"applied": len(self.applied), "duplicates": self.duplicates,
                "overlaps": self.overlaps, "gap_count": len(self.gaps)}


@dataclass
class Faults:
    """How the receiver misbehaves; change it at any time from a test."""

    statuses: deque[int] = field(default_factory=deque)  # answer these to the next requests
    delay: float = 0.0  # seconds before answering
    retry_after: str | None = None  # sent with 429/503 answers
    refuse_types: dict[str, int] = field(default_factory=dict)  # event type -> status

    def for_request(self) -> int | None:
        """The status to answer this whole request with, if any (one per request)."""
        return self.statuses.popleft() if self.statuses else None

    def for_event(self, envelope: dict[str, Any]) -> int | None:
        """The status to refuse this event with, if any."""
        return self.refuse_types.get(str(envelope.get("type")))

    def refusal_headers(self) -> list[tuple[bytes, bytes]]:
        return [(b"retry-after", self.retry_after.encode())] if self.retry_after else []


class ReceiverApp:
    """The ASGI app. ``secret`` None skips signature checks (benchmarks of the
    transport only); otherwise a bad signature gets 401."""

    def __init__(self, ledger: EventLedger | None = None, faults: Faults | None = None,
                 secret: str | None = None, *, page: Callable[[], str] | None = None,
                 on_startup: Callable[[], Awaitable[None]] | None = None) -> None:
        self.ledger = ledger or EventLedger()
        self.faults = faults or Faults()
        self.secret = secret
        self.page = page or (lambda: _plain_page(self.ledger))
        self.on_startup = on_startup
        self.requests = 0
        self._in_flight: Counter[str] = Counter()

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

    async def _route(self, scope: Scope, receive: Receive) -> Answer:
        path, method = scope["path"], scope["method"]
        if method == "POST" and path in ("/events", "/events/batch"):
            body = await _body(receive)
            bad = self._check_signature(scope, body)
            if bad is not None:
                return bad
            if path == "/events":
                return await self._event(body)
            return await self._batch(body)
        if method == "GET" and path in ("/state", "/stats", "/received"):
            return _json(200, self._report(path))
        if method == "GET" and path == "/":
            return 200, self.page().encode(), "text/html; charset=utf-8", []
        return _json(404, {"detail": "not found"})

    def _report(self, path: str) -> Any:
        if path == "/stats":
            return {**self.ledger.stats(), "requests": self.requests}
        if path == "/received":
            with self.ledger.lock:
                return dict(self.ledger.received_at)
        return self.ledger.snapshot()

    def _check_signature(self, scope: Scope, body: bytes) -> Answer | None:
        self.requests += 1
        if self.secret is None:
            return None
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        try:
            verify(self.secret, timestamp=headers.get(TIMESTAMP_HEADER.lower()),
                   sig=headers.get(SIGNATURE_HEADER.lower()), body=body, now=time.time())
        except BadSignature as bad:
            return _json(401, {"detail": str(bad)})
        return None

    async def _event(self, body: bytes) -> Answer:
        envelope = _envelope(_loads(body))
        if envelope is None:
            return _json(400, {"detail": "not an event envelope"})
        with self._open([envelope]):
            if self.faults.delay:
                await asyncio.sleep(self.faults.delay)
            refused = self.faults.for_request() or self.faults.for_event(envelope)
            if refused is not None:
                return _json(refused, {"detail": "refused"}, self.faults.refusal_headers())
            fresh = self.ledger.receive(envelope)
        return _json(200, {"status": "applied" if fresh else "duplicate"})

    async def _batch(self, body: bytes) -> Answer:
        payload = _loads(body)
        events = payload.get("events") if isinstance(payload, dict) else None
        if not isinstance(events, list) or not events:
            return _json(400, {"detail": 'expected {"events": [envelope, ...]}'})
        if len(events) > MAX_BATCH:
            return _json(413, {"detail": f"at most {MAX_BATCH} events per batch"})
        envelopes = [e for e in map(_envelope, events) if e is not None]
        orders = [str(e["order_id"]) for e in envelopes]
        if len(set(orders)) != len(orders):
            return _json(400, {"detail": "a batch holds at most one event per order"})
        with self._open(envelopes):
            if self.faults.delay:
                await asyncio.sleep(self.faults.delay)
            whole = self.faults.for_request()
            if whole is not None:
                return _json(whole, {"detail": "refused"}, self.faults.refusal_headers())
            results = [self._one_of_batch(raw) for raw in events]
        return _json(200, {"results": results})

    def _one_of_batch(self, raw: Any) -> dict[str, Any]:
        envelope = _envelope(raw)
        if envelope is None:
            event_id = raw.get("event_id") if isinstance(raw, dict) else None
            return {"event_id": event_id, "status": 400, "detail": "not an event envelope"}
        refused = self.faults.for_event(envelope)
        if refused is not None:
            return {"event_id": envelope["event_id"], "status": refused, "detail": "refused"}
        fresh = self.ledger.receive(envelope)
        return {"event_id": envelope["event_id"], "status": 200,
                "detail": "applied" if fresh else "duplicate"}

    @contextlib.contextmanager
    def _open(self, envelopes: list[dict[str, Any]]) -> Iterator[None]:
        """Mark these events as being answered; count any that already were."""
        ids = [str(e["event_id"]) for e in envelopes]
        with self.ledger.lock:
            self.ledger.overlaps += sum(1 for i in ids if self._in_flight[i])
            self._in_flight.update(ids)
        try:
            yield
        finally:
            with self.ledger.lock:
                self._in_flight.subtract(ids)
                for i in ids:
                    if self._in_flight[i] <= 0:
                        del self._in_flight[i]


def _loads(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _envelope(value: Any) -> dict[str, Any] | None:
    """``value`` if it looks like an event envelope, else None."""
    if not isinstance(value, dict):
        return None
    if not all(k in value for k in ("event_id", "sequence", "order_id")):
        return None
    try:
        int(value["sequence"])
    except (TypeError, ValueError):
        return None
    return value


def app_from_env() -> ReceiverApp:
    """For ``uvicorn --factory sync.receiver:app_from_env``: checks signatures with
    ``STOREPICK_OMS_SECRET`` (unset: no checks)."""
    return ReceiverApp(secret=os.environ.get("STOREPICK_OMS_SECRET"))


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _plain_page(ledger: EventLedger) -> str:
    from sync.simulator import ledger_page  # the page lives with the simulator's

    return ledger_page(ledger)
