"""Rate limits kept in the database, so every app process shares one budget.

A counter per key counts hits in a fixed window (``Rule.window``) that starts at
the first hit after the previous window ended. Two ways to use it:

* a **hard limit** (customer links): ``count`` adds a hit and returns the hits in
  this window and when the window ends; the caller refuses beyond its limit;
* a **progressive delay** (sign-in failures): ``wait`` says how long the next
  attempt must wait: nothing for the first ``free`` hits of a window, then 1 s,
  2 s, 4 s ... after the last hit, never more than ``cap``. Nobody is ever locked
  out for longer than ``cap``.

Keys are hashed: what a client typed never becomes a key verbatim.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables_security import rate_limits

SWEEP_EVERY = 200  # about one hit in this many also deletes counters idle for a day
IDLE = timedelta(days=1)


@dataclass(frozen=True)
class Rule:
    window: timedelta
    free: int  # hits in a window before anything is refused or delayed
    cap: timedelta = timedelta(0)  # the longest delay (progressive use only)


def key(scope: str, *parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]
    return f"{scope}:{digest}"


def delay(hits: int, last_at: datetime, rule: Rule, now: datetime) -> float:
    """Seconds the next attempt must still wait after ``hits`` hits, the last at ``last_at``."""
    if hits < rule.free:
        return 0.0
    step = min(2.0 ** (hits - rule.free), rule.cap.total_seconds())
    return max(0.0, (last_at + timedelta(seconds=step) - now).total_seconds())


async def wait(session: AsyncSession, rules: dict[str, Rule], now: datetime) -> float:
    """The longest wait any of the keys in ``rules`` asks for (0: go ahead)."""
    t = rate_limits.c
    rows = await session.execute(select(t.key, t.window_start, t.hits, t.last_at)
                                 .where(t.key.in_(list(rules))))
    longest = 0.0
    for row in rows:
        rule = rules[row.key]
        if row.window_start > now - rule.window:
            longest = max(longest, delay(row.hits, row.last_at, rule, now))
    return longest


async def count(session: AsyncSession, name: str, rule: Rule, now: datetime
                ) -> tuple[int, datetime]:
    """Add one hit to ``name``; the hits in its window so far and when the window ends.

    One statement (an upsert), so concurrent hits from several processes all count.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    t = rate_limits.c
    stmt: Any = insert(rate_limits).values(key=name, window_start=now, hits=1, last_at=now)
    expired = t.window_start <= now - rule.window
    stmt = stmt.on_conflict_do_update(index_elements=[t.key], set_={
        "hits": case((expired, 1), else_=t.hits + 1),
        "window_start": case((expired, stmt.excluded.window_start), else_=t.window_start),
        "last_at": stmt.excluded.last_at,
    }).returning(t.hits, t.window_start)
    row = (await session.execute(stmt)).one()
    if random.randrange(SWEEP_EVERY) == 0:  # not a secret: spreads the clean-up
        await session.execute(delete(rate_limits).where(t.last_at < now - IDLE))
    return row.hits, row.window_start + rule.window


async def forget(session: AsyncSession, *names: str) -> None:
    await session.execute(delete(rate_limits).where(rate_limits.c.key.in_(names)))
