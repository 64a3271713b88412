"""What can go wrong while picking, named for what went wrong: every domain error.

Each error carries a stable ``code`` (a name for logs and the scan error
statistics) and ``params``: the keyword arguments it was raised with, which the
app's error table (``app.web.error_table``) turns into a sentence. The keywords
an error takes are its class annotations (its *fields*): a field without a
default must be given, and a keyword that is not a field is refused with
``TypeError``, so a raise site cannot drift away from the sentence that reads
it. Each field is also readable as an attribute (``err.ordered``).

Raising one changes nothing: the aggregate checks before it mutates. Every
``PickingError`` subclass needs an entry in the app's error table (a test checks).
"""

from __future__ import annotations

from typing import Any, ClassVar

_RESERVED = frozenset({"code", "params", "args"})
_FIELDS: dict[type, dict[str, bool]] = {}


class PickingError(Exception):
    code: ClassVar[str] = "picking_error"
    params: dict[str, Any]

    def __init__(self, **params: Any) -> None:
        fields = self.fields()
        unknown = sorted(set(params) - set(fields))
        if unknown:
            raise TypeError(f"{type(self).__name__} takes no field {', '.join(unknown)}")
        missing = sorted(name for name, required in fields.items()
                         if required and name not in params)
        if missing:
            raise TypeError(f"{type(self).__name__} needs {', '.join(missing)}")
        self.params = params
        for name, value in params.items():
            if name not in _RESERVED:
                setattr(self, name, value)
        super().__init__(f"{self.code}: {params}")

    @classmethod
    def fields(cls) -> dict[str, bool]:
        """Field name -> whether it must be given, from the class annotations."""
        known = _FIELDS.get(cls)
        if known is not None:
            return known
        found: dict[str, bool] = {}
        for klass in reversed(cls.__mro__):
            for name, hint in vars(klass).get("__annotations__", {}).items():
                if name in ("code", "params") or "ClassVar" in str(hint):
                    continue
                found[name] = name not in vars(klass)
        found.update(cls.extra_fields)
        _FIELDS[cls] = found
        return found

    # Fields whose name is taken by an attribute of every error (``code``): they
    # are only in ``params``. Name -> required.
    extra_fields: ClassVar[dict[str, bool]] = {}


class _NamesProduct:
    """Fields that let the screen name the product in either language."""

    product: str  # the SKU
    name_ru: str | None = None
    name_en: str | None = None


# -- reading a scan --------------------------------------------------------------

class BadCode(PickingError):
    """The scanned text is not a readable product code (``reason`` says why:
    empty, bad_check_digit, not_a_barcode, bad_gs1, too_long)."""

    code = "bad_code"
    reason: str
    raw: str = ""  # what was scanned, cut to 64 characters


class UnknownCode(PickingError):
    """The code is well-formed but no product of this store carries it.

    Field ``code`` (the scanned code, in ``params`` only: ``.code`` is the error's).
    """

    code = "unknown_code"
    extra_fields = {"code": False}


class ScanIdReused(PickingError):
    """A scan id arrived again with a different code or for another order: not a
    retry of the same scan, so it is neither counted nor treated as a duplicate."""

    code = "scan_id_reused"
    scan_id: str
    order: str | None = None


# -- scanning into lines ---------------------------------------------------------

class WrongItemScanned(_NamesProduct, PickingError):
    """The product exists in the store but is not on this order."""

    code = "wrong_item"


class TooManyScanned(_NamesProduct, PickingError):
    """One more would exceed the ordered quantity."""

    code = "too_many"
    ordered: int
    picked: int
    quantity: int | None = None


class LineAlreadyDone(_NamesProduct, PickingError):
    code = "line_done"


class NothingToUndo(PickingError):
    code = "nothing_to_undo"


class InvalidQuantity(PickingError):
    """A quantity the rules do not accept (below 1, above 999, more than 1 of a
    marked product). ``line_id`` and ``value`` remain only for the raise sites
    not yet moved to NoSuchLine / InvalidShortReason."""

    code = "invalid_quantity"
    quantity: int | None = None
    reason: str | None = None
    line_id: int | None = None
    value: Any = None


class NoSuchLine(InvalidQuantity):
    """The order has no line with this id (a subclass of InvalidQuantity, which
    was raised for it before, so code that catches that keeps working)."""

    code = "no_such_line"
    line_id: int


class NotAWeighedLine(_NamesProduct, InvalidQuantity):
    """A weight was given for a line sold by the piece."""

    code = "not_weighed"
    product: str | None = None  # type: ignore[assignment]
    line_id: int | None = None


class InvalidShortReason(InvalidQuantity):
    """The reason given for a short line is not one of the known reasons."""

    code = "invalid_short_reason"
    value: Any


class MarkingCodeRequired(_NamesProduct, PickingError):
    """Marked goods (Честный ЗНАК) need one DataMatrix code per unit."""

    code = "marking_required"


class DuplicateMarkingCode(_NamesProduct, PickingError):
    code = "marking_duplicate"


class MarkingRefused(_NamesProduct, PickingError):
    """The marking check says this unit may not be sold (``status``: blocked, sold,
    unknown, invalid, expired, not_realizable, not_owner, or unanswered when no checker
    answered and the store refuses then): take another unit from the shelf."""

    code = "marking_refused"
    status: str


class MarkedUnitsWithdrawn(PickingError):
    """The re-check before handover refused units already packed: they were taken off
    the order (their lines are short) and must come out of the bags before it leaves.
    ``units``: product names, serial and status of each."""

    code = "marking_withdrawn"
    units: list[dict[str, Any]]


class NotFreshEnough(_NamesProduct, PickingError):
    """The unit would have fewer days of life left at the order's due date than promised
    (``min_days``); ``days_left`` is what it would have."""

    code = "not_fresh"
    min_days: int
    days_left: int


class ExpiryDateNeeded(_NamesProduct, PickingError):
    """A question, not a mistake: this perishable's code carries no date and the line
    promises ``min_days`` of life; the picker types the date on the pack."""

    code = "expiry_needed"
    min_days: int


class WeightRequired(_NamesProduct, PickingError):
    """A weighed product was scanned without a weight (plain GTIN)."""

    code = "weight_required"


class AbsurdWeight(PickingError):
    code = "absurd_weight"
    weight_g: int


class WeightNeedsConfirmation(_NamesProduct, PickingError):
    """Beyond the soft band: the picker must confirm before it is recorded."""

    code = "weight_confirm"
    ordered_g: int
    total_g: int
    soft_pct: Any  # a percentage, int or Decimal


class WeightOutsideTolerance(_NamesProduct, PickingError):
    """Beyond the hard limit: blocked."""

    code = "weight_blocked"
    ordered_g: int
    total_g: int
    hard_pct: Any = None


# -- the order and who works on it -----------------------------------------------

class OrderNotFound(PickingError):
    code = "order_not_found"
    order: str | None = None  # the OMS id, when that is what was looked up
    order_id: int | None = None


class OrderNotPickable(PickingError):
    """The order is not in a state where this step is allowed (e.g. cancelled)."""

    code = "order_not_pickable"
    order: str | None = None
    status: str | None = None


class OrderCancelled(OrderNotPickable):
    code = "order_cancelled"


class NotYourOrder(PickingError):
    code = "not_your_order"
    order: str | None = None


class LinesStillOpen(PickingError):
    code = "lines_open"
    count: int


class NoOrderWaiting(PickingError):
    code = "no_order_waiting"


class InvalidTransition(PickingError):
    """The order cannot make this move (``reason``: not_assigned, top_priority;
    ``to``: the status it could not take)."""

    code = "invalid_transition"
    order: str | None = None
    status: str | None = None
    to: str | None = None
    reason: str | None = None


class RevisionRefused(PickingError):
    """The OMS's new version cannot be applied to the basket as it stands."""

    code = "revision_refused"
    order: str
    reason: str
    status: str | None = None
    sku: str | None = None
    picked: int | None = None


class PickerNotAvailable(PickingError):
    """The chosen person is not an active picker of the order's store."""

    code = "picker_not_available"
    picker_id: int | None = None


class PickerBusy(PickingError):
    """The chosen picker is already picking other orders; the supervisor must confirm."""

    code = "picker_busy"
    picker_id: int
    name: str
    orders: int  # orders the picker is picking besides this one


# -- substitution ----------------------------------------------------------------

class SubstitutionNotWanted(PickingError):
    """The customer asked for no substitute on this line."""

    code = "substitution_not_wanted"
    sku: str | None = None


class SubstituteNotAllowed(PickingError):
    """This product may not replace that one (``reason``: same_product, unit,
    age_restricted, attributes (``lost`` names them), brand, price_cap,
    other_category, not_specific, line_not_short, already_proposed)."""

    code = "substitute_not_allowed"
    reason: str
    sku: str | None = None
    name_ru: str | None = None
    name_en: str | None = None
    lost: str | None = None  # the original's attributes it would break, comma-separated


class ProposalNotFound(PickingError):
    code = "proposal_not_found"
    proposal: str | None = None


class ProposalClosed(PickingError):
    """The proposal was already decided or its window has run out."""

    code = "proposal_closed"
    proposal: str | None = None
    status: str | None = None


class LineNotReopenable(_NamesProduct, PickingError):
    """Only a line marked missing can be reopened (``state``: what it is now)."""

    code = "line_not_reopenable"
    state: str = ""


class WeightQuestionNotNeeded(_NamesProduct, PickingError):
    """Only a weight above the soft band (and within the hard limit) is a question
    for the customer: within the band it is simply recorded."""

    code = "weight_question_not_needed"
    ordered_g: int
    total_g: int


class InvalidFallback(PickingError):
    """A line's fallback is ``refund`` or ``best_match``."""

    code = "invalid_fallback"
    value: str = ""


class ReopenReasonRequired(PickingError):
    """A supervisor reopening a missing line says why (1 to 200 characters)."""

    code = "reopen_reason_required"


class LinkNotFound(PickingError):
    """Forged, mistyped or unknown customer link: the same answer for all of them."""

    code = "link_not_found"


class LinkExpired(PickingError):
    """The customer link's order was handed over, delivered or cancelled."""

    code = "link_expired"


# -- packing and handover --------------------------------------------------------

class WrongHandoverStep(OrderNotPickable):
    """The order is not at the step this action belongs to."""

    code = "wrong_handover_step"
    order: str
    status: str
    expected: str | None = None


class InvalidPacking(PickingError):
    code = "invalid_packing"
    zone: str
    reason: str  # "bags" (count out of range) | "place" (no staging place)


class NothingToPack(PickingError):
    """Every line of the order ended missing: no bag to fill, nothing to hand over. The
    OMS has the order's picking result and decides (a real one cancels and refunds)."""

    code = "nothing_to_pack"
    order: str


class BadBag(PickingError):
    """The scan is not a readable bag label."""

    code = "bad_bag"
    reason: str | None = None
    raw: str = ""


class BagFromAnotherOrder(PickingError):
    code = "foreign_bag"
    order: str
    bag_order: str


class UnknownBag(PickingError):
    code = "unknown_bag"
    order: str
    number: int
    count: int


class BagsMissing(PickingError):
    code = "bags_missing"
    order: str | None = None
    missing: list[dict[str, Any]]  # number, count, zone of each missing bag


class NotYourDelivery(PickingError):
    code = "not_your_delivery"
    order: str | None = None


class IdCheckRequired(PickingError):
    code = "id_check_required"
    order: str | None = None


class InvalidRefusal(PickingError):
    code = "invalid_refusal"
    reason: str | None = None  # which input was wrong: reason, quantity, failure reason
    value: Any = None


class PickupCodeNotChecked(PickingError):
    code = "pickup_code_not_checked"
    order: str | None = None


class WrongPickupCode(PickingError):
    code = "wrong_pickup_code"
    left: int  # tries left


class TooManyPickupAttempts(PickingError):
    code = "pickup_attempts"
    minutes: int


class PickupCodeAlreadyUsed(PickingError):
    """The code belongs to an order already handed over (re-entered at the counter);
    not a wrong code, so it uses up no attempt."""

    code = "pickup_code_used"
    order: str
    time: str  # HH:MM in the store's time


# -- runs and totes (several orders in one walk) ----------------------------------

class ToteUnknown(PickingError):
    """A tote label of this store that storepick never printed (or an unknown code)."""

    code = "tote_unknown"
    tote: str


class ToteDamaged(PickingError):
    """A storepick tote label whose check digit does not match: misread or damaged."""

    code = "tote_damaged"
    tote: str


class ToteOfAnotherStore(PickingError):
    code = "tote_other_store"
    tote: str


class ToteTaken(PickingError):
    """The tote holds another order's goods (or is another zone's of this order)."""

    code = "tote_taken"
    tote: str


class WrongTote(PickingError):
    """A put into a tote that is not the one the unit belongs in."""

    code = "wrong_tote"
    tote: str
    letter: str
    zone: str
    expected: str


class NoItemToPut(PickingError):
    """A tote scanned to put a unit in, but no unit was scanned before it."""

    code = "no_item_to_put"
    tote: str = ""


class PutFirst(_NamesProduct, PickingError):
    """An item scanned while the previous unit still waits to go into its tote."""

    code = "put_first"
    letter: str
    zone: str
    expected: str


class NotNeededInRun(_NamesProduct, PickingError):
    """No order of the run still needs this product."""

    code = "not_needed_in_run"


class TotesNotBound(PickingError):
    """An order of the run has no tote yet for one of its zones."""

    code = "totes_not_bound"
    letter: str
    zone: str


class RunNotFound(PickingError):
    code = "run_not_found"
    run_id: int | None = None


class PutsPending(PickingError):
    """Units of this order were scanned but are not in their totes yet."""

    code = "puts_pending"
    count: int


# -- not PickingErrors: a label that cannot be read --------------------------------

class BadBagCode(ValueError):
    """The text is not a readable bag label (``reason`` says why, in English)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- stored refusals -------------------------------------------------------------

def storable(error: PickingError) -> dict[str, Any]:
    """The error's fields as JSON values, to be raised again later by ``restore``."""
    return {name: value if value is None or isinstance(value, (str, int, float, bool))
            else str(value) for name, value in error.params.items()}


def restore(name: str, params: dict[str, Any]) -> PickingError:
    """The error a stored refusal names, with its stored fields.

    A name this version does not know (a class since renamed) becomes a plain
    PickingError, which the screens describe as a generic refusal.
    """
    found = globals().get(name)
    if not (isinstance(found, type) and issubclass(found, PickingError)):
        return PickingError()
    fields = found.fields()
    try:
        return found(**{k: v for k, v in params.items() if k in fields})
    except TypeError:
        return PickingError()


# -- pickup check-in (the customer's link) -------------------------------------

class CheckInNotOpen(PickingError):
    """The order is not waiting at the pickup place (not packed yet, or a delivery)."""

    code = "check_in_not_open"


class AlreadyCheckedIn(PickingError):
    """The customer said this (or the later step) before: a replayed check-in."""

    code = "already_checked_in"
    step: str  # "on_the_way" | "arrived"


class UnknownBay(PickingError):
    """A bay or desk the store does not have (or none chosen where it has some)."""

    code = "unknown_bay"
    bay: str = ""
