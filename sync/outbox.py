"""The outbox as the relay sees it: claim the heads of orders, record outcomes.

The relay owns a lightweight description of the ``outbox`` table (``sync``
may not import ``app``). An order's events go out strictly in ``sequence``
order, so only an order's *head* — its earliest event not yet sent — can be
claimed; claiming it leases the order's following events too. On PostgreSQL
the head rows are locked with ``FOR UPDATE SKIP LOCKED`` while the lease is
written, so several relays never claim the same order; the lease
(``claimed_by``/``claimed_until``) keeps the claim after that short
transaction, and a relay that dies simply lets its lease run out. A dead head
(a dead letter) blocks its order until someone retries it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import DateTime, Integer, String, Text, column, exists, or_, select, table, update
from sqlalchemy.ext.asyncio import AsyncSession

TZ = DateTime(timezone=True)
OUTBOX = table(
    "outbox",
    column("id", Integer), column("event_id", String), column("type", String),
    column("order_id", Integer), column("oms_order_id", String), column("store_code", String),
    column("sequence", Integer), column("envelope", Text), column("status", String),
    column("attempts", Integer), column("next_attempt_at", TZ), column("last_error", Text),
    column("sent_at", TZ), column("occurred_at", TZ), column("claimed_by", String),
    column("claimed_until", TZ),
)
PENDING, SENT, DEAD = "pending", "sent", "dead"

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


def _is_free(now: datetime) -> object:
    o = OUTBOX.c
    return or_(o.claimed_until.is_(None), o.claimed_until < now)


async def claim(session: AsyncSession, me: str, now: datetime, *, lease: timedelta,
                heads: int, limit: int) -> list[Claimed]:
    """Lease up to ``heads`` orders (their due heads and the events behind them).

    Returns the leased events, ordered by order and sequence, at most ``limit``.
    The caller's transaction must be committed by the caller.
    """
    o = OUTBOX.c
    earlier = OUTBOX.alias("earlier")
    unsent_before = exists().where(earlier.c.order_id == o.order_id,
                                   earlier.c.sequence < o.sequence, earlier.c.status != SENT)
    stmt = (select(o.order_id)
            .where(o.status == PENDING, o.next_attempt_at <= now, _is_free(now),  # type: ignore[arg-type]
                   ~unsent_before)
            .order_by(o.id).limit(heads))
    if session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=OUTBOX)
    order_ids = list((await session.scalars(stmt)).all())
    if not order_ids:
        return []
    await session.execute(update(OUTBOX).where(
        o.order_id.in_(order_ids), o.status == PENDING, _is_free(now),  # type: ignore[arg-type]
    ).values(claimed_by=me, claimed_until=now + lease))
    rows = await session.execute(
        select(o.id, o.event_id, o.order_id, o.sequence, o.attempts, o.envelope)
        .where(o.claimed_by == me, o.status == PENDING, o.order_id.in_(order_ids))
        .order_by(o.order_id, o.sequence).limit(limit))
    return [Claimed(*row) for row in rows.all()]


async def record(session: AsyncSession, me: str, now: datetime, outcomes: list[Outcome]) -> None:
    """Write what happened and give back every lease this relay still holds."""
    o = OUTBOX.c
    sent = [x.id for x in outcomes if x.status == SENT]
    if sent:
        await session.execute(update(OUTBOX).where(o.id.in_(sent)).values(
            status=SENT, sent_at=now, attempts=o.attempts + 1, last_error=None,
            claimed_by=None, claimed_until=None))
    for x in outcomes:
        if x.status != SENT:
            await session.execute(update(OUTBOX).where(o.id == x.id).values(
                status=x.status, attempts=o.attempts + 1, last_error=(x.error or "")[:500],
                next_attempt_at=x.retry_at or now, claimed_by=None, claimed_until=None))
    await session.execute(update(OUTBOX).where(o.claimed_by == me).values(
        claimed_by=None, claimed_until=None))


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
