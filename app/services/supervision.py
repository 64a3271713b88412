"""Supervisor services: assign, unassign, raise priority; and refused-scan records.

Each action takes a unit of work and the signed-in supervisor, loads the order
of the supervisor's store, asks the aggregate (which records the audited
event) and commits. Rollback is the default.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select, update

from app.db import tables
from app.db.engine import Database
from app.db.repositories import ScanRepository
from app.db.uow import UnitOfWork
from app.services.picking import load_order
from app.services.stores import store_changed
from app.staff import StaffUser
from picking.board import parse_time_limits, scan_error_kind
from picking.errors import PickerBusy
from picking.model import Order
from picking.status import OrderStatus
from picking.supervision import PickerNotAvailable

log = logging.getLogger("storepick.board")
PICKING_ROLES = ("picker", "supervisor")


async def assign_picker(uow: UnitOfWork, supervisor: StaffUser, order_id: int, picker_id: int,
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
            others = await _orders_being_picked(uow, picker_id, besides=order_id)
            if others:
                raise PickerBusy(picker_id=picker_id, name=name, orders=others)
        order.assign_picker(picker_id, now=now, actor_id=supervisor.id)
        await uow.commit()
        return order


async def unassign_picker(uow: UnitOfWork, supervisor: StaffUser, order_id: int,
                          now: datetime) -> Order:
    """Put an order being picked back in the queue. Raises InvalidTransition."""
    async with uow:
        order = await load_order(uow, supervisor, order_id)
        order.unassign_picker(now=now, actor_id=supervisor.id)
        await uow.commit()
        return order


async def raise_priority(uow: UnitOfWork, supervisor: StaffUser, order_id: int,
                         now: datetime) -> Order:
    """Move the order up the queue. Raises InvalidTransition at the top priority."""
    async with uow:
        order = await load_order(uow, supervisor, order_id)
        order.raise_priority(now=now, actor_id=supervisor.id)
        await uow.commit()
        return order


async def record_refused_scan(db: Database, staff: StaffUser, order_id: int | None, code: str,
                              error: Exception, now: datetime) -> bool:
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
        async with db.writing() as session:
            o = tables.orders.c
            order_id = await session.scalar(select(o.id).where(
                o.id == order_id, o.store_id == staff.store_id))
            await ScanRepository(session).note_error(
                store_id=staff.store_id, staff_id=staff.id, order_id=order_id, code=code,
                kind=kind, at=now)
            await session.commit()
    except Exception:
        log.exception("could not record a refused scan")
        return False
    return True


async def _require_picker(uow: UnitOfWork, supervisor: StaffUser, picker_id: int) -> str:
    """The picker's name. Raises PickerNotAvailable."""
    s = tables.staff.c
    found = await uow.session.scalar(select(s.name).where(
        s.id == picker_id, s.store_id == supervisor.store_id, s.active.is_(True),
        s.role.in_(PICKING_ROLES)))
    if found is None:
        raise PickerNotAvailable(picker_id=picker_id)
    return str(found)


async def _orders_being_picked(uow: UnitOfWork, picker_id: int, *, besides: int) -> int:
    o = tables.orders.c
    count = await uow.session.scalar(select(func.count()).where(
        o.picker_id == picker_id, o.status == OrderStatus.PICKING.value, o.id != besides))
    return int(count or 0)


async def set_time_limits(db: Database, supervisor: StaffUser, typed: dict[str, str]
                          ) -> dict[str, int]:
    """Save the store's per-status time limits from a form; returns them.

    Raises InvalidTimeLimit (nothing saved). The change is logged with who made it.
    """
    limits = parse_time_limits(typed)
    async with db.writing() as session:
        await session.execute(update(tables.stores)
                              .where(tables.stores.c.id == supervisor.store_id)
                              .values(time_limits=limits))
        await session.commit()
    await store_changed(supervisor.store_id)  # in force in every process at once
    log.info("time limits of store %s set to %s by staff %s", supervisor.store_code, limits,
             supervisor.id)
    return limits
