"""Picking services: load, ask the aggregate, commit. Rollback is the default.

Each function takes a unit of work and the signed-in staff member, raises the
domain's PickingError subclasses for anything a picker can get wrong, and
returns what the screen needs to show the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.db.repositories import CatalogRepository
from app.db.uow import UnitOfWork
from app.services.stores import StoreInfo, load_store
from app.staff import StaffUser
from picking import errors
from picking.codes import ScannedCode, UnreadableCode, interpret
from picking.model import Line, Order, Product


@dataclass(frozen=True)
class ScanOutcome:
    order: Order
    line: Line
    product: Product
    code: ScannedCode


async def take_next_order(uow: UnitOfWork, picker: StaffUser, now: datetime) -> int:
    """The picker's current order if they have one, else the most urgent free one.

    Raises NoOrderWaiting when the queue is empty.
    """
    async with uow:
        current = await uow.orders.current_for_picker(picker.id)
        if current is not None:
            return current
        order_id = await uow.orders.claim_next_queued(picker.store_id)
        if order_id is None:
            raise errors.NoOrderWaiting()
        order = await load_order(uow, picker, order_id)
        order.start_picking(picker.id, now)
        await uow.commit()
        return order_id


async def start_order(uow: UnitOfWork, picker: StaffUser, order_id: int, now: datetime) -> None:
    """Take a specific queued order from the queue. Raises OrderNotPickable."""
    async with uow:
        order = await load_order(uow, picker, order_id)
        if order.picker_id == picker.id:
            return
        order.start_picking(picker.id, now)
        await uow.commit()


async def scan(
    uow: UnitOfWork, picker: StaffUser, order_id: int, raw: str, *, scan_id: str,
    now: datetime, quantity: int = 1, confirm: bool = False,
) -> ScanOutcome:
    """Verify one scanned code against the order and count it.

    Raises BadCode, UnknownCode, DuplicateMarkingCode and every error of
    ``Order.scan``; on any of them nothing is written.
    """
    async with uow:
        # Inside the write transaction: the writer runs sqlite3 inline, so one more
        # indexed read there is cheaper than a reader session of its own.
        store = await load_store(uow.session, picker.store_id)
        code = read_code(raw, store)
        product = await find_product(uow.catalog, store, code)
        order = await load_order(uow, picker, order_id)
        marking = code.marking_key  # one key per unit, whichever form the code came in
        # A code already on this order is the aggregate's to refuse; one sold on
        # another order only the database knows about.
        in_this_order = any(s.marking_code == marking for ln in order.lines for s in ln.scans)
        if (marking is not None and not in_this_order
                and await uow.catalog.marking_code_used(marking)):
            raise errors.DuplicateMarkingCode(product=product.sku)
        line = order.scan(
            product, code=code.raw, scan_id=scan_id, now=now, staff_id=picker.id,
            quantity=quantity, weight_g=code.weight_g, marking_code=marking,
            marking_tail=code.marking_tail, confirm=confirm,
            tolerance=store.tolerance_for(product))
        await uow.commit()
        return ScanOutcome(order=order, line=line, product=product, code=code)



def read_code(raw: str, store: StoreInfo) -> ScannedCode:
    try:
        return interpret(raw, store.layout)
    except UnreadableCode as exc:
        raise errors.BadCode(reason=exc.code, raw=raw[:64]) from exc


async def find_product(source: CatalogRepository | UnitOfWork, store: StoreInfo,
                       code: ScannedCode) -> Product:
    """The store's product for a code: by GTIN, or by PLU for a scale label.

    ``source`` is a catalog repository or a unit of work (its catalog is used).
    Raises UnknownCode.
    """
    catalog = source.catalog if isinstance(source, UnitOfWork) else source
    product = None
    if code.gtin is not None:
        product = await catalog.by_gtin(store.id, code.gtin)
    if product is None and code.plu is not None:
        product = await catalog.by_plu(store.id, code.plu)
    if product is None:
        raise errors.UnknownCode(code=code.raw[:64])
    return product


async def record_weight(
    uow: UnitOfWork, picker: StaffUser, order_id: int, line_id: int, weight_g: int, *,
    scan_id: str, now: datetime, confirm: bool = False,
) -> Line:
    """Record a typed weight on a weighed line. Raises the weight errors of the order."""
    async with uow:
        store = await load_store(uow.session, picker.store_id)
        order = await load_order(uow, picker, order_id)
        line = order.line(line_id)
        line = order.record_weight(
            line_id, weight_g, code="manual", scan_id=scan_id, now=now, staff_id=picker.id,
            confirm=confirm, tolerance=store.tolerance_for(line.product))
        await uow.commit()
        return line


async def undo_last_scan(uow: UnitOfWork, picker: StaffUser, order_id: int, now: datetime) -> Line:
    async with uow:
        order = await load_order(uow, picker, order_id)
        line = order.undo_last_scan(now=now, staff_id=picker.id)
        await uow.commit()
        return line


async def short_line(uow: UnitOfWork, picker: StaffUser, order_id: int, line_id: int,
                     reason: str, now: datetime) -> Line:
    async with uow:
        order = await load_order(uow, picker, order_id)
        line = order.short(line_id, reason, now=now, staff_id=picker.id)
        await uow.commit()
        return line


async def finish_picking(uow: UnitOfWork, picker: StaffUser, order_id: int,
                         now: datetime) -> Order:
    async with uow:
        order = await load_order(uow, picker, order_id)
        order.finish_picking(now=now, staff_id=picker.id)
        await uow.commit()
        return order


async def load_order(uow: UnitOfWork, staff: StaffUser, order_id: int) -> Order:
    """The order if it belongs to the staff member's store. Raises OrderNotFound."""
    order = await uow.orders.get(order_id, store_id=staff.store_id)
    if order is None:
        raise errors.OrderNotFound(order_id=order_id)
    return order
