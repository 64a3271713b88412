"""Picking services: load, ask the aggregate, commit. Rollback is the default.

Each function takes a unit of work and the signed-in staff member, raises the
domain's PickingError subclasses for anything a picker can get wrong, and
returns what the screen needs to show the outcome.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime

from app.services import late_find
from app.services.ports import Catalog, MarkingChecker, PickingUnitOfWork
from app.services.records import Refused, ScanProbe
from app.services.stores import StoreInfo
from app.staff import StaffUser
from picking import errors
from picking.board import scan_error_kind
from picking.codes import ScannedCode, UnreadableCode, interpret
from picking.lines import _named
from picking.marking import MarkingVerdict, check_form
from picking.model import Line, Order, Product

MANUAL_WEIGHT = "manual"  # the code recorded for a typed weight


@dataclass(frozen=True)
class ScanOutcome:
    """A counted scan: the line it counted on (with its product), and the code read.

    ``repeated`` is True when the scan id had been counted before (a double tap,
    a replay): nothing was counted this time. ``state_changed`` is True when the
    scan moved its line to another state (the last unit made it picked, say), so a
    screen showing only the changed line knows when the list itself changed.
    """

    order_id: int
    line: Line
    product: Product
    code: ScannedCode
    store: StoreInfo  # the settings the scan was judged by (its tolerances)
    repeated: bool = False
    state_changed: bool = True


async def take_next_order(uow: PickingUnitOfWork, picker: StaffUser, now: datetime) -> int:
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


async def start_order(uow: PickingUnitOfWork, picker: StaffUser, order_id: int,
                      now: datetime) -> None:
    """Take a specific queued order from the queue. Raises OrderNotPickable."""
    async with uow:
        order = await load_order(uow, picker, order_id)
        if order.picker_id == picker.id:
            return
        order.start_picking(picker.id, now)
        await uow.commit()


async def scan(
    uow: PickingUnitOfWork, picker: StaffUser, order_id: int, raw: str, *, scan_id: str,
    now: datetime, quantity: int = 1, confirm: bool = False, clock_adjusted: bool = False,
    count_error: bool = True, marking: MarkingChecker | None = None,
    typed_expiry: date | None = None,
) -> ScanOutcome:
    """The one path of a scan, whatever its source (scan field, camera, photo, a
    replayed offline scan): verify the code against the order and count it.

    A scan id is answered once. Counted before: the same line comes back with
    ``repeated`` and nothing is counted. Refused before: the same refusal is raised
    again, nothing is evaluated. The same id with another code or order raises
    ScanIdReused. A refusal is recorded in the same transaction, keyed by the scan
    id (and, when ``count_error``, in the board's error statistics); a question
    (WeightNeedsConfirmation) is not a refusal and is not recorded.

    Raises BadCode, UnknownCode, DuplicateMarkingCode, ScanIdReused and every
    error of ``Order.scan``.

    A marking code is checked with ``marking`` (when the store has a checker) before
    the write transaction opens: the lock is never held while waiting on the network.
    """
    check = await check_marking(marking, raw, now)
    async with uow:
        # Inside the write transaction: the writer runs sqlite3 inline, so one more
        # indexed read there is cheaper than a reader session of its own.
        store = await uow.stores.settings(picker.store_id)
        code: ScannedCode | None = None
        unreadable: errors.BadCode | None = None
        try:
            code = read_code(raw, store)
        except errors.BadCode as err:
            unreadable = err
        await uow.orders.lock(order_id)
        probe = await uow.scans.probe(
            store.id, order_id, scan_id, gtin=code.gtin if code else None,
            plu=code.plu if code else None, marking_code=code.marking_key if code else None)

        async def count() -> Line:
            if unreadable is not None:
                raise unreadable
            assert code is not None
            if probe.product is None:
                raise errors.UnknownCode(code=code.raw[:64])
            order = await _order_for_scan(uow, picker, order_id, probe,
                                          product_id=probe.product.id)
            marking = code.marking_key  # one key per unit, whichever form the code came in
            if marking is not None and probe.marking_used:
                raise errors.DuplicateMarkingCode(**_named(probe.product))
            states_before.update((ln.id, ln.state) for ln in order.lines)

            def count_on(order: Order) -> Line:
                assert code is not None and probe.product is not None
                return order.scan(
                    probe.product, code=code.raw, scan_id=scan_id, now=now, staff_id=picker.id,
                    quantity=quantity, weight_g=code.weight_g, marking_code=marking,
                    marking_tail=code.marking_tail, confirm=confirm,
                    tolerance=store.tolerance_for(probe.product), clock_adjusted=clock_adjusted,
                    marking_check=check, expiry=code.expiry or typed_expiry,
                    min_days_default=store.min_days_for(probe.product))

            # issue 15: a line marked missing is reopened when its product is scanned,
            # and a good scan clears the product's "likely out" mark.
            return await late_find.count_scan(uow, picker, order, probe.product, now, count_on,
                                              likely_out=probe.likely_out)

        states_before: dict[int | None, object] = {}
        line, repeated = await _answer_once(
            uow, picker, order_id, probe, scan_id=scan_id, raw=raw,
            counted_as=code.raw if code else None, now=now, count_error=count_error,
            count=count)
        assert code is not None  # an unreadable code is never counted
        return ScanOutcome(order_id=order_id, line=line, product=line.product, code=code,
                           repeated=repeated,
                           state_changed=states_before.get(line.id) is not line.state,
                           store=store)


async def _answer_once(uow: PickingUnitOfWork, picker: StaffUser, order_id: int,
                       probe: ScanProbe, *, scan_id: str, raw: str, counted_as: str | None,
                       now: datetime, count_error: bool,
                       count: Callable[[], Awaitable[Line]]) -> tuple[Line, bool]:
    """Answer a scan id once, whatever kind of scan it is: the line it counted on
    before (and True), its stored refusal raised again, or ``count()`` run now, its
    refusal recorded in this same transaction (a weight question is not a refusal:
    the same id may come back confirmed). Commits; ``raw`` is what was sent,
    ``counted_as`` what a counted scan stores (None: it cannot have been counted)."""
    if probe.counted is not None:
        if counted_as is None:
            raise errors.ScanIdReused(scan_id=scan_id[:64])
        return await _counted_before(uow, picker, order_id, counted_as, scan_id, probe), True
    if probe.refused is not None:
        raise _refused_before(order_id, raw, scan_id, probe.refused)
    try:
        line = await count()
    except errors.WeightNeedsConfirmation:
        raise
    except errors.PickingError as err:
        await _record_refusal(uow, picker, order_id if probe.order_in_store else None,
                              raw, scan_id, err, now, count_error)
        await uow.commit()
        raise
    await uow.commit()
    return line, False


async def _order_for_scan(uow: PickingUnitOfWork, picker: StaffUser, order_id: int,
                          probe: ScanProbe, *, product_id: int | None = None,
                          line_id: int | None = None) -> Order:
    order = None
    if probe.order_in_store:
        order = await uow.orders.for_scan(order_id, store_id=picker.store_id,
                                          product_id=product_id, line_id=line_id)
    if order is None:
        raise errors.OrderNotFound(order_id=order_id)
    return order


async def _counted_before(uow: PickingUnitOfWork, picker: StaffUser, order_id: int,
                          code: str, scan_id: str, probe: ScanProbe) -> Line:
    """The line a scan id already counted on, if it is the same scan again."""
    counted = probe.counted
    assert counted is not None
    if counted.order_id != order_id or counted.code != code:
        raise errors.ScanIdReused(scan_id=scan_id[:64])
    order = await uow.orders.for_scan(order_id, store_id=picker.store_id,
                                      line_id=counted.line_id)
    if order is None:
        raise errors.OrderNotFound(order_id=order_id)
    line = order.line(counted.line_id)
    await uow.commit()  # nothing written; a rollback would expire what the screen needs
    return line


def _refused_before(order_id: int, raw: str, scan_id: str,
                    refused: Refused) -> errors.PickingError:
    """The refusal stored for this scan id, raised again as it was."""
    if refused.code != raw[:200] or refused.order_id not in (None, order_id):
        return errors.ScanIdReused(scan_id=scan_id[:64])
    return errors.restore(refused.error, refused.params)


async def _record_refusal(uow: PickingUnitOfWork, picker: StaffUser, order_id: int | None,
                          raw: str, scan_id: str, err: errors.PickingError, now: datetime,
                          count_error: bool) -> None:
    await uow.scans.refuse(scan_id=scan_id, store_id=picker.store_id, order_id=order_id,
                           staff_id=picker.id, code=raw, error=type(err).__name__,
                           params=errors.storable(err), at=now)
    kind = scan_error_kind(err.code)
    if count_error and kind is not None:
        await uow.scans.note_error(store_id=picker.store_id, staff_id=picker.id,
                                   order_id=order_id, code=raw, kind=kind, at=now)


async def check_marking(checker: MarkingChecker | None, raw: str,
                        now: datetime) -> MarkingVerdict | None:
    """The marking check of a scanned code, or None (no checker, not a marking code).

    The code is read with the default scale layout: a store's layout only changes how
    13-digit scale labels read, and no marking code is one.
    """
    if checker is None:
        return None
    try:
        code = interpret(raw)
    except UnreadableCode:
        return None
    if not code.is_marking or code.marking_key is None:
        return None
    full = check_form(code.marking_key, code.marking_tail, code.raw)
    return (await checker.check([full], now))[full]


def read_code(raw: str, store: StoreInfo) -> ScannedCode:
    try:
        return interpret(raw, store.layout)
    except UnreadableCode as exc:
        raise errors.BadCode(reason=exc.code, raw=raw[:64]) from exc


async def find_product(source: Catalog | PickingUnitOfWork, store: StoreInfo,
                       code: ScannedCode) -> Product:
    """The store's product for a code: by GTIN, or by PLU for a scale label.

    ``source`` is a catalog or a unit of work (its catalog is used).
    Raises UnknownCode.
    """
    catalog: Catalog = source.catalog if hasattr(source, "catalog") else source
    product = None
    if code.gtin is not None:
        product = await catalog.by_gtin(store.id, code.gtin)
    if product is None and code.plu is not None:
        product = await catalog.by_plu(store.id, code.plu)
    if product is None:
        raise errors.UnknownCode(code=code.raw[:64])
    return product


async def record_weight(
    uow: PickingUnitOfWork, picker: StaffUser, order_id: int, line_id: int, weight_g: int, *,
    scan_id: str, now: datetime, confirm: bool = False, clock_adjusted: bool = False,
    typed_expiry: date | None = None,
) -> Line:
    """Record a typed weight on a weighed line, answered once per scan id like a scan.

    A perishable keeps the freshness promise as a scanned unit does (``typed_expiry``:
    the date on the pack). Raises the weight errors of the order, NoSuchLine,
    NotAWeighedLine, ExpiryDateNeeded, NotFreshEnough, ScanIdReused.
    """
    async with uow:
        store = await uow.stores.settings(picker.store_id)
        await uow.orders.lock(order_id)
        probe = await uow.scans.probe(store.id, order_id, scan_id, gtin=None, plu=None,
                                      marking_code=None)

        async def count() -> Line:
            order = await _order_for_scan(uow, picker, order_id, probe, line_id=line_id)
            line = order.line(line_id)
            return order.record_weight(
                line_id, weight_g, code=MANUAL_WEIGHT, scan_id=scan_id, now=now,
                staff_id=picker.id, confirm=confirm, tolerance=store.tolerance_for(line.product),
                clock_adjusted=clock_adjusted, expiry=typed_expiry,
                min_days_default=store.min_days_for(line.product))

        line, _repeated = await _answer_once(
            uow, picker, order_id, probe, scan_id=scan_id, raw=MANUAL_WEIGHT,
            counted_as=MANUAL_WEIGHT, now=now, count_error=False, count=count)
        return line


async def undo_last_scan(uow: PickingUnitOfWork, picker: StaffUser, order_id: int,
                         now: datetime, *, undo_id: str | None = None) -> Line:
    """Take back the picker's most recent counted scan; an undo id already applied
    (a replay from the phone's queue) takes back nothing more."""
    async with uow:
        order = await load_order(uow, picker, order_id)
        line = order.undo_last_scan(now=now, staff_id=picker.id, undo_id=undo_id)
        await uow.commit()
        return line


async def short_line(uow: PickingUnitOfWork, picker: StaffUser, order_id: int,
                     line_id: int, reason: str, now: datetime) -> Line:
    async with uow:
        order = await load_order(uow, picker, order_id)
        line = order.short(line_id, reason, now=now, staff_id=picker.id)
        await uow.commit()
        return line


async def finish_picking(uow: PickingUnitOfWork, picker: StaffUser, order_id: int,
                         now: datetime) -> Order:
    async with uow:
        order = await load_order(uow, picker, order_id)
        order.finish_picking(now=now, staff_id=picker.id)
        await uow.commit()
        return order


async def load_order(uow: PickingUnitOfWork, staff: StaffUser, order_id: int) -> Order:
    """The order if it belongs to the staff member's store. Raises OrderNotFound."""
    order = await uow.orders.get(order_id, store_id=staff.store_id)
    if order is None:
        raise errors.OrderNotFound(order_id=order_id)
    return order
