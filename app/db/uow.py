"""Unit of work: one write transaction, its outbox rows, and messages after commit.

Rollback is the default: leaving the block without ``commit()`` undoes
everything. ``commit()`` writes every event the touched orders recorded to the
outbox in the same transaction; only after the commit succeeds are the small
live-update messages (ids only) handed to the publisher.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables
from app.db.engine import Database
from app.db.repositories import CatalogRepository, OrderRepository
from picking.events import Event
from picking.model import Order

Publisher = Callable[[list[dict[str, Any]]], Awaitable[None]]


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


class UnitOfWork:
    def __init__(self, db: Database, publish: Publisher | None = None) -> None:
        self._db = db
        self._publish = publish
        self._messages: list[dict[str, Any]] = []
        self.committed = False

    async def __aenter__(self) -> UnitOfWork:
        self._cm = self._db.writing()
        self.session: AsyncSession = await self._cm.__aenter__()
        self.orders = OrderRepository(self.session)
        self.catalog = CatalogRepository(self.session)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if not self.committed:
                await self.session.rollback()
        finally:
            await self._cm.__aexit__(exc_type, exc, tb)
        if self.committed and self._publish and self._messages:
            await self._publish(self._messages)

    async def commit(self) -> None:
        rows = self._outbox_rows()
        if rows:
            await self.session.execute(insert(tables.outbox), rows)
        await self.session.commit()
        self.committed = True

    def _outbox_rows(self) -> list[dict[str, Any]]:
        rows = []
        for order in self.orders.seen():
            for event in order.events:
                event_id = str(uuid.uuid4())
                body = envelope(order, event, event_id)
                rows.append({
                    "event_id": event_id, "type": event.type, "order_id": order.id,
                    "oms_order_id": order.oms_id, "store_code": order.store_code,
                    "sequence": event.sequence, "occurred_at": event.occurred_at,
                    "envelope": json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                    "status": "pending", "attempts": 0, "next_attempt_at": event.occurred_at,
                })
                self._messages.append({"store_id": order.store_id, "order_id": order.id,
                                       "type": event.type})
            order.events = []
        return rows
