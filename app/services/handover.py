"""Packing and handover services: load, ask the aggregate, commit.

Each function takes a unit of work (``app.services.ports_handover``) and the
signed-in staff member and raises the domain's PickingError subclasses
(``picking.handover_facts``) for anything a person can get wrong; nothing is written
when one is raised.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.services import arrival
from app.services.picking import load_order
from app.services.ports_handover import HandoverUnitOfWork
from app.staff import StaffUser
from picking import errors
from picking.bags import BadBagCode, BagCode, parse_bag_code
from picking.codes import UnreadableCode, interpret
from picking.handover import Bag
from picking.handover_facts import (
    BadBag,
    PickupCodeAlreadyUsed,
    TooManyPickupAttempts,
    WrongPickupCode,
)
from picking.marking import MarkingVerdict, withdraw_refused
from picking.model import Order

PICKUP_CODE_DIGITS = 6
PICKUP_QR_PREFIX = "SP-PICKUP:"
MAX_CODE_FAILURES = 5
CODE_FAILURE_WINDOW = timedelta(minutes=15)
USED_CODE_MEMORY = timedelta(hours=12)  # a re-entered code is recognised this long


def hash_pickup_code(code: str) -> str:
    return hashlib.sha256(f"pickup:{code}".encode()).hexdigest()


async def pack_order(uow: HandoverUnitOfWork, staff: StaffUser, order_id: int, bags: dict[str, int],
                     staging: dict[str, str], now: datetime,
                     check_in_link: arrival.CheckInLink | None = None
                     ) -> tuple[Order, str | None]:
    """Pack a picked order; returns it and the customer's pickup code (collect only).

    A collect order packed with ``check_in_link`` gets a fresh customer link to check
    in on (sent in ``OrderPacked``) and its code sealed for that page.
    Raises WrongHandoverStep, InvalidPacking, OrderNotFound.
    """
    async with uow:
        order = await _load(uow, staff, order_id)
        code = await _new_pickup_code(uow) if order.fulfilment == "collect" else None
        url = (await arrival.open_check_in(uow, order, code, now, check_in_link)
               if order.status == "picked" else None)
        handover = order.pack(bags, staging, now=now, staff_id=staff.id, pickup_code=code,
                              pickup_code_hash=hash_pickup_code(code) if code else None,
                              customer_url=url)
        handover.order_id = order.id
        uow.handovers.add(handover)
        await uow.commit()
        return order, code


async def _new_pickup_code(uow: HandoverUnitOfWork) -> str:
    """Six random digits that no order waiting for collection uses."""
    for _attempt in range(20):
        code = f"{secrets.randbelow(10 ** PICKUP_CODE_DIGITS):0{PICKUP_CODE_DIGITS}d}"
        if not await uow.handovers.code_waiting(hash_pickup_code(code)):
            return code
    raise RuntimeError("no free pickup code")  # pragma: no cover - 1e6 codes


def read_bag(raw: str) -> BagCode:
    try:
        return parse_bag_code(raw)
    except BadBagCode as exc:
        raise BadBag(reason=exc.reason, raw=raw[:64]) from exc


async def scan_bag(uow: HandoverUnitOfWork, staff: StaffUser, raw: str, now: datetime,
                   order_id: int | None = None) -> tuple[Order, Bag, bool]:
    """Check one bag out for handover, on ``order_id`` or on the order the label names.

    Returns the order, the bag and whether the scan was new. Raises BadBag,
    BagFromAnotherOrder, UnknownBag, WrongHandoverStep, OrderNotFound.
    """
    code = read_bag(raw)
    async with uow:
        if order_id is None:
            order = await uow.orders.by_oms_id(code.oms_id)
            if order is None or order.store_id != staff.store_id:
                raise errors.OrderNotFound(order=code.oms_id)
            await uow.handovers.attach(order)
        else:
            order = await _load(uow, staff, order_id)
        bag, fresh = order.scan_bag(code, now=now, staff_id=staff.id)
        await uow.commit()
        return order, bag, fresh


async def take_order(uow: HandoverUnitOfWork, courier: StaffUser, order_id: int, now: datetime, *,
                     recheck: Mapping[str, MarkingVerdict] | None = None) -> Order:
    """The courier takes the order. Raises BagsMissing, WrongHandoverStep, and
    MarkedUnitsWithdrawn when the marking re-check (``recheck``, by unit key) refused
    packed units: they are taken off the order (committed) and the order stays."""
    async with uow:
        order = await _load(uow, courier, order_id)
        await _withdraw_refused(uow, order, recheck, now, courier.id)
        order.hand_over_to_courier(courier.id, now=now)
        await uow.commit()
        return order


async def refuse_line(uow: HandoverUnitOfWork, staff: StaffUser, order_id: int, line_id: int,
                      quantity: int, reason: str, now: datetime, *,
                      unit_code: str = "") -> Order:
    """Record a line refused at the counter or the door. A marked unit is refused by
    scanning its code (``unit_code``, any form). Raises InvalidRefusal."""
    key = None
    if unit_code.strip():
        try:
            key = interpret(unit_code).marking_key
        except UnreadableCode:
            key = None
        if key is None:
            raise errors.InvalidRefusal(reason="marking_code", value=unit_code[:64])
    async with uow:
        order = await _load(uow, staff, order_id)
        order.refuse(line_id, quantity, reason, now=now, staff_id=staff.id, marking_code=key)
        await uow.commit()
        return order


async def check_delivery(uow: HandoverUnitOfWork, courier: StaffUser, order_id: int,
                         now: datetime, *, id_checked: bool) -> None:
    """Would ``deliver`` be accepted now? Every check it makes (store, courier, state,
    ID check), nothing written: a proof photo is decoded and stored only after this.
    Raises as ``deliver`` does."""
    async with uow:
        order = await _load(uow, courier, order_id)
        order.deliver(now=now, courier_id=courier.id, id_checked=id_checked)
        # no commit: leaving the unit of work rolls the trial back


async def deliver(uow: HandoverUnitOfWork, courier: StaffUser, order_id: int, now: datetime, *,
                  id_checked: bool, proof_photo: str | None = None) -> Order:
    """Mark delivered. Raises NotYourDelivery, IdCheckRequired, WrongHandoverStep."""
    async with uow:
        order = await _load(uow, courier, order_id)
        order.deliver(now=now, courier_id=courier.id, id_checked=id_checked,
                      proof_photo=proof_photo)
        await uow.commit()
        return order


async def fail_delivery(uow: HandoverUnitOfWork, courier: StaffUser, order_id: int, reason: str,
                        note: str, now: datetime) -> Order:
    """Mark the delivery failed. Raises NotYourDelivery, InvalidRefusal (reason)."""
    async with uow:
        order = await _load(uow, courier, order_id)
        order.fail_delivery(reason, note, now=now, courier_id=courier.id)
        await uow.commit()
        return order


async def return_to_staging(uow: HandoverUnitOfWork, staff: StaffUser, order_id: int,
                            now: datetime) -> Order:
    """A failed delivery is back on the staging shelf. Raises WrongHandoverStep."""
    async with uow:
        order = await _load(uow, staff, order_id)
        order.return_to_staging(now=now, staff_id=staff.id)
        await uow.commit()
        return order


async def check_pickup_code(uow: HandoverUnitOfWork, staff: StaffUser, raw: str,
                            now: datetime) -> int:
    """The order waiting for the customer who shows ``raw`` (typed or their QR).

    Raises TooManyPickupAttempts after 5 wrong codes in 15 minutes by this
    person; PickupCodeAlreadyUsed (no attempt used) for the code of an order
    handed over in the last hours; WrongPickupCode otherwise when no order of
    the store matches.
    """
    code = _pickup_digits(raw)
    async with uow:
        since = now - CODE_FAILURE_WINDOW
        failures = await uow.pickup_attempts.failures_since(staff.id, since)
        if failures >= MAX_CODE_FAILURES:
            raise TooManyPickupAttempts(minutes=int(CODE_FAILURE_WINDOW.total_seconds() // 60))
        order_id = await _order_by_code(uow, staff, code)
        if order_id is None:
            await _refuse_if_handed_over(uow, staff, code, now)
            await uow.pickup_attempts.add_failure(staff.id, now)
            await uow.commit()
            raise WrongPickupCode(left=MAX_CODE_FAILURES - failures - 1)
        order = await _load(uow, staff, order_id)
        order.check_pickup_code(now=now, staff_id=staff.id)
        await uow.commit()
        return order_id


async def _refuse_if_handed_over(uow: HandoverUnitOfWork, staff: StaffUser, code: str,
                                 now: datetime) -> None:
    """A code re-entered after its order left the counter: say when, use no attempt.

    Codes are unique only among orders still waiting, so only recent handovers count.
    """
    if len(code) != PICKUP_CODE_DIGITS or not code.isdigit():
        return
    found = await uow.handovers.handed_over_since(staff.store_id, hash_pickup_code(code),
                                                  now - USED_CODE_MEMORY)
    if found is not None:
        oms_id, at = found
        local = at.astimezone(ZoneInfo(staff.timezone)).strftime("%H:%M")
        raise PickupCodeAlreadyUsed(order=oms_id, time=local)


def _pickup_digits(raw: str) -> str:
    text = raw.strip()
    if text.upper().startswith(PICKUP_QR_PREFIX):
        text = text.rsplit(":", 1)[-1]
    return text.replace(" ", "").replace("-", "")


async def _order_by_code(uow: HandoverUnitOfWork, staff: StaffUser, code: str) -> int | None:
    if len(code) != PICKUP_CODE_DIGITS or not code.isdigit():
        return None
    return await uow.handovers.waiting_for(staff.store_id, hash_pickup_code(code))


async def hand_over_to_customer(uow: HandoverUnitOfWork, staff: StaffUser, order_id: int,
                                now: datetime, *, id_checked: bool,
                                recheck: Mapping[str, MarkingVerdict] | None = None) -> Order:
    """Give a collect order to the customer. Raises PickupCodeNotChecked, BagsMissing,
    IdCheckRequired, MarkedUnitsWithdrawn (as ``take_order``)."""
    async with uow:
        order = await _load(uow, staff, order_id)
        await _withdraw_refused(uow, order, recheck, now, staff.id)
        came = await uow.pickups.arrival(order_id)
        order.hand_over_to_customer(now=now, staff_id=staff.id, id_checked=id_checked,
                                    waited_seconds=came.waited_seconds(now) if came else None)
        await uow.commit()
        return order


async def _withdraw_refused(uow: HandoverUnitOfWork, order: Order,
                            recheck: Mapping[str, MarkingVerdict] | None, now: datetime,
                            staff_id: int) -> None:
    """Apply the re-check; units it refused leave the order now, and the person handing
    over is stopped to take them out of the bags."""
    if not recheck or order.status != "packed":
        return
    withdrawn = withdraw_refused(order, recheck, now=now, staff_id=staff_id)
    if withdrawn:
        await uow.commit()
        raise errors.MarkedUnitsWithdrawn(units=withdrawn)


async def _load(uow: HandoverUnitOfWork, staff: StaffUser, order_id: int) -> Order:
    """The order with its handover, if it is in the staff member's store."""
    return await uow.handovers.attach(await load_order(uow, staff, order_id))
