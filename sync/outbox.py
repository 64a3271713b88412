"""The outbox: the unit of work enqueues events; the relay claims and records them.

The ``outbox`` table is described once, in ``sync.outbox_table``; the app's
schema includes it. ``enqueue`` (called by the app's unit of work as it
commits) writes an order's new events with their JSON envelopes.

An order's events go out strictly in ``sequence`` order, so only an order's
*head* — its earliest event not yet sent — can be claimed. Claiming a head
leases it and up to ``per_order`` events right behind it
(``claimed_by``/``claimed_until``); the events further back cannot be claimed
by anyone while the head is unsent, because they are not heads.
On PostgreSQL the head rows are locked with ``FOR UPDATE SKIP LOCKED`` while
the lease is written, so several relays never claim the same order; on SQLite
the claim runs under ``BEGIN IMMEDIATE``, which serialises claimers. The
lease outlives that short transaction, and a relay that dies simply lets it
run out. A dead head (a dead letter) blocks its order until someone retries it.

``record`` writes outcomes in one transaction: acknowledged events become
``sent`` (only ever after their 2xx); failures are written only while this
relay still holds the lease, so a relay that lost its lease cannot overwrite
the state written by the relay that took the order over.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import groupby
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    exists,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from picking.events import Event
from sync.outbox_table import OUTBOX

if TYPE_CHECKING:
    from picking.model import Order

PENDING, SENT, DEAD = "pending", "sent", "dead"
CHUNK = 1000  # ids per IN (...) list
ROWS_PER_INSERT = 500  # rows per multi-row INSERT (11 bound values each)

# One write transaction; the relay commits it itself.
Transactions = Callable[[], AbstractAsyncContextManager[AsyncSession]]


@dataclass(frozen=True)
class Claimed:
    id: int
    event_id: str
    order_id: int
    sequence: int
    attempts: int
    envelope: str


@dataclass(frozen=True)
class Outcome:
    """What happened to one claimed event: sent, retry later, or dead."""

    id: int
    status: str  # SENT | PENDING (retry) | DEAD
    error: str | None = None
    retry_at: datetime | None = None


# The relay's statements are built once, with bound parameters, so SQLAlchemy finds them
# compiled in its cache on every round: built anew each round they cost their cache key's
# traversal, and the VALUES list of heads this used to join (never cacheable) a whole
# compilation per round, together more than the rest of a round's work.


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start:start + CHUNK])


def _is_free() -> Any:
    o = OUTBOX.c
    return or_(o.claimed_until.is_(None), o.claimed_until < bindparam("now"))


@functools.cache
def _heads_statement(postgresql: bool) -> Any:
    o = OUTBOX.c
    earlier = OUTBOX.alias("earlier")
    unsent_before = exists().where(earlier.c.order_id == o.order_id,
                                   earlier.c.sequence < o.sequence, earlier.c.status != SENT)
    stmt = (select(o.order_id, o.sequence)
            .where(o.status == PENDING, o.next_attempt_at <= bindparam("now"), _is_free(),
                   ~unsent_before)
            .order_by(o.id).limit(bindparam("heads", type_=Integer)))
    if postgresql:
        stmt = stmt.with_for_update(skip_locked=True, of=OUTBOX)
    return stmt


async def _claim_heads(session: AsyncSession, now: datetime, heads: int
                       ) -> list[tuple[int, int]]:
    """``(order_id, sequence)`` of up to ``heads`` due, free heads, oldest first."""
    stmt = _heads_statement(session.get_bind().dialect.name == "postgresql")
    rows = (await session.execute(stmt, {"now": now, "heads": heads})).all()
    return [(order_id, sequence) for order_id, sequence in rows]


@functools.cache
def _events_statement(heads: int) -> Any:
    """The free pending events of ``heads`` index ranges, one per order:
    ``order_id = :o{i} AND sequence >= :l{i} AND sequence < :h{i}``."""
    o = OUTBOX.c
    # The status inside each range: with it outside, SQLite would rather walk every
    # pending event by ``ix_outbox_pending`` (a backlog of them while the OMS is down).
    ranges = [and_(o.order_id == bindparam(f"o{i}"), o.sequence >= bindparam(f"l{i}"),
                   o.sequence < bindparam(f"h{i}"), o.status == PENDING)
              for i in range(heads)]
    return (select(o.id, o.event_id, o.order_id, o.sequence, o.attempts, o.envelope)
            .where(or_(*ranges), _is_free())
            .order_by(o.order_id, o.sequence))


async def _first_events(session: AsyncSession, heads: list[tuple[int, int]], share: int,
                        now: datetime) -> list[Claimed]:
    """The free pending events among each head's ``share`` first sequences, by order
    and sequence (an index range per order: no scan of the orders' whole backlog)."""
    # Statements for 1, 2, 4, 8, ... ranges, the unused ones empty (no order 0, no
    # sequence in [0, 0)): a few statements in SQLAlchemy's cache, not one per count.
    slots = 1 << (len(heads) - 1).bit_length()
    params: dict[str, Any] = {"now": now}
    for i in range(slots):
        order_id, low, high = (*heads[i], heads[i][1] + share) if i < len(heads) else (0, 0, 0)
        params |= {f"o{i}": order_id, f"l{i}": low, f"h{i}": high}
    rows = await session.execute(_events_statement(slots), params)
    return [Claimed(*row) for row in rows.all()]


_IDS: Any = bindparam("ids", expanding=True)
_LEASE = (update(OUTBOX).where(OUTBOX.c.id.in_(_IDS))
          .values(claimed_by=bindparam("me"), claimed_until=bindparam("until")))
_SENT = (update(OUTBOX).where(OUTBOX.c.id.in_(_IDS), OUTBOX.c.status == PENDING)
         .values(status=SENT, sent_at=bindparam("now"), attempts=OUTBOX.c.attempts + 1,
                 last_error=None))
_NOT_SENT = (update(OUTBOX).where(OUTBOX.c.id == bindparam("event"),
                                  OUTBOX.c.status == PENDING,
                                  OUTBOX.c.claimed_by == bindparam("me"))
             .values(status=bindparam("status"), attempts=OUTBOX.c.attempts + 1,
                     last_error=bindparam("error"), next_attempt_at=bindparam("retry_at")))
_RELEASE = (update(OUTBOX).where(OUTBOX.c.id.in_(_IDS), OUTBOX.c.claimed_by == bindparam("me"))
            .values(claimed_by=None, claimed_until=None))


def runs_of(claimed: Sequence[Claimed]) -> list[list[Claimed]]:
    """Group by order; each run stops at the first gap in ``sequence`` (never skip one)."""
    runs = []
    for _, group in groupby(claimed, key=lambda c: c.order_id):
        run: list[Claimed] = []
        for event in group:
            if run and event.sequence != run[-1].sequence + 1:
                break
            run.append(event)
        runs.append(run)
    return runs


async def claim(session: AsyncSession, me: str, now: datetime, *, lease: timedelta,
                heads: int, limit: int, per_order: int = 20) -> list[list[Claimed]]:
    """Lease up to ``heads`` orders: each one's due head and the events right behind
    it, at most ``per_order`` per order and about ``limit`` in all (the cap per order
    shrinks so that every claimed order gets its fair share, at least its head).

    Returns one run per order (sequence order, no gaps), orders oldest first.
    Only the returned events are leased. The caller commits the transaction.
    """
    found = await _claim_heads(session, now, heads)
    if not found:
        return []
    share = max(1, min(per_order, limit // len(found)))
    runs = runs_of(await _first_events(session, found, share, now))
    for ids in _chunks([e.id for run in runs for e in run]):
        await session.execute(_LEASE, {"ids": ids, "me": me, "until": now + lease})
    return runs


async def record(session: AsyncSession, me: str, now: datetime, outcomes: list[Outcome],
                 leased: Sequence[int] = ()) -> None:
    """Write what happened and give back this relay's leases on ``leased`` ids.

    ``sent`` is written whoever holds the lease now (the 2xx did arrive); a
    retry or a dead letter only while ``me`` still holds it. The caller commits.
    """
    sent = [x.id for x in outcomes if x.status == SENT]
    for ids in _chunks(sent):
        await session.execute(_SENT, {"ids": ids, "now": now})
    for x in outcomes:
        if x.status != SENT:
            await session.execute(_NOT_SENT, {
                "event": x.id, "me": me, "status": x.status, "error": (x.error or "")[:500],
                "retry_at": x.retry_at or now})
    for ids in _chunks(list(leased)):
        await session.execute(_RELEASE, {"ids": ids, "me": me})


async def retry_dead_letter(session: AsyncSession, event_id: str, now: datetime,
                            store_code: str | None = None) -> bool:
    """Put a dead letter back in line (attempts start again); False if it was not dead.

    With ``store_code``, only that store's letters can be retried.
    """
    o = OUTBOX.c
    stmt = update(OUTBOX).where(o.event_id == event_id, o.status == DEAD)
    if store_code is not None:
        stmt = stmt.where(o.store_code == store_code)
    result = await session.execute(stmt.values(
        status=PENDING, attempts=0, next_attempt_at=now, claimed_by=None, claimed_until=None))
    return bool(getattr(result, "rowcount", 0))


# -- writing: the unit of work's commit puts an order's new events here --------

def envelope(order: Order, event: Event, event_id: str) -> dict[str, Any]:
    """The JSON envelope the OMS receives for one event (see DESIGN.md)."""
    return {
        "event_id": event_id,
        "type": event.type,
        "order_id": order.oms_id,
        "store": order.store_code,
        "occurred_at": event.occurred_at.isoformat(),
        "sequence": event.sequence,
        "payload": event.payload(),
    }


def envelope_text(body: dict[str, Any]) -> str:
    """The envelope as stored in the outbox and sent byte for byte."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


async def enqueue(session: AsyncSession, order: Order, events: Sequence[Event]
                  ) -> list[dict[str, Any]]:
    """Write ``order``'s new events to the outbox (one multi-row INSERT) in the
    caller's transaction; return the live-update messages to publish once it
    commits (ids and the event type only, never the payload)."""
    return await enqueue_all(session, [(order, events)])


INSERT_OUTBOX = insert(OUTBOX)


async def enqueue_all(session: AsyncSession,
                      batches: Iterable[tuple[Order, Sequence[Event]]]) -> list[dict[str, Any]]:
    """``enqueue`` for several orders at once: still one INSERT (per 500 rows)."""
    rows, messages = outbox_rows(batches)
    for start in range(0, len(rows), ROWS_PER_INSERT):
        # Parameters, not .values(rows): one statement object SQLAlchemy compiles once,
        # instead of a new multi-VALUES INSERT compiled for every scan.
        await session.execute(INSERT_OUTBOX, rows[start:start + ROWS_PER_INSERT])
    return messages


def outbox_rows(batches: Iterable[tuple[Order, Sequence[Event]]]
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The outbox rows for orders' new events (to insert with ``INSERT_OUTBOX`` in
    the caller's transaction), and the live-update messages to publish once it commits."""
    rows: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    for order, events in batches:
        for event in events:
            event_id = str(uuid.uuid4())
            occurred_at = _utc(event.occurred_at)
            rows.append({
                "event_id": event_id, "type": event.type, "order_id": order.id,
                "oms_order_id": order.oms_id, "store_code": order.store_code,
                "sequence": event.sequence, "occurred_at": occurred_at,
                "envelope": envelope_text(envelope(order, event, event_id)),
                "status": PENDING, "attempts": 0, "next_attempt_at": occurred_at,
            })
            messages.append({"store_id": order.store_id, "order_id": order.id,
                             "type": event.type})
    return rows, messages


def _utc(moment: datetime) -> datetime:
    """Stored in UTC whatever zone the clock gave (as the app's column type does)."""
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment
