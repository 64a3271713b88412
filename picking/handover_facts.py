"""The events and errors of packing and handover (see ``picking.handover``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from picking.errors import OrderNotPickable, PickingError
from picking.events import Event

REFUSAL_REASONS = ("substitute", "damaged", "expired", "unwanted", "other")
FAILURE_REASONS = ("customer_absent", "wrong_address", "refused", "other")


# -- events -----------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class OrderPacked(Event):
    bags: dict[str, int] = field(default_factory=dict)  # zone -> number of bags
    bag_count: int = 0
    staging: dict[str, str] = field(default_factory=dict)
    cold_seconds: dict[str, int] = field(default_factory=dict)
    pickup_code: str | None = None  # collect only: the OMS tells the customer


@dataclass(frozen=True, kw_only=True)
class OrderHandedOver(Event):
    to: str  # "courier" | "customer"
    courier_id: int | None
    by: int | None
    bags: int


@dataclass(frozen=True, kw_only=True)
class OrderDelivered(Event):
    refusals: tuple[dict[str, Any], ...] = ()
    refund_minor: int = 0
    id_checked_by: int | None = None
    proof_photo: bool = False


@dataclass(frozen=True, kw_only=True)
class DeliveryFailed(Event):
    reason: str
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class OrderReturned(Event):
    """A failed delivery is back in the store's staging area."""

    reason: str | None = None


# -- errors -----------------------------------------------------------------

class WrongHandoverStep(OrderNotPickable):
    """The order is not at the step this action belongs to."""

    code = "wrong_handover_step"


class InvalidPacking(PickingError):
    code = "invalid_packing"


class BadBag(PickingError):
    """The scan is not a readable bag label."""

    code = "bad_bag"


class BagFromAnotherOrder(PickingError):
    code = "foreign_bag"


class UnknownBag(PickingError):
    code = "unknown_bag"


class BagsMissing(PickingError):
    code = "bags_missing"


class NotYourDelivery(PickingError):
    code = "not_your_delivery"


class IdCheckRequired(PickingError):
    code = "id_check_required"


class InvalidRefusal(PickingError):
    code = "invalid_refusal"


class PickupCodeNotChecked(PickingError):
    code = "pickup_code_not_checked"


class WrongPickupCode(PickingError):
    code = "wrong_pickup_code"


class TooManyPickupAttempts(PickingError):
    code = "pickup_attempts"
