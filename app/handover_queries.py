"""Read queries for the packing, courier and click & collect screens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables
from app.db.repo_handover import HandoverRepository
from app.db.repositories import OrderRepository
from app.db.tables_handover import handover_bags, handovers
from picking.errors import WrongHandoverStep
from picking.model import Order

o, h, b = tables.orders.c, handovers.c, handover_bags.c


async def load_handover(session: AsyncSession, order: Order) -> Order:
    """Attach the order's handover (bags, refusals) if it was packed; returns the order."""
    return await HandoverRepository(session).attach(order)


async def order_with_handover(session: AsyncSession, order_id: int,
                              store_id: int) -> Order | None:
    """The whole order and its handover, for a screen (no row lock)."""
    order = await OrderRepository(session).get(order_id, store_id=store_id, lock=False)
    return None if order is None else await load_handover(session, order)


async def done_already(session: AsyncSession, err: Exception, order_id: int, store_id: int,
                       staff_id: int, status: str) -> bool:
    """Whether ``err`` refused a step this staff member had already taken (a double tap, a
    form sent again): the order is in ``status`` and its handover was theirs. Such a repeat
    is answered as the first one was, not with "this step is not possible now"."""
    if not isinstance(err, WrongHandoverStep) or err.status != status:
        return False
    order = await order_with_handover(session, order_id, store_id)
    handover = order.handover if order is not None else None
    return handover is not None and staff_id in (handover.courier_id, handover.handed_over_by)


@dataclass(frozen=True)
class ReadyRow:
    id: int
    oms_id: str
    due_at: datetime
    status: str
    fulfilment: str
    customer_name: str
    customer_phone: str
    address: str | None
    bags: int
    failure_reason: str | None = None


def _rows(status: str, store_id: int, fulfilment: str | None = None):  # type: ignore[no-untyped-def]
    stmt = (
        select(o.id, o.oms_id, o.due_at, o.status, o.fulfilment, o.customer_name,
               o.customer_phone, o.address, func.count(b.id).label("bags"),
               h.failure_reason)
        .join(handovers, h.order_id == o.id)
        .outerjoin(handover_bags, b.order_id == o.id)
        .where(o.store_id == store_id, o.status == status)
        .group_by(o.id, h.failure_reason)
        .order_by(o.due_at, o.id)
    )
    return stmt if fulfilment is None else stmt.where(o.fulfilment == fulfilment)


async def ready_for_couriers(session: AsyncSession, store_id: int) -> list[ReadyRow]:
    """Packed delivery orders of the store, due first."""
    rows = await session.execute(_rows("packed", store_id, "delivery"))
    return [ReadyRow(**r._asdict()) for r in rows]


async def courier_orders(session: AsyncSession, store_id: int, courier_id: int) -> list[ReadyRow]:
    """Orders the courier has taken and not yet delivered, due first."""
    rows = await session.execute(_rows("handed_over", store_id).where(h.courier_id == courier_id))
    return [ReadyRow(**r._asdict()) for r in rows]


async def ready_for_collection(session: AsyncSession, store_id: int) -> list[ReadyRow]:
    rows = await session.execute(_rows("packed", store_id, "collect"))
    return [ReadyRow(**r._asdict()) for r in rows]


async def packed_and_returned(session: AsyncSession, store_id: int) -> dict[str, list[ReadyRow]]:
    """What the packing desk watches: picked (to pack), picked with nothing in them (no bag
    to fill: listed apart, for the order service to decide), and failed deliveries."""
    ln = tables.order_lines.c
    has_goods = (select(ln.id).where(ln.order_id == o.id, ln.picked_quantity > 0)
                 .exists().label("has_goods"))
    picked = await session.execute(
        select(o.id, o.oms_id, o.due_at, o.status, o.fulfilment, o.customer_name,
               o.customer_phone, o.address, has_goods)
        .where(o.store_id == store_id, o.status == "picked").order_by(o.due_at, o.id))
    failed = await session.execute(_rows("delivery_failed", store_id))
    lists: dict[str, list[ReadyRow]] = {"to_pack": [], "nothing_picked": []}
    for row in picked:
        fields = row._asdict()
        goods = fields.pop("has_goods")
        lists["to_pack" if goods else "nothing_picked"].append(ReadyRow(**fields, bags=0))
    lists["returned"] = [ReadyRow(**r._asdict()) for r in failed]
    return lists
