"""Putting events into the outbox the way the unit of work does, and reading it back."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select

from app.db import tables


async def add_events(db: Any, order: str, count: int, *, order_id: int | None = None,
                     start: int = 1, store: str = "MSK-001",
                     kind: str = "ItemScanned") -> list[str]:
    """``count`` events of OMS order ``order`` (sequences start, start+1, ...)."""
    now = datetime.now(UTC)
    internal = order_id if order_id is not None else abs(hash(order)) % 1_000_000
    rows, ids = [], []
    for sequence in range(start, start + count):
        event_id = str(uuid.uuid4())
        ids.append(event_id)
        envelope = {"event_id": event_id, "type": kind, "order_id": order, "store": store,
                    "occurred_at": now.isoformat(), "sequence": sequence,
                    "payload": {"sku": "milk", "quantity": 1}}
        rows.append({"event_id": event_id, "type": kind, "order_id": internal,
                     "oms_order_id": order, "store_code": store, "sequence": sequence,
                     "occurred_at": now, "envelope": json.dumps(envelope), "status": "pending",
                     "attempts": 0, "next_attempt_at": now})
    async with db.writing() as session:
        await session.execute(insert(tables.outbox), rows)
        await session.commit()
    return ids


async def statuses(db: Any) -> dict[str, int]:
    async with db.reading() as session:
        o = tables.outbox.c
        rows = await session.execute(select(o.status, func.count()).group_by(o.status))
        return {str(r[0]): int(r[1]) for r in rows.all()}


async def row(db: Any, event_id: str) -> Any:
    async with db.reading() as session:
        return (await session.execute(select(tables.outbox).where(
            tables.outbox.c.event_id == event_id))).first()
