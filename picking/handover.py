"""Packing, staging and handover: the rules Order inherits through HandoverRules.

After picking, an order is packed into bags per temperature zone and staged
(shelf, fridge, freezer). A courier takes it by scanning every bag; a click &
collect customer gets it at the counter after showing their pickup code. Lines
may be refused at handover (refunded), and a delivery may fail with a reason,
which brings the order back to the store. Every method checks before it
mutates, so a raised error changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from picking.bags import MAX_BAGS_PER_ZONE, ZONES, BagCode, PackItem
from picking.handover_facts import (
    FAILURE_REASONS,
    REFUSAL_REASONS,
    BagFromAnotherOrder,
    BagsMissing,
    DeliveryFailed,
    IdCheckRequired,
    InvalidPacking,
    InvalidRefusal,
    NothingToPack,
    NotYourDelivery,
    OrderDelivered,
    OrderHandedOver,
    OrderPacked,
    OrderReturned,
    PickupCodeNotChecked,
    UnknownBag,
    WrongHandoverStep,
)
from picking.handover_records import Bag, Handover, Refusal
from picking.lines import Line
from picking.settlement import returnable_unit, settlement
from picking.status import OrderStatus

__all__ = ["Bag", "Handover", "HandoverRules", "Refusal"]  # records re-exported


class HandoverRules:
    """Mixin for Order: packing and handover. ``handover`` is attached by the
    service that loads it (None until the order is packed)."""

    handover: Handover | None = None

    if TYPE_CHECKING:
        id: int | None
        oms_id: str
        status: OrderStatus
        fulfilment: str
        lines: list[Line]

        def _record(self, event: Any) -> None: ...
        def _id(self) -> int: ...
        def move_to(self, status: OrderStatus) -> None: ...

    # -- packing -----------------------------------------------------------

    def pack_items(self) -> list[PackItem]:
        return [PackItem(ln.product.zone, self.kept_quantity(ln), ln.is_weighed)
                for ln in self.lines]

    def pack(self, bags: dict[str, int], staging: dict[str, str], *, now: datetime,
             staff_id: int | None, pickup_code: str | None = None,
             pickup_code_hash: str | None = None,
             customer_url: str | None = None) -> Handover:
        """Close packing: bags per zone, where each zone is staged. Status → packed.

        Every zone with goods needs 1–20 bags and a staging place; zones without
        goods take none. Raises WrongHandoverStep, InvalidPacking, and NothingToPack for
        an order of which nothing was picked (no bag, nothing to hand over).
        """
        self._require(OrderStatus.PICKED)
        needed = {item.zone for item in self.pack_items() if item.quantity > 0}
        if not needed:
            raise NothingToPack(order=self.oms_id)
        counts = {z: int(bags.get(z, 0)) for z in ZONES}
        for zone in ZONES:
            if (zone in needed) != (counts[zone] > 0) or counts[zone] > MAX_BAGS_PER_ZONE:
                raise InvalidPacking(zone=zone, reason="bags")
            if counts[zone] and not staging.get(zone, "").strip():
                raise InvalidPacking(zone=zone, reason="place")
        total = sum(counts.values())
        numbers = iter(range(1, total + 1))
        handover = Handover(
            packed_at=now, packed_by=staff_id, pickup_code_hash=pickup_code_hash,
            staging={z: staging[z].strip()[:32] for z in ZONES if counts[z]},
            cold_seconds=self._cold_seconds(now, needed),
            bags=[Bag(next(numbers), total, z) for z in ZONES for _ in range(counts[z])])
        self.handover = handover
        self.move_to(OrderStatus.PACKED)
        self._record(OrderPacked(
            order_id=self._id(), occurred_at=now, actor_id=staff_id, bags=counts,
            bag_count=total, staging=handover.staging, cold_seconds=handover.cold_seconds,
            pickup_code=pickup_code if self.fulfilment == "collect" else None,
            customer_url=customer_url if self.fulfilment == "collect" else None))
        return handover

    def _cold_seconds(self, now: datetime, zones: set[str]) -> dict[str, int]:
        """From the first chilled/frozen item picked to staging in the cold."""
        out: dict[str, int] = {}
        for zone in ("chilled", "frozen"):
            times = [s.scanned_at for ln in self.lines if ln.product.zone == zone
                     for s in ln.live_scans()]
            if zone in zones and times:
                out[zone] = max(int((now - min(times)).total_seconds()), 0)
        return out

    # -- bags at handover --------------------------------------------------

    def scan_bag(self, code: BagCode, *, now: datetime, staff_id: int | None) -> tuple[Bag, bool]:
        """Check one bag out; returns the bag and whether it was new for this person.

        Raises BagFromAnotherOrder, UnknownBag, WrongHandoverStep.
        """
        if code.oms_id != self.oms_id:
            raise BagFromAnotherOrder(order=self.oms_id, bag_order=code.oms_id)
        handover = self._require(OrderStatus.PACKED)
        for bag in handover.bags:
            if (bag.number, bag.count, bag.zone) == (code.number, code.count, code.zone):
                fresh = bag.scanned_by != staff_id or bag.scanned_at is None
                bag.scanned_at, bag.scanned_by = (now, staff_id) if fresh else (
                    bag.scanned_at, bag.scanned_by)
                return bag, fresh
        raise UnknownBag(order=self.oms_id, number=code.number, count=code.count)

    def missing_bags(self, staff_id: int | None) -> list[Bag]:
        handover = self.handover
        if handover is None:
            return []
        return [b for b in handover.bags if b.scanned_at is None or b.scanned_by != staff_id]

    def _require_all_bags(self, staff_id: int | None) -> None:
        missing = self.missing_bags(staff_id)
        if missing:
            raise BagsMissing(order=self.oms_id, missing=[
                {"number": b.number, "count": b.count, "zone": b.zone} for b in missing])

    # -- courier -----------------------------------------------------------

    def hand_over_to_courier(self, courier_id: int, *, now: datetime) -> None:
        """The courier takes the order after scanning every bag. Status → handed_over.

        Raises WrongHandoverStep, BagsMissing.
        """
        handover = self._require(OrderStatus.PACKED, fulfilment="delivery")
        self._require_all_bags(courier_id)
        handover.recipient, handover.courier_id = "courier", courier_id
        handover.handed_over_at, handover.handed_over_by = now, courier_id
        self.move_to(OrderStatus.HANDED_OVER)
        self._record(OrderHandedOver(
            order_id=self._id(), occurred_at=now, actor_id=courier_id, to="courier",
            courier_id=courier_id, by=courier_id, bags=len(handover.bags)))

    def deliver(self, *, now: datetime, courier_id: int, id_checked: bool,
                proof_photo: str | None = None) -> None:
        """Delivered at the door. Raises NotYourDelivery, IdCheckRequired."""
        handover = self._require_courier(courier_id)
        self._check_id(id_checked)
        handover.proof_photo = proof_photo
        self._delivered(handover, now, courier_id, id_checked)

    def fail_delivery(self, reason: str, note: str, *, now: datetime, courier_id: int) -> None:
        """The delivery failed; the order goes back to the store. Status → delivery_failed.

        Refusals recorded at the door are dropped: the whole order comes back.
        Raises NotYourDelivery, InvalidRefusal for an unknown reason.
        """
        handover = self._require_courier(courier_id)
        if reason not in FAILURE_REASONS:
            raise InvalidRefusal(reason="failure reason", value=reason)
        handover.failure_reason, handover.failure_note = reason, note.strip()[:300] or None
        handover.refusals.clear()
        self.move_to(OrderStatus.DELIVERY_FAILED)
        self._record(DeliveryFailed(order_id=self._id(), occurred_at=now, actor_id=courier_id,
                                    reason=reason, note=handover.failure_note))

    def return_to_staging(self, *, now: datetime, staff_id: int | None) -> None:
        """Staff take a failed delivery back: bags back on the shelf, ready for another
        courier (the OMS decides whether to re-deliver or cancel). Status → packed."""
        handover = self._require(OrderStatus.DELIVERY_FAILED)
        for bag in handover.bags:
            bag.scanned_at = bag.scanned_by = None
        handover.recipient = handover.courier_id = None
        handover.handed_over_at = handover.handed_over_by = None
        self.move_to(OrderStatus.PACKED)
        self._record(OrderReturned(order_id=self._id(), occurred_at=now, actor_id=staff_id,
                                   reason=handover.failure_reason))

    def _require_courier(self, courier_id: int) -> Handover:
        handover = self._require(OrderStatus.HANDED_OVER, fulfilment="delivery")
        if handover.courier_id != courier_id:
            raise NotYourDelivery(order=self.oms_id)
        return handover

    # -- click & collect ---------------------------------------------------

    def check_pickup_code(self, *, now: datetime, staff_id: int | None) -> None:
        """The customer showed the right code (the service found the order by it)."""
        handover = self._require(OrderStatus.PACKED, fulfilment="collect")
        handover.code_checked_at, handover.code_checked_by = now, staff_id

    def hand_over_to_customer(self, *, now: datetime, staff_id: int | None,
                              id_checked: bool, waited_seconds: int | None = None) -> None:
        """Every bag scanned, code checked: the customer has it. Status → delivered.
        ``waited_seconds``: how long the customer waited since "I'm here", if they said it.

        Raises PickupCodeNotChecked, BagsMissing, IdCheckRequired.
        """
        handover = self._require(OrderStatus.PACKED, fulfilment="collect")
        if handover.code_checked_at is None:
            raise PickupCodeNotChecked(order=self.oms_id)
        self._require_all_bags(staff_id)
        self._check_id(id_checked)
        handover.recipient, handover.handed_over_at, handover.handed_over_by = (
            "customer", now, staff_id)
        self._record(OrderHandedOver(
            order_id=self._id(), occurred_at=now, actor_id=staff_id, to="customer",
            courier_id=None, by=staff_id, bags=len(handover.bags),
            waited_seconds=waited_seconds))
        self._delivered(handover, now, staff_id, id_checked)

    # -- refusals, ID, delivery --------------------------------------------

    def refuse(self, line_id: int, quantity: int, reason: str, *, now: datetime,
               staff_id: int | None, marking_code: str | None = None) -> Refusal:
        """The customer refuses (part of) a line at handover; it is refunded.

        Pieces may be refused one by one; a weighed line is refused whole.
        Raises InvalidRefusal, WrongHandoverStep, NotYourDelivery.
        """
        handover = self._handing_over(staff_id)
        if reason not in REFUSAL_REASONS:
            raise InvalidRefusal(reason="reason", value=reason)
        line = self.line(line_id)  # type: ignore[attr-defined]
        kept = self.kept_quantity(line)
        quantity = kept if line.is_weighed else quantity
        if kept <= 0 or not 1 <= quantity <= kept:
            raise InvalidRefusal(reason="quantity", value=quantity)
        if line.product.marked:
            returnable_unit(line, handover.refusals, marking_code, quantity)
        amount = line.price_minor if line.is_weighed else line.unit_price_minor * quantity
        refusal = Refusal(line_id, line.product.sku, quantity, amount, reason, now, staff_id,
                          marking_code=marking_code if line.product.marked else None)
        handover.refusals.append(refusal)
        return refusal

    def _handing_over(self, staff_id: int | None) -> Handover:
        if self.fulfilment == "collect":
            return self._require(OrderStatus.PACKED, fulfilment="collect")
        return self._require_courier(staff_id or 0)

    def kept_quantity(self, line: Line) -> int:
        """What the customer still takes of a line: picked minus refused."""
        refused = sum(r.quantity for r in (self.handover.refusals if self.handover else [])
                      if r.line_id == line.id)
        return line.picked_quantity - refused

    @property
    def needs_id_check(self) -> bool:
        return bool(self.adult_zones())

    def adult_zones(self) -> set[str]:
        """Zones whose bags hold 18+ goods the customer still takes (their labels say 18+)."""
        return {ln.product.zone for ln in self.lines
                if ln.product.age_restricted and self.kept_quantity(ln) > 0}

    def _check_id(self, id_checked: bool) -> None:
        if self.needs_id_check and not id_checked:
            raise IdCheckRequired(order=self.oms_id)

    def _delivered(self, handover: Handover, now: datetime, staff_id: int | None,
                   id_checked: bool) -> None:
        handover.delivered_at = now
        handover.id_checked_by = staff_id if self.needs_id_check and id_checked else None
        self.move_to(OrderStatus.DELIVERED)
        refusals = tuple({"line_id": r.line_id, "sku": r.sku, "quantity": r.quantity,
                          "amount_minor": r.amount_minor, "reason": r.reason}
                         for r in handover.refusals)
        self._record(OrderDelivered(
            order_id=self._id(), occurred_at=now, actor_id=staff_id, refusals=refusals,
            refund_minor=sum(r.amount_minor for r in handover.refusals),
            id_checked_by=handover.id_checked_by, proof_photo=handover.proof_photo is not None))
        self._record(settlement(self, handover, now, staff_id))

    def _require(self, status: OrderStatus, *, fulfilment: str | None = None) -> Handover:
        if self.status != status or (fulfilment and self.fulfilment != fulfilment):
            raise WrongHandoverStep(order=self.oms_id, status=str(self.status),
                                    expected=status)
        if self.handover is None and status is not OrderStatus.PICKED:
            raise WrongHandoverStep(order=self.oms_id, status="unpacked", expected=status)
        return self.handover  # type: ignore[return-value]
