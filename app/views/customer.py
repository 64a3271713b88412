"""The customer's link page: progress, substitutes to answer, choices ahead, freshness,
and whether the pickup check-in applies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from app.views.shared import status_of
from picking.lines import Line, Product, Proposal
from picking.model import Order
from picking.progress import Progress
from picking.status import OrderStatus
from picking.substitution import proposals_of

# While the order is still to be picked, the customer may say what happens without an answer.
FALLBACK_OPEN = frozenset({OrderStatus.RECEIVED, OrderStatus.QUEUED, OrderStatus.PICKING})


@dataclass(frozen=True, slots=True)
class Offer:
    """One substitute (or heavier weight) offered; ``status`` as of the moment shown."""

    ref: str
    kind: str  # substitute | weight
    status: str
    product: Product
    quantity: int
    unit_price_minor: int
    original_unit_price_minor: int
    price_minor: int
    original_price_minor: int
    difference_minor: int
    other_category: bool
    expires_at: datetime | None
    decided_by: str | None
    photo: bool  # the picker sent a shelf photo of it


@dataclass(frozen=True, slots=True)
class OfferLine:
    """A line of the order with offers: what was ordered and every offer made for it."""

    id: int
    product: Product
    quantity: int
    substitution: str
    fallback: str
    offers: tuple[Offer, ...]

    @property
    def open_count(self) -> int:
        return sum(1 for offer in self.offers if offer.status == "proposed")

    @property
    def only_weight(self) -> bool:
        """Every offer is the ordered product at a heavier weight (issue 15)."""
        return all(offer.kind == "weight" for offer in self.offers)


@dataclass(frozen=True, slots=True)
class AdvanceLine:
    """A line likely out before the picker gets there: the customer may choose now."""

    id: int
    product: Product
    substitution: str
    fallback: str
    suggestions: tuple[Product, ...]
    chosen: Product | None


@dataclass(frozen=True, slots=True)
class FreshLine:
    """A freshness promise kept: the days promised and the days the least fresh unit has."""

    product: Product
    promised: int
    left: int


@dataclass(frozen=True, slots=True)
class CustomerPage:
    id: int
    oms_id: str
    status: str
    progress: Progress
    fallback_open: bool
    awaits_pickup: bool
    offers: tuple[OfferLine, ...] = ()
    advance: tuple[AdvanceLine, ...] = ()
    fresh: tuple[FreshLine, ...] = ()
    nothing_picked: bool = False  # not one unit of any line (nor of a substitute)


class AdvanceChoiceLike(Protocol):
    """What ``app.services.oos.advance_choices`` returns, as far as the page needs it."""

    @property
    def line(self) -> Line: ...
    @property
    def suggestions(self) -> list[Product]: ...
    @property
    def chosen(self) -> Product | None: ...


def offer_of(proposal: Proposal, now: datetime, photos: Iterable[str] = ()) -> Offer:
    return Offer(
        ref=proposal.ref, kind=proposal.kind, status=proposal.status_at(now),
        product=proposal.product, quantity=proposal.quantity,
        unit_price_minor=proposal.unit_price_minor,
        original_unit_price_minor=proposal.original_unit_price_minor,
        price_minor=proposal.price_minor, original_price_minor=proposal.original_price_minor,
        difference_minor=proposal.difference_minor, other_category=proposal.other_category,
        expires_at=proposal.expires_at, decided_by=proposal.decided_by,
        photo=proposal.ref in set(photos))


def offer_line(line: Line, now: datetime, photos: Iterable[str] = ()) -> OfferLine:
    shown = set(photos)
    return OfferLine(id=line.id or 0, product=line.product, quantity=line.quantity,
                     substitution=line.substitution, fallback=line.fallback,
                     offers=tuple(offer_of(p, now, shown) for p in proposals_of(line)))


def advance_line(choice: AdvanceChoiceLike) -> AdvanceLine:
    line = choice.line
    return AdvanceLine(id=line.id or 0, product=line.product, substitution=line.substitution,
                       fallback=line.fallback, suggestions=tuple(choice.suggestions),
                       chosen=choice.chosen)


def page_view(order: Order, now: datetime, *, photos: Iterable[str] = (),
                  advance: Iterable[AdvanceChoiceLike] = (),
                  fresh: Mapping[int, tuple[int, int]] | None = None) -> CustomerPage:
    """The page for the link's holder at ``now``: lines in walking order; ``fresh`` maps a
    line id to (days promised, days left) as ``app.marking.freshness_kept`` gives them."""
    shown = set(photos)
    kept = fresh or {}
    return CustomerPage(
        id=order.id or 0, oms_id=order.oms_id, status=status_of(order),
        progress=order.progress,
        fallback_open=OrderStatus(order.status) in FALLBACK_OPEN,
        awaits_pickup=order.awaits_pickup,
        offers=tuple(offer_line(line, now, shown) for line in order.lines_in_walking_order()
                     if proposals_of(line)),
        advance=tuple(advance_line(choice) for choice in advance),
        fresh=tuple(FreshLine(line.product, *kept[line.id]) for line in order.lines
                    if line.id is not None and line.id in kept),
        nothing_picked=not any(line.picked_quantity for line in order.lines))
