"""The records: an order's lines, what was scanned for them, the substitutes offered,
and the catalog entry they point to.

Plain records with the few rules that belong to one record (walking order, price,
what is left); they sit below the rules (``picking.model`` and its mixins), which
decide what may change, and import nothing of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from picking.status import LineState, ProposalStatus

ZONE_ORDER = {"ambient": 0, "chilled": 1, "frozen": 2}
MAX_WEIGHT_G = 25_000  # one line of loose goods heavier than this is a typo

# A number and the short word after it ("210 г", "0,5 л", "12 pcs", "40 %"): a line of a
# 360 px screen never ends between them ("Конфеты Merci ассорти 210" / "г").
_NUMBER_AND_UNIT = re.compile(r"(?<=\d)[ \t]+(?=(?:[^\W\d_]{1,4}\.?|%)(?![^\W\d_]))")


@lru_cache(maxsize=4096)  # a store's names repeat on every scan's answer: read once each
def shown_name(name: str) -> str:
    """A product's name as a person reads it: each number kept on the line of its unit
    (a no-break space between them). Only for showing: the catalog keeps the name sent."""
    return _NUMBER_AND_UNIT.sub("\u00a0", name)


def name_in(params: Mapping[str, Any], language: str) -> str:
    """The product named by an error's or a record's parameters (``_named``) as a reader
    of ``language`` sees it; its SKU when it has no name."""
    return shown_name(str(params.get("name_en" if language == "en" else "name_ru")
                          or params.get("product", "")))


def _named(product: Product) -> dict[str, str]:
    """Error parameters that let the screen name the product in either language."""
    return {"product": product.sku, "name_ru": product.name_ru, "name_en": product.name_en}


SHORT_REASONS = ("not_found", "out_of_stock", "damaged", "expired", "other")
FALLBACKS = ("refund", "best_match")


@dataclass(eq=False)
class Product:
    """One entry of a store's catalog. Quantities: pieces, or grams when weighed."""

    store_id: int
    sku: str
    name_ru: str
    name_en: str
    unit: str  # "piece" | "weight"
    price_minor: int  # per piece, or per kg when weighed
    zone: str = "ambient"
    aisle: int = 0
    shelf: str = ""
    sequence: int = 0
    category: str = ""
    plu: str | None = None
    size_text: str = ""
    size_amount: int | None = None
    marked: bool = False
    age_restricted: bool = False
    stock: int = 0
    tolerance_pct: int | None = None
    image: str | None = None
    id: int | None = None
    min_days_left: int | None = None  # freshness: days of life left at delivery, at least
    ask_expiry: bool = False  # perishable without a date in its code: the picker types it
    brand: str = ""
    attributes: list[str] | None = None  # picking.attributes; None: none given

    @property
    def is_weighed(self) -> bool:
        return self.unit == "weight"

    @property
    def attribute_names(self) -> list[str]:
        return list(self.attributes or ())

    def name(self, language: str) -> str:
        """The name shown to a reader of ``language`` (see ``shown_name``)."""
        return shown_name(self.name_en if language == "en" else self.name_ru)


@dataclass(eq=False)
class Scan:
    scan_id: str  # the client's idempotency key: a double-tap sends the same one
    code: str
    quantity: int  # pieces, or grams for weighed goods
    scanned_at: datetime
    staff_id: int | None
    marking_code: str | None = None  # a Честный ЗНАК unit's key: 01 GTIN 21 serial
    undone_at: datetime | None = None
    id: int | None = None
    marking_tail: str | None = None  # its crypto tail (91/92/93), kept beside the key
    clock_adjusted: bool = False  # the phone's time was not trusted; the server's was kept
    undone_by: str | None = None  # the action id of the undo that took it back
    # The marking check at the shelf (picking.marking): its status and who answered;
    # recheck: allowed without an answer, to be checked again before handover.
    marking_status: str | None = None
    marking_source: str | None = None
    marking_recheck: bool = False
    expiry: date | None = None  # the unit's expiry (code date, marking check, or typed)


@dataclass(frozen=True)
class Tolerance:
    """Soft band passes with a note; up to the hard limit needs confirmation."""

    soft_pct: int = 10
    hard_pct: int = 30

    def classify(self, ordered_g: int, actual_g: int) -> str:
        deviation = abs(actual_g - ordered_g) * 100
        if deviation <= self.soft_pct * ordered_g:
            return "within"
        if deviation <= self.hard_pct * ordered_g:
            return "confirm"
        return "blocked"


DEFAULT_TOLERANCE = Tolerance()


@dataclass(eq=False)
class Line:
    product: Product
    quantity: int  # ordered: pieces, or grams when weighed
    unit_price_minor: int
    position: int = 0
    picked_quantity: int = 0
    state: LineState = LineState.OPEN
    short_reason: str | None = None
    substitution: str = "best_match"  # none | best_match | specific
    specific_sku: str | None = None
    weight_note: str | None = None  # "soft" | "confirmed" when outside exact weight
    scans: list[Scan] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)  # substitutes offered
    substitute_for_id: int | None = None  # the short line this substitute replaces
    # a window ends unanswered: "refund", or "best_match" (keep the first offer; issue 15)
    fallback: str = "refund"
    id: int | None = None
    min_days_left: int | None = None  # the OMS's freshness promise for this line
    # The customer's words and wishes for this line (from the OMS).
    note: str | None = None
    max_difference_pct: int | None = None  # a substitute may cost at most this much more
    same_brand: bool = False  # a substitute must be of the same brand

    @property
    def is_weighed(self) -> bool:
        return self.product.is_weighed

    @property
    def is_done(self) -> bool:
        return self.state is not LineState.OPEN

    @property
    def remaining(self) -> int:
        return max(self.quantity - self.picked_quantity, 0)

    @property
    def walk_key(self) -> tuple[int, int, int, int]:
        """Ambient first, chilled next, frozen last; then aisle and sequence."""
        p = self.product
        return (ZONE_ORDER.get(p.zone, 0), p.aisle, p.sequence, self.position)

    @property
    def price_minor(self) -> int:
        """What the customer pays for what was picked."""
        if self.is_weighed:
            return round(self.unit_price_minor * self.picked_quantity / 1000)
        return self.unit_price_minor * self.picked_quantity

    def live_scans(self) -> list[Scan]:
        return [s for s in self.scans if s.undone_at is None]


@dataclass(eq=False)
class Proposal:
    """One substitute offered for one short line. Never deleted (audit trail)."""

    ref: str  # public, unguessable id used in the customer's page
    order_id: int
    line_id: int
    product: Product
    quantity: int
    unit_price_minor: int
    original_unit_price_minor: int
    code: str
    proposed_at: datetime
    expires_at: datetime | None = None  # None: open until the picker finishes
    staff_id: int | None = None
    status: str = ProposalStatus.PROPOSED
    decided_at: datetime | None = None
    decided_by: str | None = None
    difference_approved: bool = False
    substitute_line: Line | None = None
    # The unit the picker scanned to propose it: it counts once the customer approves.
    marking_code: str | None = None  # marked goods: that unit's key (01 GTIN 21 serial)
    marking_tail: str | None = None
    weight_g: int | None = None  # weighed goods: the weight on the scale label, if any
    # "substitute", or "weight": the ordered product itself, heavier than the soft band
    # allows, offered as it is (issue 15); ``quantity`` is then the line's new total.
    kind: str = "substitute"
    id: int | None = None
    other_category: bool = False  # of another kind than the original: the picker chose so

    def status_at(self, now: datetime) -> str:
        """The status a screen should show: a proposal past its window is timed out
        even before anyone has written that down."""
        if self.status == ProposalStatus.PROPOSED and self.is_due(now):
            return ProposalStatus.TIMED_OUT
        return str(self.status)

    def is_due(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    @property
    def is_pending(self) -> bool:
        return self.status == ProposalStatus.PROPOSED

    @property
    def price_minor(self) -> int:
        return _price(self.product, self.unit_price_minor, self.quantity)

    @property
    def original_price_minor(self) -> int:
        return _price(self.product, self.original_unit_price_minor, self.quantity)

    @property
    def difference_minor(self) -> int:
        """What the substitute costs more (or, negative, less) than the original."""
        return _price(self.product, self.unit_price_minor - self.original_unit_price_minor,
                      self.quantity)

    def charged_unit_price(self, difference_approved: bool) -> int:
        """At most the original price unless the customer approved the difference."""
        if self.unit_price_minor <= self.original_unit_price_minor or difference_approved:
            return self.unit_price_minor
        return self.original_unit_price_minor


def _price(product: Product, unit_price_minor: int, quantity: int) -> int:
    if product.is_weighed:
        return round(unit_price_minor * quantity / 1000)
    return unit_price_minor * quantity
