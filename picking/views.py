"""What the pick page shows: one frozen read model, derived once per request.

The pick page and each of its fragments (the list, a line, the progress, the scan
feedback) render from a ``PickView`` and its ``LineView``s, never from the
write-side ``Order``: a template cannot change the order, call its rules, or
trigger a load. ``pick_view`` is pure; what only the app knows (the store's
tolerance, a size in the reader's words, the shelves found empty, the codes of
each product) comes in as arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from picking.lines import Line, Product, Proposal, Tolerance
from picking.model import Order
from picking.progress import Progress, progress_of
from picking.status import LineState, OrderStatus, ProposalStatus

SizeOf = Callable[[Product], str]
ToleranceFor = Callable[[Product], Tolerance]


@dataclass(frozen=True, slots=True)
class ProposalView:
    """A substitute offered for a line (or a weight question), as the picker sees it."""

    ref: str
    kind: str  # "substitute" | "weight"
    status: str  # as shown now: one past its window is timed out already
    name: str  # the offered product, in the reader's language
    quantity: int  # pieces, or grams when weighed
    is_weighed: bool
    wants_photo: bool  # still waiting and the order is being picked: a shelf photo may go


@dataclass(frozen=True, slots=True)
class LikelyOutView:
    """Another picker found this product's shelf empty (issue 15)."""

    marked_at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class LineView:
    id: int | None
    sku: str
    product_id: int | None
    name: str  # in the reader's language
    size: str  # after the name, in the reader's words ("" for none)
    plu: str | None
    zone: str
    aisle: int
    shelf: str
    is_weighed: bool
    marked: bool
    age_restricted: bool
    attribute_names: tuple[str, ...]
    quantity: int  # ordered: pieces, or grams when weighed
    picked_quantity: int
    remaining: int
    price_minor: int
    state: str  # open | picked | short | substituted
    short_reason: str | None
    weight_note: str | None
    tolerance_pct: int | None  # a weighed line's soft band, when the store's is known
    substitution: str  # none | best_match | specific
    specific_sku: str | None
    note: str | None  # the customer's words and wishes
    same_brand: bool
    max_difference_pct: int | None
    proposals: tuple[ProposalView, ...]
    substitute_for: str | None  # the name of the line this one replaces
    can_offer: bool  # missing, a substitute allowed, the order still being picked
    likely_out: LikelyOutView | None  # only on an open line
    advance_choice: str | None  # the substitute the customer chose in advance, named
    gtins: tuple[str, ...]  # the product's codes, for the phone's offline check


@dataclass(frozen=True, slots=True)
class PickView:
    id: int | None
    oms_id: str
    status: str
    picker_id: int | None
    due_at: datetime
    note: str | None
    total_minor: int
    progress: Progress
    lines: tuple[LineView, ...]  # every line, in walking order
    to_pick: tuple[LineView, ...]  # not picked yet (open, missing, substituted), walking order
    done: tuple[LineView, ...]  # picked, walking order
    current_id: int | None  # the first open line in walking order
    picked: tuple[LineView, ...]  # the summary: lines with something picked
    missing: tuple[LineView, ...]  # the summary: short lines with something left


def _no_size(_product: Product) -> str:
    return ""


def proposal_view(proposal: Proposal, *, language: str, now: datetime,
                  order_picking: bool) -> ProposalView:
    status = proposal.status_at(now)
    return ProposalView(
        ref=proposal.ref, kind=proposal.kind, status=status,
        name=proposal.product.name(language), quantity=proposal.quantity,
        is_weighed=proposal.product.is_weighed,
        wants_photo=status == ProposalStatus.PROPOSED and order_picking)


def line_view(line: Line, *, language: str, now: datetime, order_status: str = "picking",
              tolerance_for: ToleranceFor | None = None, size_of: SizeOf = _no_size,
              likely_out: Mapping[int, Any] | None = None,
              choice_names: Mapping[str, str] | None = None,
              codes: Mapping[int, Sequence[str]] | None = None,
              substitute_for: str | None = None) -> LineView:
    """One line as the screens show it. ``likely_out``: product id -> a mark with
    ``marked_at`` and ``reason``; ``codes``: product id -> its GTIN-14s."""
    product = line.product
    picking = order_status == OrderStatus.PICKING
    state = str(line.state)
    mark = (likely_out or {}).get(product.id) if (
        state == LineState.OPEN and product.id is not None) else None
    shown = LikelyOutView(marked_at=mark.marked_at, reason=mark.reason) if mark else None
    advance = None
    if shown is not None and line.substitution == "specific" and line.specific_sku:
        advance = (choice_names or {}).get(line.specific_sku, line.specific_sku)
    tolerance = (tolerance_for(product).soft_pct
                 if tolerance_for is not None and line.is_weighed else None)
    return LineView(
        id=line.id, sku=product.sku, product_id=product.id, name=product.name(language),
        size=size_of(product), plu=product.plu, zone=product.zone, aisle=product.aisle,
        shelf=product.shelf, is_weighed=line.is_weighed, marked=product.marked,
        age_restricted=product.age_restricted,
        attribute_names=tuple(product.attribute_names),
        quantity=line.quantity, picked_quantity=line.picked_quantity, remaining=line.remaining,
        price_minor=line.price_minor, state=state, short_reason=line.short_reason,
        weight_note=line.weight_note, tolerance_pct=tolerance,
        substitution=line.substitution, specific_sku=line.specific_sku, note=line.note,
        same_brand=line.same_brand, max_difference_pct=line.max_difference_pct,
        proposals=tuple(proposal_view(p, language=language, now=now, order_picking=picking)
                        for p in line.proposals),
        substitute_for=substitute_for,
        can_offer=(state == LineState.SHORT and line.substitution != "none" and picking),
        likely_out=shown, advance_choice=advance,
        gtins=tuple((codes or {}).get(product.id, ())) if product.id is not None else ())


def pick_view(order: Order, *, language: str, now: datetime,
              tolerance_for: ToleranceFor | None = None, size_of: SizeOf = _no_size,
              likely_out: Mapping[int, Any] | None = None,
              choice_names: Mapping[str, str] | None = None,
              codes: Mapping[int, Sequence[str]] | None = None) -> PickView:
    """The pick page's read model of ``order``.

    Progress counts a missing item as missing, never as picked (``picking.progress``).
    """
    status = str(order.status)
    names = {ln.id: ln.product.name(language) for ln in order.lines if ln.id is not None}
    walk = [line_view(ln, language=language, now=now, order_status=status,
                      tolerance_for=tolerance_for, size_of=size_of, likely_out=likely_out,
                      choice_names=choice_names, codes=codes,
                      substitute_for=names.get(ln.substitute_for_id)
                      if ln.substitute_for_id is not None else None)
            for ln in order.lines_in_walking_order()]
    first_open = next((ln for ln in walk if ln.state == LineState.OPEN), None)
    return PickView(
        id=order.id, oms_id=order.oms_id, status=status, picker_id=order.picker_id,
        due_at=order.due_at, note=order.note, total_minor=order.total_minor,
        progress=progress_of(order.lines), lines=tuple(walk),
        to_pick=tuple(ln for ln in walk if ln.state != LineState.PICKED),
        done=tuple(ln for ln in walk if ln.state == LineState.PICKED),
        current_id=first_open.id if first_open is not None else None,
        picked=tuple(ln for ln in walk if ln.picked_quantity),
        missing=tuple(ln for ln in walk if ln.remaining and ln.state == LineState.SHORT))
