"""Past-tense facts the Order aggregate records: the whole outbound contract.

Every event feeds three things: the outbox to the central OMS, live screens and
the audit trail. ``sequence`` is assigned by the order (one counter per order),
so the OMS can apply an order's events in the order they happened.

Every event the OMS can receive is defined in this module and named in
``EVENT_TYPES`` (a test fails when one is missing); ``rebuild`` turns an
envelope's type and payload back into the event.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Union, get_args, get_origin, get_type_hints


@dataclass(frozen=True, kw_only=True)
class Event:
    order_id: int
    occurred_at: datetime
    sequence: int = 0
    actor_id: int | None = None

    @property
    def type(self) -> str:
        return type(self).__name__

    def payload(self) -> dict[str, Any]:
        """The event's own fields as JSON-ready values (no envelope fields)."""
        skip = {"order_id", "occurred_at", "sequence"}
        return {
            f.name: _jsonable(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name not in skip
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


@dataclass(frozen=True, kw_only=True)
class PickingStarted(Event):
    picker_id: int


@dataclass(frozen=True, kw_only=True)
class PickerUnassigned(Event):
    picker_id: int


@dataclass(frozen=True, kw_only=True)
class ItemScanned(Event):
    line_id: int
    sku: str
    code: str
    quantity: int
    weight_g: int | None = None
    marking_code: str | None = None
    picked_quantity: int = 0
    # the marking check at the shelf: status, source, recheck, expiry (None: not checked)
    marking_check: dict[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class WeightRecorded(Event):
    line_id: int
    sku: str
    weight_g: int
    total_g: int
    ordered_g: int
    outside_soft_band: bool
    price_minor: int


@dataclass(frozen=True, kw_only=True)
class ScanUndone(Event):
    line_id: int
    sku: str
    quantity: int
    picked_quantity: int
    marking_code: str | None = None  # the unit taken back, if marked


@dataclass(frozen=True, kw_only=True)
class LineShorted(Event):
    line_id: int
    sku: str
    ordered: int
    picked: int
    missing: int
    reason: str
    withdrawn_codes: tuple[str, ...] = ()  # marked units taken off at the re-check


@dataclass(frozen=True, kw_only=True)
class OrderPicked(Event):
    lines: tuple[dict[str, Any], ...] = field(default=())
    total_minor: int = 0


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(Event):
    """The OMS cancelled the order; a picker on it must stop and put items back."""

    reason: str = ""
    previous_status: str = ""
    picker_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class OrderRevised(Event):
    """A newer OMS version of the order was applied (lines added, removed, changed)."""

    oms_version: int
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[dict[str, Any], ...] = ()


# -- supervision ---------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class PickerAssigned(Event):
    picker_id: int
    previous_picker_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class PriorityRaised(Event):
    priority: int


# -- substitution --------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class SubstitutionProposed(Event):
    line_id: int
    proposal: str
    original_sku: str
    sku: str
    quantity: int
    unit_price_minor: int
    original_unit_price_minor: int
    expires_at: datetime | None
    customer_url: str
    other_category: bool = False  # another kind than the original, by the picker's choice


@dataclass(frozen=True, kw_only=True)
class SubstitutionDecided(Event):
    line_id: int
    proposal: str
    original_sku: str
    sku: str
    outcome: str  # approved | rejected | timed_out
    decided_by: str  # customer | timeout | picker_finished
    quantity: int
    charged_unit_price_minor: int | None = None
    difference_approved: bool = False
    fallback: str | None = None  # "refund" when the window ran out
    # approved: what the substitute line starts with, the unit scanned to propose it
    picked: int = 0  # pieces, or grams
    marking_code: str | None = None
    weight_g: int | None = None


# -- out of stock and late finds (issue 15) -----------------------------------

@dataclass(frozen=True, kw_only=True)
class ItemUnavailable(Event):
    """A picker found the shelf empty: the product is likely out in this store."""

    store: str  # the store's code
    sku: str
    reason: str  # not_found | out_of_stock


@dataclass(frozen=True, kw_only=True)
class LineReopened(Event):
    """Corrects an earlier LineShorted: the item was found after all."""

    line_id: int
    sku: str
    previous_reason: str | None
    by: str  # scan | supervisor
    reason: str = ""  # the supervisor's words
    withdrawn: tuple[str, ...] = ()  # open substitute proposals closed by the find


@dataclass(frozen=True, kw_only=True)
class SubstituteChoiceOffered(Event):
    """The product of a line is likely out: the customer may choose a substitute now."""

    line_id: int
    sku: str
    customer_url: str


@dataclass(frozen=True, kw_only=True)
class SubstituteChosenInAdvance(Event):
    """The customer chose before the picker reached the shelf (``substitute_sku`` None:
    no substitute, refund it)."""

    line_id: int
    sku: str
    substitute_sku: str | None


@dataclass(frozen=True, kw_only=True)
class WeightQuestionAsked(Event):
    """A weighed item is heavier than the soft band allows: the customer is asked on
    their link whether to keep it (answered by SubstitutionDecided, same proposal)."""

    line_id: int
    proposal: str
    sku: str
    ordered_g: int
    offered_g: int  # the line's total if the customer keeps it
    extra_minor: int  # what keeping it costs more than the weight ordered
    expires_at: datetime | None
    customer_url: str


@dataclass(frozen=True, kw_only=True)
class FallbackChosen(Event):
    """The customer's choice for a line when they do not answer an offer in time."""

    line_id: int
    sku: str
    fallback: str  # refund | best_match


# -- packing and handover ------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class OrderPacked(Event):
    bags: dict[str, int] = field(default_factory=dict)  # zone -> number of bags
    bag_count: int = 0
    staging: dict[str, str] = field(default_factory=dict)
    cold_seconds: dict[str, int] = field(default_factory=dict)
    pickup_code: str | None = None  # collect only: the OMS tells the customer
    customer_url: str | None = None  # collect only: the link to check in on


@dataclass(frozen=True, kw_only=True)
class OrderHandedOver(Event):
    to: str  # "courier" | "customer"
    courier_id: int | None
    by: int | None
    bags: int
    waited_seconds: int | None = None  # collect: from "I'm here" to handover


@dataclass(frozen=True, kw_only=True)
class CustomerOnTheWay(Event):
    """A click & collect customer said "on my way" on their link."""


@dataclass(frozen=True, kw_only=True)
class CustomerArrived(Event):
    """A click & collect customer said "I'm here" (at ``bay`` where the store has bays)."""

    bay: str | None = None


@dataclass(frozen=True, kw_only=True)
class OrderDelivered(Event):
    refusals: tuple[dict[str, Any], ...] = ()
    refund_minor: int = 0
    id_checked_by: int | None = None
    proof_photo: bool = False


@dataclass(frozen=True, kw_only=True)
class OrderSettled(Event):
    """Receipt-ready: every line as handed over (pieces or grams, final unit and line
    price, the line it substitutes) with the marking code of every unit handed over,
    and the codes of the marked units the customer returned at the door or counter."""

    fulfilment: str
    lines: tuple[dict[str, Any], ...] = ()
    returned_codes: tuple[str, ...] = ()
    total_minor: int = 0


@dataclass(frozen=True, kw_only=True)
class DeliveryFailed(Event):
    reason: str
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class OrderReturned(Event):
    """A failed delivery is back in the store's staging area."""

    reason: str | None = None


# -- the contract --------------------------------------------------------------

# Every outbound event by its envelope ``type``.
EVENT_TYPES: dict[str, type[Event]] = {cls.__name__: cls for cls in (
    PickingStarted, PickerUnassigned, ItemScanned, WeightRecorded, ScanUndone, LineShorted,
    OrderPicked, OrderCancelled, OrderRevised,
    PickerAssigned, PriorityRaised,
    SubstitutionProposed, SubstitutionDecided,
    OrderPacked, OrderHandedOver, OrderDelivered, DeliveryFailed, OrderReturned,
    OrderSettled,
    ItemUnavailable, LineReopened, SubstituteChoiceOffered, SubstituteChosenInAdvance,
    WeightQuestionAsked, FallbackChosen,
    CustomerOnTheWay, CustomerArrived,
)}


def rebuild(type_name: str, payload: dict[str, Any], *, order_id: int,
            occurred_at: datetime, sequence: int) -> Event:
    """The event an envelope describes: ``type`` and ``payload`` (JSON values) back
    into the dataclass, lists as tuples and ISO strings as datetimes where the
    field says so. Raises KeyError for a type not in the contract."""
    cls = EVENT_TYPES[type_name]
    hints = get_type_hints(cls)
    values = {name: _typed(hints[name], value) for name, value in payload.items()}
    return cls(order_id=order_id, occurred_at=occurred_at, sequence=sequence, **values)


_UNION = type(int | None)  # types.UnionType, the origin of ``X | None``


def _typed(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    options = get_args(hint) if get_origin(hint) in (_UNION, Union) else (hint,)
    for option in options:
        if option is datetime and isinstance(value, str):
            return datetime.fromisoformat(value)
        if get_origin(option) is tuple and isinstance(value, list):
            inner = get_args(option)[0] if get_args(option) else Any
            return tuple(_typed(inner, v) for v in value)
    return value
