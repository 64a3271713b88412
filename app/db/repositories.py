"""Repositories: load whole aggregates for writes, and keep track of what was seen."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from app.db import tables
from picking.model import Line, Order, OrderStatus, Product, Scan


class OrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._seen: dict[int, Order] = {}

    def seen(self) -> list[Order]:
        return list(self._seen.values())

    def add(self, order: Order) -> None:
        self.session.add(order)
        self._seen[id(order)] = order

    async def get(self, order_id: int, *, store_id: int | None = None,
                  lock: bool = True) -> Order | None:
        """The order with its lines, their products and scans; None if absent
        (or in another store when ``store_id`` is given). On PostgreSQL the order
        row is locked for the transaction unless ``lock`` is False (screens)."""
        stmt = (
            select(Order)
            .where(tables.orders.c.id == order_id)
            .options(
                # Lines and their products in the order's own query; scans in one more.
                joinedload(Order.lines).options(  # type: ignore[arg-type]
                    joinedload(Line.product),  # type: ignore[arg-type]
                    selectinload(Line.scans)),  # type: ignore[arg-type]
            )
        )
        if store_id is not None:
            stmt = stmt.where(tables.orders.c.store_id == store_id)
        if lock and self.session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
            # Lock first, load after: a SELECT ... FOR UPDATE that waited re-reads
            # the locked order row but keeps joined lines from its old snapshot.
            await self.session.execute(select(tables.orders.c.id)
                                       .where(tables.orders.c.id == order_id).with_for_update())
        order = (await self.session.scalars(stmt)).unique().first()
        if order is not None:
            self._seen[id(order)] = order
        return order

    async def by_oms_id(self, oms_id: str) -> Order | None:
        order_id = await self.session.scalar(
            select(tables.orders.c.id).where(tables.orders.c.oms_id == oms_id))
        return None if order_id is None else await self.get(order_id)

    async def current_for_picker(self, picker_id: int) -> int | None:
        return await self.session.scalar(
            select(tables.orders.c.id)
            .where(tables.orders.c.picker_id == picker_id,
                   tables.orders.c.status == OrderStatus.PICKING.value)
            .order_by(tables.orders.c.picking_started_at)
            .limit(1))

    async def claim_next_queued(self, store_id: int) -> int | None:
        """The most urgent unassigned order, locked so no other picker gets it.

        PostgreSQL skips rows another transaction holds; SQLite needs nothing
        more because ``BEGIN IMMEDIATE`` already serialises writers.
        """
        o = tables.orders.c
        stmt = (
            select(o.id)
            .where(o.store_id == store_id, o.status == OrderStatus.QUEUED.value,
                   o.picker_id.is_(None))
            .order_by(o.priority.desc(), o.due_at, o.id)
            .limit(1)
        )
        if self.session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
            stmt = stmt.with_for_update(skip_locked=True)
        return await self.session.scalar(stmt)


class CatalogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_gtin(self, store_id: int, gtin14: str) -> Product | None:
        b = tables.product_barcodes.c
        stmt = (select(Product)
                .join(tables.product_barcodes, b.product_id == tables.products.c.id)
                .where(b.store_id == store_id, b.gtin == gtin14))
        return (await self.session.scalars(stmt)).first()

    async def by_plu(self, store_id: int, plu: str) -> Product | None:
        p = tables.products.c
        candidates = {plu, plu.lstrip("0") or "0", plu.zfill(5)}
        stmt = select(Product).where(p.store_id == store_id, p.plu.in_(candidates)).limit(1)
        return (await self.session.scalars(stmt)).first()

    async def by_sku(self, store_id: int, sku: str) -> Product | None:
        p = tables.products.c
        return (await self.session.scalars(
            select(Product).where(p.store_id == store_id, p.sku == sku))).first()

    async def marking_code_used(self, code: str) -> bool:
        s = tables.scans.c
        return bool(await self.session.scalar(
            select(exists().where(s.marking_code == code, s.undone_at.is_(None)))))


__all__ = ["CatalogRepository", "OrderRepository", "Scan"]
