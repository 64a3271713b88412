"""Repositories: load whole aggregates for writes, and keep track of what was seen."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, func, insert, literal, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, raiseload, selectinload

from app.db import direct, tables
from app.db.plain import PlainOrders, order_columns, product_from
from app.db.repo_floor import StoreRepository  # its home now; still importable here
from app.db.tables_board import scan_errors
from app.db.tables_oos import likely_out
from app.services.records import Counted, Refused, ScanProbe
from picking.model import Line, LineState, Order, OrderStatus, Product, Scan


def plu_forms(plu: str) -> set[str]:
    """The ways a PLU may be stored: as read, without leading zeros, padded to 5."""
    return {plu, plu.lstrip("0") or "0", plu.zfill(5)}


_LOCK_ORDER = direct.Statement(select(tables.orders.c.id).where(
    tables.orders.c.id == bindparam("order_id")).with_for_update())


class OrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._seen: dict[int, Order] = {}
        self.plain = PlainOrders(session)

    def seen(self) -> list[Order]:
        return list(self._seen.values())

    def add(self, order: Order) -> None:
        self.session.add(order)
        self._seen[id(order)] = order

    async def get(self, order_id: int, *, store_id: int | None = None,
                  lock: bool = True, scans: bool = True) -> Order | None:
        """The order with its lines, their products and scans; None if absent
        (or in another store when ``store_id`` is given). On PostgreSQL the order
        row is locked for the transaction unless ``lock`` is False (screens).
        ``scans=False`` (the pick page) leaves every line's scans out: what the
        picker sees is in the lines, and an order's history should not slow it."""
        if lock:
            await self.lock(order_id)
        stmt = self._whole(order_id, store_id, scans)
        return self._remember((await self.session.scalars(stmt)).unique().first())

    def _whole(self, order_id: int, store_id: int | None, scans: bool) -> Any:
        stmt = (
            select(Order)
            .where(tables.orders.c.id == order_id)
            .options(
                # Lines and their products in the order's own query; scans in one more.
                joinedload(Order.lines).options(  # type: ignore[arg-type]
                    joinedload(Line.product),  # type: ignore[arg-type, misc]
                    (selectinload if scans else raiseload)(Line.scans)),  # type: ignore[arg-type]
            )
        )
        if store_id is not None:
            stmt = stmt.where(tables.orders.c.store_id == store_id)
        return stmt

    async def reload(self, order_id: int, *, store_id: int) -> Order | None:
        """The whole order (every line, scan and proposal) in place of a partial one
        this session loaded for a scan (``for_scan``), for the rare scan that needs
        more: the objects already loaded are filled in, not duplicated. Call
        ``lock`` first on PostgreSQL (the scan path has)."""
        stmt = self._whole(order_id, store_id, True).execution_options(populate_existing=True)
        order = (await self.session.scalars(stmt)).unique().first()
        if order is not None:  # refreshed objects get no "load" event: enums back by hand
            order.status = OrderStatus(order.status)
            for line in order.lines:
                line.state = LineState(line.state)
        return self._remember(order)

    def _remember(self, order: Order | None) -> Order | None:
        if order is not None:
            self._seen[id(order)] = order
        return order

    async def lock(self, order_id: int) -> None:
        """On PostgreSQL, hold the order row for the transaction (SQLite's writer
        transaction already serialises); every later read sees what the last
        writer of this order committed. Lock first, load after: a SELECT ... FOR
        UPDATE that waited re-reads the locked order row but keeps joined lines
        from its old snapshot."""
        # First in its transaction on a kept PostgreSQL writer: sent with the BEGIN.
        if (self.session.bind.dialect.name == "postgresql"  # type: ignore[union-attr]
                and not await direct.begin_with(self.session,
                                                _LOCK_ORDER.postgresql_text(order_id=order_id))):
            await direct.mappings(self.session, _LOCK_ORDER, {"order_id": order_id})

    async def for_scan(self, order_id: int, *, store_id: int, product_id: int | None = None,
                       line_id: int | None = None) -> Order | None:
        """The order with only the lines a scan can touch (those of one product, or
        one line) and their products, in one SELECT: no earlier scans, no other
        lines, no proposals, so a scan costs the same on an order's 150th item as
        on its first (no SELECT at all when the scan's probe brought them). Call
        ``lock`` first on PostgreSQL.

        Read with Core, outside the session (``app.db.plain``): the unit of work's
        commit writes what the scan changed. The loaded order is only fit for
        scanning: its ``lines`` are partial.
        """
        return self._remember(await self.plain.for_scan(
            order_id, store_id, product_id=product_id, line_id=line_id))

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
        stmt = select(Product).where(p.store_id == store_id,
                                     p.plu.in_(plu_forms(plu))).limit(1)
        return (await self.session.scalars(stmt)).first()

    async def by_sku(self, store_id: int, sku: str) -> Product | None:
        p = tables.products.c
        return (await self.session.scalars(
            select(Product).where(p.store_id == store_id, p.sku == sku))).first()

    async def marking_code_used(self, code: str) -> bool:
        s = tables.scans.c
        return bool(await self.session.scalar(
            select(exists().where(s.marking_code == code, s.undone_at.is_(None)))))


@functools.cache
def _probe_statement(gtin: bool, plu: bool, marking: bool) -> Any:
    """The probe's SELECT for one shape of code, built once with bound parameters: a
    statement object used again keeps its cache key, so SQLAlchemy neither rebuilds
    nor re-keys it on every scan."""
    s, r, ln = tables.scans.c, tables.refused_scans.c, tables.order_lines.c
    b, p = tables.product_barcodes.c, tables.products.c
    store_id: Any = bindparam("store_id")
    scan_id: Any = bindparam("scan_id")
    keys: list[ColumnElement[Any]] = []
    if gtin:
        keys.append(select(b.product_id).where(b.store_id == store_id,
                                               b.gtin == bindparam("gtin"))
                    .limit(1).scalar_subquery())
    if plu:
        keys.append(select(p.id).where(p.store_id == store_id,
                                       p.plu.in_(bindparam("plus", expanding=True)))
                    .order_by(p.id).limit(1).scalar_subquery())
    product_id: ColumnElement[Any] = (
        literal(None) if not keys else keys[0] if len(keys) == 1 else func.coalesce(*keys))
    used: ColumnElement[Any] = (
        exists().where(s.marking_code == bindparam("marking_code"), s.undone_at.is_(None))
        if marking else literal(False))

    def counted(column: Any) -> Any:
        return (select(column).select_from(tables.scans.join(
            tables.order_lines, ln.id == s.line_id)).where(s.scan_id == scan_id)
            .scalar_subquery())

    def refused(column: Any) -> Any:
        return select(column).where(r.scan_id == scan_id).scalar_subquery()

    anchor = select(literal(1).label("one")).subquery()
    o, product = tables.orders, tables.products
    return direct.Statement(
        # The product, the order and the product's lines on it, as
        # ``PlainOrders.for_scan`` reads them: the scan that counts needs no second SELECT.
        select(*order_columns(),
               counted(ln.order_id).label("c_order"), counted(s.line_id).label("c_line"),
               counted(s.code).label("c_code"), refused(r.error).label("r_error"),
               refused(r.order_id).label("r_order"), refused(r.code).label("r_code"),
               refused(r.params).label("r_params"), used.label("marking_used"),
               exists().where(o.c.id == bindparam("order_id"),
                              o.c.store_id == store_id).label("order_here"),
               exists().where(likely_out.c.store_id == store_id,
                              likely_out.c.product_id == product_id).label("likely_out"))
        .select_from(anchor)
        .outerjoin(product, and_(product.c.id == product_id, true()))
        .outerjoin(o, and_(o.c.id == bindparam("order_id"), o.c.store_id == store_id,
                           product.c.id.is_not(None)))
        .outerjoin(tables.order_lines,
                   and_(ln.order_id == o.c.id, ln.product_id == product.c.id))
        .order_by(ln.position, ln.id))


class ScanRepository:
    """Scan ids (counted or refused) and the product a code names, for the scan path."""

    def __init__(self, session: AsyncSession, orders: PlainOrders) -> None:
        self.session = session
        self.orders = orders  # the unit of work's: the probe offers it the order it read

    async def probe(self, store_id: int, order_id: int, scan_id: str, *, gtin: str | None,
                    plu: str | None, marking_code: str | None) -> ScanProbe:
        """Whether the order is the store's, the product for the code (by GTIN, else
        by PLU), whether this scan id was already counted or refused, and whether the
        marking code is already sold: one statement, every part an index lookup.

        The same statement reads the order and the product's lines on it, offered to
        ``orders`` (the unit of work's ``PlainOrders``): the ``for_scan`` that follows
        for this product takes them instead of a SELECT of its own (on PostgreSQL one
        round trip fewer)."""
        stmt = _probe_statement(gtin is not None, plu is not None, marking_code is not None)
        params: dict[str, Any] = {"store_id": store_id, "order_id": order_id,
                                  "scan_id": scan_id, "gtin": gtin, "marking_code": marking_code}
        if plu is not None:
            params["plus"] = sorted(plu_forms(plu))
        rows = await direct.mappings(self.session, stmt, params)
        row = rows[0]
        if row["p_id"] is not None and row["o_id"] is not None:
            self.orders.offer(rows, order_id=order_id, store_id=store_id,
                              product_id=row["p_id"])
        return ScanProbe(
            product=None if row["p_id"] is None else product_from(row, "p_"),
            counted=None if row["c_line"] is None else Counted(
                row["c_order"], row["c_line"], row["c_code"]),
            refused=None if row["r_error"] is None else Refused(
                row["r_order"], row["r_code"], row["r_error"], dict(row["r_params"] or {})),
            marking_used=bool(row["marking_used"]), order_in_store=bool(row["order_here"]),
            likely_out=bool(row["likely_out"]))

    async def refuse(self, *, scan_id: str, store_id: int, order_id: int | None,
                     staff_id: int, code: str, error: str, params: dict[str, Any],
                     at: datetime) -> None:
        await self.session.execute(insert(tables.refused_scans).values(
            scan_id=scan_id, store_id=store_id, order_id=order_id, staff_id=staff_id,
            code=code[:200], error=error, params=params, at=at))

    async def note_error(self, *, store_id: int, staff_id: int, order_id: int | None,
                         code: str, kind: str, at: datetime) -> None:
        """One refused scan for the board's error rate (``scan_errors``)."""
        await self.session.execute(insert(scan_errors).values(
            store_id=store_id, staff_id=staff_id, order_id=order_id, code=code[:200],
            kind=kind, at=at))


__all__ = ["CatalogRepository", "Counted", "OrderRepository", "Refused", "Scan",
           "ScanProbe", "ScanRepository", "StoreRepository"]
