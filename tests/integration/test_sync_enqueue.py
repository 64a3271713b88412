"""sync.outbox.enqueue: a commit's events go to the outbox in one INSERT, each with the
envelope the OMS receives, stored in UTC, and come back as live-update messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from app.db import tables
from picking import events
from picking.model import Order
from sync.outbox import enqueue, enqueue_all, envelope
from tests.support.statements import Statements

MOSCOW = timezone(timedelta(hours=3))
AT = datetime(2026, 11, 22, 15, 0, 1, 250000, tzinfo=MOSCOW)  # 12:00:01.25 UTC


def order(number: int) -> Order:
    return Order(store_id=4, store_code="MSK-001", oms_id=f"E-{number}", due_at=AT, id=number)


async def test_enqueue_writes_every_event_in_one_insert_and_returns_the_messages(
        db: Any) -> None:
    first, second = order(1), order(2)
    scanned = [events.ItemScanned(order_id=1, occurred_at=AT, sequence=n, line_id=7, sku="MILK",
                                  code="4600000000015", quantity=1, picked_quantity=n)
               for n in (1, 2, 3)]
    assigned = events.PickerAssigned(order_id=2, occurred_at=AT, sequence=1, picker_id=9)
    statements = Statements(db.writer)
    async with db.writing() as session:
        messages = await enqueue_all(session, [(first, scanned), (second, [assigned])])
        await session.commit()
    assert statements.seen.count("INSERT") == 1
    assert messages == [{"store_id": 4, "order_id": 1, "type": "ItemScanned"}] * 3 + [
        {"store_id": 4, "order_id": 2, "type": "PickerAssigned"}]
    async with db.reading() as session:
        rows = (await session.execute(select(tables.outbox).order_by(tables.outbox.c.id))).all()
    assert [(r.order_id, r.sequence, r.type, r.status, r.attempts) for r in rows] == [
        (1, 1, "ItemScanned", "pending", 0), (1, 2, "ItemScanned", "pending", 0),
        (1, 3, "ItemScanned", "pending", 0), (2, 1, "PickerAssigned", "pending", 0)]
    assert rows[0].occurred_at == AT and rows[0].next_attempt_at == AT
    assert rows[0].occurred_at.utcoffset() == timedelta(0)  # stored and read back in UTC
    assert json.loads(rows[3].envelope) == envelope(second, assigned, rows[3].event_id)
    assert len({r.event_id for r in rows}) == 4


async def test_enqueue_of_nothing_writes_nothing(db: Any) -> None:
    statements = Statements(db.writer)
    async with db.writing() as session:
        assert await enqueue(session, order(3), []) == []
    assert "INSERT" not in statements.seen


async def test_the_envelope_keeps_non_ascii_text_readable(db: Any) -> None:
    cancelled = events.OrderCancelled(order_id=5, occurred_at=AT.astimezone(UTC), sequence=1,
                                      reason="клиент передумал")
    async with db.writing() as session:
        await enqueue(session, order(5), [cancelled])
        await session.commit()
    async with db.reading() as session:
        text = await session.scalar(select(tables.outbox.c.envelope))
    assert "клиент передумал" in text and '"sequence":1' in text
