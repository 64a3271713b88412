"""The SQL repositories of packing and handover (the ports ``Handovers``,
``PickupAttempts`` and ``CheckIns`` of ``app.services.ports_handover``). The statements
are those ``app.services.handover`` ran itself before issue 10, moved here unchanged."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.db import tables
from app.db.tables_handover import handovers, pickup_code_failures
from picking.handover import Handover
from picking.model import Order

if TYPE_CHECKING:
    pass


class HandoverRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def attach(self, order: Order) -> Order:
        """Attach the order's handover (bags, refusals) if it was packed; returns the order."""
        h = handovers.c
        stmt = (select(Handover).where(h.order_id == order.id)
                .options(selectinload(Handover.bags),  # type: ignore[arg-type]
                         selectinload(Handover.refusals))  # type: ignore[arg-type]
                .execution_options(populate_existing=True))
        order.handover = (await self.session.scalars(stmt)).first()
        return order

    def add(self, handover: Handover) -> None:
        self.session.add(handover)

    async def code_waiting(self, code_hash: str) -> bool:
        taken = await self.session.scalar(select(handovers.c.order_id).where(
            handovers.c.pickup_code_hash == code_hash, handovers.c.delivered_at.is_(None)))
        return taken is not None

    async def waiting_for(self, store_id: int, code_hash: str) -> int | None:
        o = tables.orders.c
        return await self.session.scalar(
            select(o.id).join(handovers, handovers.c.order_id == o.id)
            .where(o.store_id == store_id, o.status == "packed", o.fulfilment == "collect",
                   handovers.c.pickup_code_hash == code_hash).limit(1))

    async def handed_over_since(self, store_id: int, code_hash: str,
                                since: datetime) -> tuple[str, datetime] | None:
        o, h = tables.orders.c, handovers.c
        found = (await self.session.execute(
            select(o.oms_id, h.handed_over_at).join(handovers, h.order_id == o.id)
            .where(o.store_id == store_id, o.fulfilment == "collect",
                   h.pickup_code_hash == code_hash, h.handed_over_at >= since)
            .order_by(h.handed_over_at.desc()).limit(1))).first()
        if found is None:
            return None
        at = found.handed_over_at
        return str(found.oms_id), at.replace(tzinfo=UTC) if at.tzinfo is None else at


class PickupAttemptRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def failures_since(self, staff_id: int, since: datetime) -> int:
        failures = await self.session.scalar(select(func.count()).where(
            pickup_code_failures.c.staff_id == staff_id,
            pickup_code_failures.c.failed_at > since))
        return int(failures or 0)

    async def add_failure(self, staff_id: int, at: datetime) -> None:
        await self.session.execute(insert(pickup_code_failures).values(
            staff_id=staff_id, failed_at=at))


