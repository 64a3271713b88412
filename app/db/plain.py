"""The scan's hot path without the ORM's object graph.

A scan reads one order row, the lines it can touch and their products, and writes
one line, one scan, the order's counters and the outbox. Through the ORM that
costs more CPU than everything else in a scan together (identity map, loaders,
flush). Here those rows are read with Core into the same domain classes, kept
out of the session, and ``PlainOrders.write`` turns what the domain changed
into explicit UPDATEs and INSERTs when the unit of work commits, with the same
optimistic ``version`` check the ORM applies (a lost race raises StaleDataError).

Only what a scan can change is written back: the order row, the loaded lines and
the scans added to them. Anything else (a new line, a proposal) is a programming
error here and raises, rather than being silently dropped.
"""

from __future__ import annotations

import dataclasses
import functools
from enum import Enum
from typing import Any

from sqlalchemy import Table, and_, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import direct, tables
from picking.model import Line, Order, OrderStatus, Product, Scan
from picking.status import LineState

ORDER_COLUMNS = [c.name for c in tables.orders.c]
LINE_COLUMNS = [c.name for c in tables.order_lines.c]
PRODUCT_COLUMNS = [c.name for c in tables.products.c]


_NO_DEFAULT = object()


@functools.cache
def _init_fields(cls: type) -> tuple[tuple[str, Any, Any], ...]:
    """Each ``__init__`` field of a dataclass: name, default, default factory."""
    return tuple(
        (f.name, f.default if f.default is not dataclasses.MISSING else _NO_DEFAULT,
         f.default_factory if f.default_factory is not dataclasses.MISSING else None)
        for f in dataclasses.fields(cls) if f.init)


def build(cls: type, values: dict[str, Any]) -> Any:
    """A domain object from a row, as its ``__init__`` would make it (missing fields
    get their defaults, ``__post_init__`` runs), any other mapped column set after.

    The domain classes are also mapped by the ORM, so setting attributes one by one
    goes through its instrumentation (about 60 tracked sets per scan's order). Like
    the ORM's own loader, the object is made by its class manager and its fields
    are put straight into its ``__dict__``; later changes are still tracked."""
    manager = getattr(cls, "_sa_class_manager", None)
    if manager is None:
        names = {name for name, _default, _factory in _init_fields(cls)}
        obj = cls(**{k: v for k, v in values.items() if k in names})
        for key, value in values.items():
            if key not in names:
                setattr(obj, key, value)
        return obj
    obj = manager.new_instance()
    state = obj.__dict__
    for name, default, factory in _init_fields(cls):
        if name in values:
            state[name] = values[name]
        elif factory is not None:
            state[name] = factory()
        elif default is not _NO_DEFAULT:
            state[name] = default
        else:
            raise TypeError(f"{cls.__name__} needs {name}")
    for key, value in values.items():
        if key not in state:
            state[key] = value
    post_init = getattr(obj, "__post_init__", None)
    if post_init is not None:
        post_init()
    return obj


def product_from(row: Any, prefix: str = "") -> Product:
    values = {name: row[prefix + name] for name in PRODUCT_COLUMNS}
    product: Product = build(Product, values)
    return product


def _stored(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


class PlainOrders:
    """Orders read with Core for one unit of work, and their changes written back."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._loaded: list[tuple[Order, dict[str, Any], dict[int, dict[str, Any]]]] = []
        self._offered: dict[tuple[int, int, int], list[dict[str, Any]]] = {}

    def offer(self, rows: list[dict[str, Any]], *, order_id: int, store_id: int,
              product_id: int) -> None:
        """Rows of the order and one product's lines on it, read by another statement of
        this transaction (the scan's probe) with ``_order_statement``'s labels: the next
        ``for_scan`` of that order and product takes them instead of a SELECT. Taken
        once; what is not taken is forgotten when the unit of work writes."""
        self._offered[order_id, store_id, product_id] = rows

    async def for_scan(self, order_id: int, store_id: int, *, product_id: int | None,
                       line_id: int | None) -> Order | None:
        """The order with only the lines of one product (or one line), and their
        products: one SELECT (none when the probe offered them), no scans, no
        proposals."""
        rows = None
        if line_id is None and product_id is not None:
            rows = self._offered.pop((order_id, store_id, product_id), None)
        if rows is None:
            rows = await direct.mappings(
                self.session, _order_statement(by_line=line_id is not None),
                {"order_id": order_id, "store_id": store_id,
                 "which": product_id if line_id is None else line_id})
        if not rows:
            return None
        first = rows[0]
        order_values = {name: first["o_" + name] for name in ORDER_COLUMNS}
        order: Order = build(Order, {**order_values,
                                     "status": OrderStatus(order_values["status"])})
        snapshots: dict[int, dict[str, Any]] = {}
        products: dict[int, Product] = {}
        for row in rows:
            if row["l_id"] is None:
                continue
            values = {name: row["l_" + name] for name in LINE_COLUMNS}
            product = products.get(row["p_id"])
            if product is None:
                product = products[row["p_id"]] = product_from(row, "p_")
            line: Line = build(Line, {
                **{k: v for k, v in values.items() if k not in ("order_id", "product_id")},
                "product": product, "state": LineState(values["state"])})
            line.product_id = values["product_id"]  # type: ignore[attr-defined]
            order.lines.append(line)
            snapshots[values["id"]] = values
        self._loaded.append((order, dict(order_values), snapshots))
        return order

    def writes(self) -> list[direct.Write]:
        """What the domain changed in the orders read here, as the statements that write
        it back (run by the unit of work's commit), each order's row first: its version
        check fails before anything else of it is written. The snapshots are moved on
        here; a failed write fails the whole unit of work."""
        self._offered.clear()
        out: list[direct.Write] = []
        for order, order_before, lines_before in self._loaded:
            writes: list[direct.Write] = []
            for line in order.lines:
                if line.id is None or line.id not in lines_before:
                    raise RuntimeError("a line was added to an order read for a scan")
                if getattr(line, "proposals", None):
                    raise RuntimeError("a proposal was added to an order read for a scan")
                before = lines_before[line.id]
                changed = _changes(line, before, tables.order_lines,
                                   {"order_id": order.id, "product_id": before["product_id"]})
                if changed:
                    writes.append(direct.Write(UPDATE_LINE, {**changed, "line_id": line.id}))
                    before.update(changed)
                scans = [_scan_row(scan, line.id) for scan in line.scans if scan.id is None]
                if scans:
                    writes.append(direct.Write(INSERT_SCAN, scans))
            changed = _changes(order, order_before, tables.orders, {})
            changed.pop("version", None)
            if not (changed or writes):
                continue
            version = order_before["version"]
            out.append(direct.Write(
                UPDATE_ORDER, {**changed, "version": version + 1, "order_id": order.id,
                               "was": version},
                stale=f"order {order.id} was changed by someone else"))
            order_before.update(changed, version=version + 1)
            order.version = version + 1
            out += writes
        self._loaded.clear()
        return out


# Built once with bound parameters (reused statements keep their cache keys); the
# columns an UPDATE sets are the keys of the parameters it is executed with.
UPDATE_ORDER = direct.Statement(update(tables.orders).where(
    tables.orders.c.id == bindparam("order_id"), tables.orders.c.version == bindparam("was")))
UPDATE_LINE = direct.Statement(update(tables.order_lines).where(
    tables.order_lines.c.id == bindparam("line_id")))
INSERT_SCAN = direct.Statement(insert(tables.scans))


def order_columns() -> list[Any]:
    """The columns ``for_scan`` builds an order from: the order's (``o_``), its
    lines' (``l_``) and their products' (``p_``). Any SELECT of them (the scan's
    probe too) may hand its rows to ``PlainOrders.offer``."""
    return [*(c.label(prefix + c.name) for prefix, table in
              (("o_", tables.orders), ("l_", tables.order_lines), ("p_", tables.products))
              for c in table.c)]


@functools.cache
def _order_statement(*, by_line: bool) -> direct.Statement:
    o, ln, p = tables.orders, tables.order_lines, tables.products
    which = (ln.c.id if by_line else ln.c.product_id) == bindparam("which")
    return direct.Statement(
        select(*order_columns())
        .select_from(o.outerjoin(ln, and_(ln.c.order_id == o.c.id, which))
                     .outerjoin(p, p.c.id == ln.c.product_id))
        .where(o.c.id == bindparam("order_id"), o.c.store_id == bindparam("store_id"))
        .order_by(ln.c.position, ln.c.id)
    )


def _changes(obj: Any, before: dict[str, Any], table: Table,
             fixed: dict[str, Any]) -> dict[str, Any]:
    changed = {}
    for column in table.c:
        name = column.name
        value = fixed[name] if name in fixed else _stored(getattr(obj, name, None))
        if value != before[name]:
            changed[name] = value
    return changed


def _scan_row(scan: Scan, line_id: int) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column in tables.scans.c:
        if column.name == "id":
            continue
        value = line_id if column.name == "line_id" else _stored(getattr(scan, column.name, None))
        if value is None and (column.default is not None or column.server_default is not None):
            continue  # the table's default, not a NULL the object never set
        row[column.name] = value
    return row
