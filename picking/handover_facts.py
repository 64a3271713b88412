"""The events and errors of packing and handover (see ``picking.handover``)."""

from __future__ import annotations

from picking import events
from picking.errors import OrderNotPickable, PickingError

REFUSAL_REASONS = ("substitute", "damaged", "expired", "unwanted", "other")
FAILURE_REASONS = ("customer_absent", "wrong_address", "refused", "other")


# -- events (defined with every outbound event in picking.events) -------------

OrderPacked = events.OrderPacked
OrderHandedOver = events.OrderHandedOver
OrderDelivered = events.OrderDelivered
DeliveryFailed = events.DeliveryFailed
OrderReturned = events.OrderReturned


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
