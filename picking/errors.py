"""What can go wrong while picking, named for what went wrong.

Each error carries a stable ``code`` (used to choose the translated message in
the app layer) and ``params`` for that message. Raising one changes nothing:
the aggregate checks before it mutates.
"""

from __future__ import annotations

from typing import Any


class PickingError(Exception):
    code = "picking_error"

    def __init__(self, **params: Any) -> None:
        self.params = params
        super().__init__(f"{self.code}: {params}")


class UnknownCode(PickingError):
    """The code is well-formed but no product of this store carries it."""

    code = "unknown_code"


class WrongItemScanned(PickingError):
    """The product exists in the store but is not on this order."""

    code = "wrong_item"


class TooManyScanned(PickingError):
    """One more would exceed the ordered quantity."""

    code = "too_many"


class LineAlreadyDone(PickingError):
    code = "line_done"


class NothingToUndo(PickingError):
    code = "nothing_to_undo"


class OrderNotPickable(PickingError):
    """The order is not in a state where this step is allowed (e.g. cancelled)."""

    code = "order_not_pickable"


class OrderCancelled(OrderNotPickable):
    code = "order_cancelled"


class NotYourOrder(PickingError):
    code = "not_your_order"


class LinesStillOpen(PickingError):
    code = "lines_open"


class NoOrderWaiting(PickingError):
    code = "no_order_waiting"


class InvalidQuantity(PickingError):
    code = "invalid_quantity"


class MarkingCodeRequired(PickingError):
    """Marked goods (Честный ЗНАК) need one DataMatrix code per unit."""

    code = "marking_required"


class DuplicateMarkingCode(PickingError):
    code = "marking_duplicate"


class WeightRequired(PickingError):
    """A weighed product was scanned without a weight (plain GTIN)."""

    code = "weight_required"


class AbsurdWeight(PickingError):
    code = "absurd_weight"


class WeightNeedsConfirmation(PickingError):
    """Beyond the soft band: the picker must confirm before it is recorded."""

    code = "weight_confirm"


class WeightOutsideTolerance(PickingError):
    """Beyond the hard limit: blocked."""

    code = "weight_blocked"


class InvalidTransition(PickingError):
    code = "invalid_transition"


class BadCode(PickingError):
    """The scanned text is not a readable product code (``reason`` says why)."""

    code = "bad_code"


class OrderNotFound(PickingError):
    code = "order_not_found"


class NoSuchLine(PickingError):
    """The line named is not on this order."""

    code = "no_such_line"


class NotAWeighedLine(PickingError):
    """A weight was given for a line sold by the piece."""

    code = "not_weighed"


class InvalidShortReason(PickingError):
    """The reason given for a missing item is not one the store knows."""

    code = "invalid_short_reason"


class ScanIdReused(PickingError):
    """A scan id already answered came again with another code or for another order."""

    code = "scan_id_reused"
