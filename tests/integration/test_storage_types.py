"""Moments are stored in UTC and read back timezone-aware, on both engines."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

from sqlalchemy import select, update

from app.db import tables
from tests.support.shop import NOW, add_order

MOSCOW = timezone(timedelta(hours=3))


async def test_a_due_time_with_an_offset_reads_back_as_the_same_moment_in_utc(
        db: Any, shop: Any) -> None:
    async with db.writing() as session:
        order_id = await add_order(session, shop, {"milk": 1})
        due = NOW.astimezone(MOSCOW) + timedelta(hours=2)  # 13:00 in Moscow
        await session.execute(update(tables.orders).where(tables.orders.c.id == order_id)
                              .values(due_at=due))
        await session.commit()
    async with db.reading() as session:
        stored = await session.scalar(select(tables.orders.c.due_at)
                                      .where(tables.orders.c.id == order_id))
    assert stored == due and stored.utcoffset() == timedelta(0)
