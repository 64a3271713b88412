"""Runs: several orders in one walk, a tote per order and zone, every unit put
into its tote with a scan of the tote's label.

A run scan decides which order of the run gets the unit (``picking.runs.assign_unit``:
the most urgent that still needs it) and then calls the one scan use case,
``app.services.picking.scan``, for that order: marking codes, weights,
substitutions and once-per-scan-id behave exactly as in single-order picking.
Which units still wait for their tote is read from the scans themselves (a
counted scan on an order of the run without a put), so nothing can be counted
and forgotten between two transactions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.services import picking as picking_service
from app.services.ports import RunsReader, RunsUnitOfWork
from app.services.run_records import ToteRow
from app.staff import StaffUser
from picking import errors
from picking.lines import _named
from picking.model import Order
from picking.runs import (
    LETTERS,
    TOTE_PREFIX,
    Candidate,
    RunRules,
    Want,
    assign_unit,
    choose_run,
    read_tote,
    tote_code,
    zones_of,
)
from picking.status import OrderStatus

NewUow = Callable[[], RunsUnitOfWork]
# A tote holds its order's goods while the order is in the store; a cancelled
# order's totes wait to be emptied back onto the shelves.
HOLDING = ("queued", "picking", "picked")


@dataclass(frozen=True)
class Pending:
    """A counted unit not yet in its tote."""

    scan_id: str
    order_id: int
    line_id: int
    quantity: int
    zone: str
    letter: str
    product: Any
    tote: str | None


@dataclass(frozen=True)
class RunScan:
    outcome: picking_service.ScanOutcome
    letter: str
    zone: str
    tote: str | None


@dataclass(frozen=True)
class Put:
    letter: str
    zone: str
    tote: str
    product: Any
    repeated: bool = False


# -- settings --------------------------------------------------------------------------

async def rules_for(reader: RunsReader, store_id: int) -> RunRules:
    return await reader.runs.rules(store_id)


async def save_rules(uow: RunsUnitOfWork, supervisor: StaffUser, rules: RunRules) -> None:
    """The supervisor's store's run settings, in place of the ones it had."""
    async with uow:
        await uow.runs.save_rules(supervisor.store_id, rules)
        await uow.commit()


# -- taking a run ----------------------------------------------------------------------

async def active_run(reader: RunsReader, picker_id: int) -> int | None:
    return await reader.runs.active_run(picker_id)


async def take_next_run(uow: RunsUnitOfWork, picker: StaffUser, now: datetime) -> int:
    """The picker's active run, else a new one: the most urgent queued order and the
    compatible ones after it, claimed in one transaction (PostgreSQL skips rows
    another picker holds; SQLite's writer transaction serialises). A picker who is
    already picking a single order gets it as a run of one. Raises NoOrderWaiting."""
    async with uow:
        current = await uow.runs.active_run(picker.id)
        if current is not None:
            return current
        single = await uow.orders.current_for_picker(picker.id)
        if single is not None:
            run_id = await _new_run(uow, picker, now, built_by=None)
            await _join(uow, run_id, [single], now)
            await uow.commit()
            return run_id
        rules = await uow.runs.rules(picker.store_id)
        chosen = await _claim(uow, picker.store_id, rules)
        if not chosen:
            raise errors.NoOrderWaiting()
        for candidate in chosen:
            order = await picking_service.load_order(uow, picker, candidate.id)
            order.start_picking(picker.id, now)
        run_id = await _new_run(uow, picker, now, built_by=None)
        await _join(uow, run_id, [c.id for c in chosen], now)
        await uow.commit()
        return run_id


async def _claim(uow: RunsUnitOfWork, store_id: int, rules: RunRules) -> list[Candidate]:
    """Choose a run among the queued orders, then hold its orders; the ones another
    picker holds (PostgreSQL) are skipped and the choice is made again without them."""
    lost: set[int] = set()
    for _attempt in range(5):
        queued = await uow.runs.queued(store_id, excluding=lost, limit=rules.max_orders * 5)
        chosen = choose_run(queued, rules)
        if not chosen:
            return chosen
        held = await uow.runs.hold_queued([c.id for c in chosen])
        if held:
            return [c for c in chosen if c.id in held]
        lost |= {c.id for c in chosen}
    return []


async def _new_run(uow: RunsUnitOfWork, picker: StaffUser, now: datetime, *,
                   built_by: int | None, picker_id: int | None = None) -> int:
    return await uow.runs.add(store_id=picker.store_id, picker_id=picker_id or picker.id,
                              now=now, built_by=built_by)


async def _join(uow: RunsUnitOfWork, run_id: int, order_ids: list[int], now: datetime) -> None:
    # An order leaves whatever run it was in before (it went back to the queue).
    await uow.runs.leave_runs(order_ids, now=now, reason="released", other_than=run_id)
    floor = await uow.runs.scan_floor()
    used = await uow.runs.letters(run_id)
    free = [letter for letter in LETTERS if letter not in used]
    if len(order_ids) > len(free):
        raise errors.InvalidQuantity(quantity=len(order_ids), reason="run")
    for order_id, letter in zip(order_ids, free, strict=False):
        await uow.runs.join(run_id, order_id, letter=letter, now=now, scan_floor=floor)


# -- reading a run ---------------------------------------------------------------------

@dataclass
class RunOrder:
    letter: str
    order: Order
    left_reason: str | None

    @property
    def active(self) -> bool:
        return self.left_reason is None and self.order.status is OrderStatus.PICKING


@dataclass
class RunView:
    id: int
    picker_id: int
    status: str
    orders: list[RunOrder]
    totes: dict[tuple[int, str], str]  # (order id, zone) -> tote code
    flagged: list[dict[str, Any]]  # totes of cancelled orders to empty
    pending: list[Pending]

    @property
    def active_orders(self) -> list[RunOrder]:
        """Orders still being picked in this run by its picker (one the supervisor gave
        to someone else, or that went back to the queue, is no longer part of it)."""
        return [ro for ro in self.orders if ro.active and ro.order.picker_id == self.picker_id]

    def unbound(self) -> list[tuple[RunOrder, str]]:
        """The (order, zone) slots that still need a tote, in letter order."""
        return [(ro, zone) for ro in self.active_orders for zone in zones_of(ro.order)
                if (ro.order.id, zone) not in self.totes]

    def letter_of(self, order_id: int) -> str:
        return next((ro.letter for ro in self.orders if ro.order.id == order_id), "?")


async def load_run(reader: RunsReader, run_id: int, store_id: int) -> RunView | None:
    run = await reader.runs.get(run_id, store_id)
    if run is None:
        return None
    orders = []
    for member in await reader.runs.members(run_id):
        order = await reader.orders.get(member.order_id, store_id=store_id, lock=False,
                                        scans=False)
        if order is not None:
            orders.append(RunOrder(member.letter, order, member.left_reason))
    bound = await reader.totes.of_orders([ro.order.id for ro in orders if ro.order.id])
    by_slot = {(r.order_id, r.zone): r.code for r in bound
               if r.order_id is not None and r.zone is not None}
    cancelled = {ro.order.id: ro.letter for ro in orders
                 if ro.order.status is OrderStatus.CANCELLED}
    flagged = [{"id": r.id, "code": r.code, "zone": r.zone, "letter": cancelled[r.order_id]}
               for r in bound if r.order_id in cancelled and r.emptied_at is None]
    view = RunView(run.id, run.picker_id, run.status, orders, by_slot, flagged, [])
    view.pending = await pending_puts(reader, view)
    return view


async def pending_puts(reader: RunsReader, view: RunView) -> list[Pending]:
    """Counted units on the run's active orders that are not in a tote yet, oldest first."""
    active = {ro.order.id: ro for ro in view.active_orders}
    if not active:
        return []
    found = []
    for unit in await reader.runs.unput_scans(view.id, [i for i in active if i is not None]):
        line = next((x for x in active[unit.order_id].order.lines if x.id == unit.line_id),
                    None)
        if line is None:
            continue
        zone = line.product.zone
        found.append(Pending(unit.scan_id, unit.order_id, unit.line_id, unit.quantity, zone,
                             active[unit.order_id].letter, line.product,
                             view.totes.get((unit.order_id, zone))))
    return found


async def _run_for(reader: RunsReader, picker: StaffUser, run_id: int) -> RunView:
    view = await load_run(reader, run_id, picker.store_id)
    if view is None or view.picker_id != picker.id or view.status != "active":
        raise errors.RunNotFound(run_id=run_id)
    return view


# -- totes -----------------------------------------------------------------------------

async def bind_tote(uow: RunsUnitOfWork, picker: StaffUser, run_id: int, raw: str,
                    now: datetime) -> tuple[str, str, str]:
    """Bind the scanned tote to the next order and zone of the run without one.

    Returns (letter, zone, tote code). Raises ToteUnknown, ToteDamaged,
    ToteOfAnotherStore, ToteTaken (another order's, or every slot has a tote)."""
    async with uow:
        view = await _run_for(uow, picker, run_id)
        store = await uow.stores.settings(picker.store_id)
        rules = await uow.runs.rules(picker.store_id)
        label = read_tote(raw, store.code, rules.own_tote_prefix)
        tote = await uow.totes.get(picker.store_id, label.code, lock=True)
        if tote is None:
            if label.kind == "printed":
                raise errors.ToteUnknown(tote=label.code)
            # Two pickers binding one new tote: the second waits on the unique
            # index (PostgreSQL) and fails at the insert.
            if not await uow.totes.add_own(picker.store_id, label.code):
                raise errors.ToteTaken(tote=raw.strip().upper()[:40])
            tote = await uow.totes.get(picker.store_id, label.code, lock=True)
            assert tote is not None
        if tote.order_id is not None and await _holds_goods(uow, tote):
            same = [(ro.letter, tote.zone) for ro in view.active_orders
                    if ro.order.id == tote.order_id]
            if same:
                return same[0][0], tote.zone or "", label.code  # bound already: scanned twice
            raise errors.ToteTaken(tote=label.code)
        slots = view.unbound()
        if not slots:
            raise errors.ToteTaken(tote=label.code)
        member, zone = slots[0]
        await uow.totes.bind(tote.id, order_id=member.order.id or 0, zone=zone, now=now,
                             staff_id=picker.id)
        await uow.commit()
        return member.letter, zone, label.code


async def _holds_goods(uow: RunsUnitOfWork, tote: ToteRow) -> bool:
    status = await uow.totes.holder_status(tote.order_id or 0)
    return status in HOLDING or (status == "cancelled" and tote.emptied_at is None)


async def print_totes(uow: RunsUnitOfWork, staff: StaffUser, count: int) -> list[str]:
    """``count`` new printed totes for the staff member's store (their codes, to print)."""
    async with uow:
        last = await uow.totes.count_printed(staff.store_id)
        codes = [tote_code(staff.store_code, last + i + 1) for i in range(count)]
        await uow.totes.add_printed(staff.store_id, codes)
        await uow.commit()
        return codes


async def tote_emptied(uow: RunsUnitOfWork, staff: StaffUser, tote_id: int,
                       now: datetime) -> None:
    """A cancelled order's tote is back on the shelf: free for another order."""
    async with uow:
        await uow.totes.emptied(tote_id, staff.store_id, now)
        await uow.commit()


async def is_tote_label(reader: RunsReader, store_id: int, raw: str) -> bool:
    """Whether a scanned code is a tote label (storepick's or the store's own) rather
    than an item: the run page's one scan field takes both."""
    text = raw.strip().upper()
    if text.startswith(TOTE_PREFIX):
        return True
    prefix = (await reader.runs.rules(store_id)).own_tote_prefix
    return bool(prefix) and text.startswith(prefix.upper())  # type: ignore[union-attr]


# -- scanning and putting --------------------------------------------------------------

async def scan_in_run(new_uow: NewUow, picker: StaffUser, run_id: int, raw: str, *,
                      scan_id: str, now: datetime, quantity: int = 1, confirm: bool = False,
                      clock_adjusted: bool = False) -> RunScan:
    """Decide which order of the run gets the unit, then count it with the one scan
    use case. Raises RunNotFound, TotesNotBound, PutFirst, NotNeededInRun and every
    error of ``picking.scan``."""
    order_id, letter, bound = await _route(new_uow, picker, run_id, raw, scan_id, now)
    outcome = await picking_service.scan(
        new_uow(), picker, order_id, raw, scan_id=scan_id, now=now, quantity=quantity,
        confirm=confirm, clock_adjusted=clock_adjusted)
    zone = outcome.product.zone
    return RunScan(outcome, letter, zone, bound.get((order_id, zone)))


async def _route(new_uow: NewUow, picker: StaffUser, run_id: int, raw: str, scan_id: str,
                 now: datetime) -> tuple[int, str, dict[tuple[int, str], str]]:
    """The order a run scan is for (with its letter, and the run's totes). A scan id
    answered before keeps its order."""
    uow = new_uow()
    async with uow:
        view = await _run_for(uow, picker, run_id)
        order_id = await _route_in(uow, picker, view, raw, scan_id, now)
        return order_id, view.letter_of(order_id), dict(view.totes)


async def _route_in(uow: RunsUnitOfWork, picker: StaffUser, view: RunView, raw: str,
                    scan_id: str, now: datetime) -> int:
    run_id = view.id
    known = await uow.runs.counted_order(scan_id)
    if known is not None:
        return known
    refused = await uow.runs.refused(scan_id)
    if refused is not None:
        if refused.order_id is not None:
            return int(refused.order_id)  # the scan use case answers it again
        if refused.code != raw[:200]:
            raise errors.ScanIdReused(scan_id=scan_id[:64])
        raise errors.restore(refused.error, dict(refused.params or {}))
    active = view.active_orders
    first = active[0].order.id if active else None
    if first is None:
        raise errors.RunNotFound(run_id=run_id)
    store = await uow.stores.settings(picker.store_id)
    try:
        code = picking_service.read_code(raw, store)
        product = await picking_service.find_product(uow, store, code)
    except errors.PickingError:
        return first  # the scan use case refuses it and records why
    problem: errors.PickingError | None = None
    order_id: int | None = None
    unbound = view.unbound()
    if unbound:
        problem = errors.TotesNotBound(letter=unbound[0][0].letter, zone=unbound[0][1])
    elif view.pending:
        p = view.pending[0]
        problem = errors.PutFirst(**_named(p.product), letter=p.letter, zone=p.zone,
                                  expected=p.tote or "")
    else:
        order_id = assign_unit(
            Want(ro.order.id or 0, ro.order.priority, ro.order.due_at,
                 sum(x.remaining for x in ro.order.lines
                     if x.product.sku == product.sku and not x.is_done))
            for ro in active)
        if order_id is None:
            problem = errors.NotNeededInRun(**_named(product))
    if problem is not None:
        await uow.scans.refuse(scan_id=scan_id, store_id=picker.store_id, order_id=None,
                               staff_id=picker.id, code=raw, error=type(problem).__name__,
                               params=errors.storable(problem), at=now)
        await uow.commit()
        raise problem
    assert order_id is not None
    return order_id


async def put_to_tote(uow: RunsUnitOfWork, picker: StaffUser, run_id: int, raw: str, *,
                      put_id: str, now: datetime) -> Put:
    """Put the oldest unit still in hand into the tote whose label was scanned.

    Answered once per put id (a replay returns the same answer). Raises RunNotFound,
    NoItemToPut, WrongTote and the tote label errors."""
    async with uow:
        view = await _run_for(uow, picker, run_id)
        done = await uow.totes.put(put_id)
        if done is not None:
            return Put(view.letter_of(done.order_id), done.zone, done.code,
                       _product_of(view, done.order_id, done.line_id), repeated=True)
        refused = await uow.runs.refused(put_id)
        if refused is not None:
            if refused.code != raw[:200]:
                raise errors.ScanIdReused(scan_id=put_id[:64])
            raise errors.restore(refused.error, dict(refused.params or {}))
        try:
            put = await _put(uow, picker, view, raw, put_id, now)
        except errors.PickingError as err:
            pending = view.pending[0].order_id if view.pending else None
            await uow.scans.refuse(scan_id=put_id, store_id=picker.store_id, order_id=pending,
                                   staff_id=picker.id, code=raw, error=type(err).__name__,
                                   params=errors.storable(err), at=now)
            await uow.commit()
            raise
        await uow.commit()
        return put


async def _put(uow: RunsUnitOfWork, picker: StaffUser, view: RunView, raw: str,
               put_id: str, now: datetime) -> Put:
    store = await uow.stores.settings(picker.store_id)
    rules = await uow.runs.rules(picker.store_id)
    label = read_tote(raw, store.code, rules.own_tote_prefix)
    tote = await uow.totes.get(picker.store_id, label.code, lock=False)
    if not view.pending:
        raise errors.NoItemToPut(tote=label.code)
    unit = view.pending[0]
    if tote is None and label.kind == "printed":
        raise errors.ToteUnknown(tote=label.code)
    if tote is None or tote.order_id != unit.order_id or tote.zone != unit.zone:
        raise errors.WrongTote(tote=label.code, letter=unit.letter, zone=unit.zone,
                               expected=unit.tote or "")
    await uow.totes.add_put(put_id=put_id, tote_id=tote.id, order_id=unit.order_id,
                            line_id=unit.line_id, item_scan_id=unit.scan_id,
                            quantity=unit.quantity, staff_id=picker.id, at=now)
    return Put(unit.letter, unit.zone, label.code, unit.product)


def _product_of(view: RunView, order_id: int, line_id: int) -> Any:
    for ro in view.orders:
        if ro.order.id == order_id:
            for line in ro.order.lines:
                if line.id == line_id:
                    return line.product
    return None


# -- finishing, leaving ----------------------------------------------------------------

async def finish_in_run(new_uow: NewUow, picker: StaffUser, run_id: int, order_id: int,
                        now: datetime) -> bool:
    """Finish one order of the run while the rest continue; True when that was the
    run's last order (the run is closed). Raises PutsPending, LinesStillOpen..."""
    uow = new_uow()
    async with uow:
        view = await _run_for(uow, picker, run_id)
        if not any(ro.order.id == order_id for ro in view.active_orders):
            raise errors.RunNotFound(run_id=run_id)
        waiting = [p for p in view.pending if p.order_id == order_id]
        if waiting:
            raise errors.PutsPending(count=len(waiting))
    await picking_service.finish_picking(new_uow(), picker, order_id, now)
    uow = new_uow()
    async with uow:
        await uow.runs.leave(run_id, order_id, now=now, reason="finished")
        closed = await _close_if_done(uow, run_id, now)
        await uow.commit()
        return closed


async def _close_if_done(uow: RunsUnitOfWork, run_id: int, now: datetime) -> bool:
    if await uow.runs.still_picking(run_id):
        return False
    await uow.runs.close(run_id, now)
    return True


async def release_runs(uow: RunsUnitOfWork, staff_id: int, store_id: int,
                       now: datetime) -> int:
    """The picker signs out mid-run: each order still being picked goes back to the
    queue (its scans kept, its totes keep what was put in them), the run closes.
    Returns how many orders went back."""
    async with uow:
        back = 0
        for run_id in await uow.runs.active_run_ids(staff_id):
            for order_id in await uow.runs.open_members(run_id):
                order = await uow.orders.get(order_id, store_id=store_id)
                if order is not None and order.status is OrderStatus.PICKING \
                        and order.picker_id == staff_id:
                    order.unassign_picker(now=now, actor_id=staff_id)
                    back += 1
                await uow.runs.leave(run_id, order_id, now=now, reason="released")
            await uow.runs.close(run_id, now)
        await uow.commit()
        return back


# -- the supervisor --------------------------------------------------------------------

async def build_run(uow: RunsUnitOfWork, supervisor: StaffUser, picker_id: int,
                    order_ids: list[int], now: datetime) -> int:
    """Give these orders to the picker as a run (added to their active run, if any).
    Raises OrderNotFound, OrderCancelled, OrderNotPickable, InvalidQuantity."""
    async with uow:
        if await uow.runs.picker_store(picker_id) != supervisor.store_id:
            raise errors.OrderNotFound()
        run_id = await uow.runs.active_run(picker_id)
        for order_id in order_ids:
            order = await picking_service.load_order(uow, supervisor, order_id)
            order.assign_picker(picker_id, now=now, actor_id=supervisor.id)
            await uow.runs.leave_runs([order_id], now=now, reason="removed")
        if run_id is None:
            run_id = await _new_run(uow, supervisor, now, built_by=supervisor.id,
                                    picker_id=picker_id)
        await _join(uow, run_id, order_ids, now)
        await uow.commit()
        return run_id


async def remove_from_run(uow: RunsUnitOfWork, supervisor: StaffUser, run_id: int,
                          order_id: int, now: datetime) -> None:
    """Take one order out of a run, back to the queue (its totes keep their goods)."""
    async with uow:
        if not await uow.runs.is_member(run_id, order_id, supervisor.store_id):
            raise errors.RunNotFound(run_id=run_id)
        order = await picking_service.load_order(uow, supervisor, order_id)
        if order.status is OrderStatus.PICKING:
            order.unassign_picker(now=now, actor_id=supervisor.id)
        await uow.runs.leave(run_id, order_id, now=now, reason="removed")
        await _close_if_done(uow, run_id, now)
        await uow.commit()


async def active_runs(reader: RunsReader, store_id: int) -> list[dict[str, Any]]:
    """The store's active runs for the board: picker, orders (letter, id, why it left)
    and how many units wait for their tote."""
    runs = []
    for run in await reader.runs.board(store_id):
        members = await reader.runs.members(run.id)
        view = await load_run(reader, run.id, store_id)
        runs.append({"id": run.id, "picker_id": run.picker_id, "picker": run.picker,
                     "by_hand": run.built_by is not None, "created_at": run.created_at,
                     "orders": [{"letter": m.letter, "order_id": m.order_id,
                                 "left": m.left_reason} for m in members],
                     "pending": len(view.pending) if view else 0,
                     "totes": len(view.totes) if view else 0})
    return runs


async def waiting_puts(reader: RunsReader, order_id: int) -> int:
    """Units of this order, in an active run, counted but not yet in their tote (0 when
    the order is in no run): its own pick page may not finish it before they are."""
    found = await reader.runs.run_of_order(order_id)
    if found is None:
        return 0
    run_id, store_id = found
    view = await load_run(reader, run_id, store_id)
    return 0 if view is None else sum(1 for p in view.pending if p.order_id == order_id)
