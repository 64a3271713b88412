"""Supervisor services: assign, unassign, raise priority; and refused-scan records.

Each action takes a unit of work and the signed-in supervisor, loads the order
of the supervisor's store, asks the aggregate (which records the audited
event) and commits. Rollback is the default. Storage only through the ports of
``app.services.ports_floor``.
"""

from __future__ import annotations

import logging
from datetime import datetime

from app.services.picking import load_order
from app.services.ports_floor import FloorUnitOfWork
from app.services.stores import store_changed
from app.staff import StaffUser
from picking.board import parse_time_limits, scan_error_kind
from picking.errors import PickerBusy
from picking.model import Order
from picking.supervision import PickerNotAvailable

log = logging.getLogger("storepick.board")
PICKING_ROLES = ("picker", "supervisor")


async def assign_picker(uow: FloorUnitOfWork, supervisor: StaffUser, order_id: int, picker_id: int,
                        now: datetime, *, busy_confirmed: bool = False) -> Order:
    """Give the order to a picker of the same store (assign or reassign).

    The order keeps the moment it entered its status, so its time limit runs on.
    A picker already picking another order gets this one only when the
    supervisor confirmed (``busy_confirmed``); otherwise PickerBusy, nothing saved.
    Raises OrderNotFound, PickerNotAvailable, PickerBusy, OrderCancelled,
    OrderNotPickable.
    """
    async with uow:
        name = await _require_picker(uow, supervisor, picker_id)
        order = await load_order(uow, supervisor, order_id)
        if not busy_confirmed and order.picker_id != picker_id:
            others = await uow.floor.orders_being_picked(picker_id, besides=order_id)
            if others:
                raise PickerBusy(picker_id=picker_id, name=name, orders=others)
        order.assign_picker(picker_id, now=now, actor_id=supervisor.id)
        await uow.commit()
        return order


async def unassign_picker(uow: FloorUnitOfWork, supervisor: StaffUser, order_id: int,
                          now: datetime) -> Order:
    """Put an order being picked back in the queue. Raises InvalidTransition."""
    async with uow:
        order = await load_order(uow, supervisor, order_id)
        order.unassign_picker(now=now, actor_id=supervisor.id)
        await uow.commit()
        return order


async def raise_priority(uow: FloorUnitOfWork, supervisor: StaffUser, order_id: int,
                         now: datetime) -> Order:
    """Move the order up the queue. Raises InvalidTransition at the top priority."""
    async with uow:
        order = await load_order(uow, supervisor, order_id)
        order.raise_priority(now=now, actor_id=supervisor.id)
        await uow.commit()
        return order


async def record_refused_scan(uow: FloorUnitOfWork, staff: StaffUser, order_id: int | None,
                              code: str, error: Exception, now: datetime) -> bool:
    """Count one refused scan in the board's statistics, in its own short transaction.

    For a photo, whose symbols are each answered (and remembered) by the scan path
    without counting, and which counts as one refusal at most. Errors that are not
    scan errors (warnings, someone else's order...) are ignored. Never raises: a
    failure to record is logged, the picker's answer must not change. Returns True
    when a row was written.
    """
    kind = scan_error_kind(getattr(error, "code", ""))
    if kind is None:
        return False
    try:
        async with uow:
            order_id = await uow.floor.order_of_store(order_id, staff.store_id)
            await uow.scans.note_error(
                store_id=staff.store_id, staff_id=staff.id, order_id=order_id, code=code,
                kind=kind, at=now)
            await uow.commit()
    except Exception:
        log.exception("could not record a refused scan")
        return False
    return True


async def _require_picker(uow: FloorUnitOfWork, supervisor: StaffUser, picker_id: int) -> str:
    """The picker's name. Raises PickerNotAvailable."""
    found = await uow.floor.picker_name(supervisor.store_id, picker_id, PICKING_ROLES)
    if found is None:
        raise PickerNotAvailable(picker_id=picker_id)
    return found


async def set_time_limits(uow: FloorUnitOfWork, supervisor: StaffUser, typed: dict[str, str]
                          ) -> dict[str, int]:
    """Save the store's per-status time limits from a form; returns them.

    Raises InvalidTimeLimit (nothing saved). The change is logged with who made it.
    """
    limits = parse_time_limits(typed)
    async with uow:
        await uow.stores.save_time_limits(supervisor.store_id, limits)
        await uow.commit()
    await store_changed(supervisor.store_id)  # in force in every process at once
    log.info("time limits of store %s set to %s by staff %s", supervisor.store_code, limits,
             supervisor.id)
    return limits
