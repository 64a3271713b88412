"""Read queries for screens: each returns what one screen shows, nothing more."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables
from app.db.repositories import OrderRepository
from app.progress_sql import progress_columns, progress_join
from picking.model import Order, OrderStatus
from picking.progress import Progress

o, ln, p, s = tables.orders.c, tables.order_lines.c, tables.products.c, tables.staff.c


@dataclass(frozen=True)
class QueueRow:
    id: int
    oms_id: str
    due_at: datetime
    status: str
    fulfilment: str
    priority: int
    lines: int
    picked: int
    substituted: int
    missing: int
    chilled: int
    frozen: int
    picker_name: str | None

    @property
    def progress(self) -> Progress:
        return Progress(total=self.lines, picked=self.picked, substituted=self.substituted,
                        missing=self.missing)


async def picker_queue(session: AsyncSession, store_id: int, limit: int = 50) -> list[QueueRow]:
    """The store's orders waiting or being picked, most urgent first."""
    stmt = (
        select(o.id, o.oms_id, o.due_at, o.status, o.fulfilment, o.priority,
               *progress_columns(),
               func.sum(case((p.zone == "chilled", 1), else_=0)).label("chilled"),
               func.sum(case((p.zone == "frozen", 1), else_=0)).label("frozen"),
               s.name.label("picker_name"))
        .select_from(progress_join(tables.orders.join(tables.order_lines, ln.order_id == o.id)))
        .join(tables.products, p.id == ln.product_id)
        .outerjoin(tables.staff, s.id == o.picker_id)
        .where(o.store_id == store_id,
               o.status.in_([OrderStatus.QUEUED.value, OrderStatus.PICKING.value]))
        .group_by(o.id, s.name)
        .order_by(o.priority.desc(), o.due_at, o.id)
        .limit(limit)
    )
    rows = (await session.execute(stmt)).all()
    return [QueueRow(**row._asdict()) for row in rows]


async def order_for_screen(session: AsyncSession, order_id: int, store_id: int) -> Order | None:
    """The whole order for the pick page and summary (no row lock)."""
    return await OrderRepository(session).get(order_id, store_id=store_id, lock=False)


async def pick_page_order(session: AsyncSession, order_id: int, store_id: int) -> Order | None:
    """The order as the picker's screens show it: lines, products, proposals, no scans."""
    return await OrderRepository(session).get(order_id, store_id=store_id, lock=False,
                                              scans=False)


async def current_order_id(session: AsyncSession, picker_id: int) -> int | None:
    return await OrderRepository(session).current_for_picker(picker_id)


async def order_barcodes(session: AsyncSession, order_id: int) -> dict[int, list[str]]:
    """The GTIN-14s of each product on the order (by product id), for the phone to
    tell offline whether a scanned code belongs to this order."""
    b = tables.product_barcodes.c
    rows = await session.execute(
        select(b.product_id, b.gtin)
        .join(tables.order_lines, (ln.product_id == b.product_id))
        .join(tables.products, p.id == b.product_id)
        .where(ln.order_id == order_id, b.store_id == p.store_id)
        .distinct().order_by(b.product_id, b.gtin))
    codes: dict[int, list[str]] = {}
    for product_id, gtin in rows.all():
        codes.setdefault(int(product_id), []).append(str(gtin).zfill(14))
    return codes
