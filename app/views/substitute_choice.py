"""The picker's substitute page for a short line, and the notice of the customer's answer
that the pick page hears live."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.views.shared import OrderHead, order_head
from picking.lines import Line, Product, Proposal
from picking.model import Order
from picking.status import ProposalStatus
from picking.substitution import proposals_of


@dataclass(frozen=True, slots=True)
class ShortLine:
    """The line a substitute is sought for, with the customer's wishes for it."""

    id: int
    product: Product
    is_weighed: bool
    remaining: int
    unit_price_minor: int
    substitution: str  # none | best_match | specific
    specific_sku: str | None
    note: str | None
    same_brand: bool
    max_difference_pct: int | None


@dataclass(frozen=True, slots=True)
class ChoicePage:
    order: OrderHead
    line: ShortLine
    suggestions: tuple[Product, ...]
    wider: bool  # the suggestions are of other kinds
    wider_available: bool  # other kinds may be asked for
    waiting: tuple[Product, ...]  # offered already, the customer has not answered


def short_line(line: Line) -> ShortLine:
    return ShortLine(id=line.id or 0, product=line.product, is_weighed=line.is_weighed,
                     remaining=line.remaining, unit_price_minor=line.unit_price_minor,
                     substitution=line.substitution, specific_sku=line.specific_sku,
                     note=line.note, same_brand=line.same_brand,
                     max_difference_pct=line.max_difference_pct)


def choice_page(order: Order, line: Line, suggestions: Iterable[Product], *, wider: bool,
                wider_available: bool) -> ChoicePage:
    return ChoicePage(
        order=order_head(order), line=short_line(line), suggestions=tuple(suggestions),
        wider=wider, wider_available=wider_available,
        waiting=tuple(p.product for p in proposals_of(line)
                      if p.status == ProposalStatus.PROPOSED))


@dataclass(frozen=True, slots=True)
class AnswerNotice:
    """The customer's latest answer about an offer, as the picker hears it."""

    ref: str
    status: str
    kind: str  # substitute | weight
    decided_by: str | None
    quantity: int
    offered: Product
    original: Product
    ordered_quantity: int


def answer_notice(order: Order, latest: Proposal | None) -> AnswerNotice | None:
    """The notice for ``latest`` (None: nothing to announce)."""
    if latest is None:
        return None
    line = order.line(latest.line_id)
    return AnswerNotice(ref=latest.ref, status=str(latest.status), kind=latest.kind,
                        decided_by=latest.decided_by, quantity=latest.quantity,
                        offered=latest.product, original=line.product,
                        ordered_quantity=line.quantity)
