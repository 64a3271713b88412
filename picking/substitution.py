"""Substitutes for short lines: proposed by the picker, decided by the customer.

A short line may get several proposals; the customer approves one (the others
are then rejected), rejects them, or lets the window run out, in which case the
customer's fallback applies: the line stays short and is refunded. "Ordered vs
delivered" is kept forever: the original line stays (state ``substituted``) and
the approved proposal points at a new, picked substitute line.

``SubstitutionRules`` is a mixin of ``Order``: it uses the order's
``lines``, ``_record``, ``_require_picker`` and ``status``. Time, ids and the
customer link come in as arguments; nothing here touches I/O or the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from picking import attributes, errors, events
from picking.lines import DEFAULT_TOLERANCE, MAX_WEIGHT_G, Line, Product, Proposal, Scan, _named
from picking.sale_policy import group_of
from picking.status import LineState, OrderStatus, ProposalStatus

__all__ = ["Proposal", "ProposalStatus"]  # records re-exported for older imports

MAX_SUGGESTIONS = 5


class DecidedBy(StrEnum):
    CUSTOMER = "customer"
    TIMEOUT = "timeout"
    PICKER_FINISHED = "picker_finished"


# -- errors (defined with every domain error in picking.errors) -----------------

SubstitutionNotWanted = errors.SubstitutionNotWanted
SubstituteNotAllowed = errors.SubstituteNotAllowed
ProposalNotFound = errors.ProposalNotFound
ProposalClosed = errors.ProposalClosed


# -- events (defined with every outbound event in picking.events) ---------------

SubstitutionProposed = events.SubstitutionProposed
SubstitutionDecided = events.SubstitutionDecided

SUBSTITUTION_EVENTS = frozenset({"SubstitutionProposed", "SubstitutionDecided",
                                 "WeightQuestionAsked"})  # a weight question: issue 15


def proposals_of(line: Line) -> list[Proposal]:
    return list(getattr(line, "proposals", None) or [])


def is_waiting(line: Line) -> bool:
    """The flag 'waiting for the customer': a proposal on the line is still open."""
    return any(p.is_pending for p in proposals_of(line))


def latest_decision(proposals: Iterable[Proposal]) -> Proposal | None:
    """The customer's most recent decision, as the picker should hear it.

    Approving one offer closes the line's other offers at the same moment; those
    closures follow from the choice and are not the decision. So among the
    proposals decided last, an approved one is the answer; otherwise the last one.
    """
    decided = [p for p in proposals if p.decided_at is not None]
    if not decided:
        return None
    moment = max(p.decided_at for p in decided if p.decided_at is not None)
    at_moment = [p for p in decided if p.decided_at == moment]
    approved = [p for p in at_moment if p.status == ProposalStatus.APPROVED]
    return (approved or sorted(at_moment, key=lambda p: p.id or 0))[-1]


# -- suggestions ---------------------------------------------------------------

def may_replace(original: Product, substitute: Product) -> str | None:
    """Why ``substitute`` may not stand in for ``original``, or None if it may.

    Hard rules, whatever anyone chooses: the same way of selling (piece or
    weight), no 18+ for an ordinary product, and every attribute of the
    original kept (``picking.attributes``).
    """
    if substitute.sku == original.sku:
        return "same_product"
    if substitute.unit != original.unit:
        return "unit"
    if substitute.age_restricted and not original.age_restricted:
        return "age_restricted"
    if attributes.broken(original.attribute_names, substitute.attribute_names):
        return "attributes"
    return None


def against_wishes(line: Line, substitute: Product) -> str | None:
    """Why ``substitute`` goes against the customer's wishes for ``line`` (the same
    brand; at most so many per cent dearer), or None."""
    if line.same_brand and substitute.brand != line.product.brand:
        return "brand"
    cap = line.max_difference_pct
    if cap is not None and substitute.price_minor * 100 > line.unit_price_minor * (100 + cap):
        return "price_cap"
    return None


def is_other_category(original: Product, substitute: Product) -> bool:
    return substitute.category != original.category


def rank_substitutes(line: Line, candidates: Iterable[Product],
                     accepted_before: Mapping[str, int] | None = None,
                     limit: int = MAX_SUGGESTIONS, *,
                     customer_accepted: Mapping[str, int] | None = None,
                     wider: bool = False) -> list[Product]:
    """The best substitutes for a line, best first, honouring the customer's wish.

    ``none`` gives nothing; ``specific`` gives only the product the customer
    named; ``best_match`` ranks allowed, in-stock products of the line's own
    category (with ``wider``, of its whole group, own category first) that
    keep every attribute and respect the line's wishes, by: what this customer
    accepted before (``customer_accepted``, sku -> approvals minus rejections),
    what the store's customers accepted (``accepted_before``, same), the same
    brand, then closeness in size and unit price.
    """
    if line.substitution == "none":
        return []
    original = line.product
    usable = [p for p in candidates if p.stock > 0 and may_replace(original, p) is None
              and against_wishes(line, p) is None]
    if line.substitution == "specific":
        return [p for p in usable if p.sku == line.specific_sku][:1]
    group = group_of(original.category)
    usable = [p for p in usable if p.category == original.category
              or (wider and group_of(p.category) == group)]
    store, mine = accepted_before or {}, customer_accepted or {}

    def score(p: Product) -> tuple[int, int, int, int, float, str]:
        return (int(is_other_category(original, p)), -mine.get(p.sku, 0),
                -store.get(p.sku, 0), int(p.brand != original.brand or not p.brand),
                _closeness(original, p), p.sku)

    return sorted(usable, key=score)[:limit]


@dataclass(frozen=True)
class Suggested:
    """What to show a picker: ``products`` of the line's category, or, when it has
    nothing suitable and the picker asked (``wider``), of its group; ``wider_available``
    says whether the group has something to show."""

    products: list[Product]
    wider: bool = False
    wider_available: bool = False


def suggest(line: Line, candidates: Iterable[Product], *, wider: bool = False,
            accepted_before: Mapping[str, int] | None = None,
            customer_accepted: Mapping[str, int] | None = None,
            limit: int = MAX_SUGGESTIONS) -> Suggested:
    """The picker's suggestions for ``line`` from ``candidates`` (at least the line's
    category and group). Another category is offered only when the line's own
    has nothing suitable, and only when the picker asks for it (``wider``)."""
    pool = list(candidates)
    kwargs: dict[str, Any] = {"accepted_before": accepted_before,
                              "customer_accepted": customer_accepted, "limit": limit}
    ranked = rank_substitutes(line, pool, **kwargs)
    if ranked or line.substitution != "best_match":
        return Suggested(ranked)
    others = rank_substitutes(line, pool, wider=True, **kwargs)
    if not wider:
        return Suggested([], wider_available=bool(others))
    return Suggested(others, wider=bool(others), wider_available=bool(others))


def _closeness(original: Product, other: Product) -> float:
    price = abs(other.price_minor - original.price_minor) / max(original.price_minor, 1)
    size = 0.0
    if original.size_amount and other.size_amount:
        size = abs(other.size_amount - original.size_amount) / original.size_amount
    return price + size


# -- the rules on the order ----------------------------------------------------

class SubstitutionRules:
    """Proposing, deciding and timing out substitutes; mixed into ``Order``."""

    lines: list[Line]
    status: OrderStatus
    id: int | None

    if TYPE_CHECKING:
        def _record(self, event: events.Event) -> None: ...
        def _require_picker(self, staff_id: int | None) -> None: ...
        def line(self, line_id: int) -> Line: ...
        def decide_weight(self, proposal: Proposal, line: Line, *, approve: bool,
                          now: datetime) -> Proposal: ...
        def keep_on_timeout(self, proposal: Proposal, line: Line, now: datetime) -> bool: ...

    def proposals(self) -> list[Proposal]:
        return [p for ln in self.lines for p in proposals_of(ln)]

    def proposal(self, ref: str) -> Proposal:
        for p in self.proposals():
            if p.ref == ref:
                return p
        raise ProposalNotFound(proposal=ref)

    def propose_substitute(self, line_id: int, product: Product, *, ref: str, code: str,
                           now: datetime, window: timedelta | None, customer_url: str,
                           staff_id: int | None, quantity: int | None = None,
                           marking_code: str | None = None, marking_tail: str | None = None,
                           weight_g: int | None = None,
                           other_category_ok: bool = False) -> Proposal:
        """Offer ``product`` for what is missing on a short line.

        It must keep every attribute of the original and the customer's wishes
        for the line; a product of another category only with
        ``other_category_ok`` (the picker's explicit choice), and the proposal
        says so.

        The scan that proposes it verifies one unit, under the pick loop's rules:
        a marked product needs its unit's marking code (not the plain EAN), and
        a scale label's weight is that unit's weight. That unit counts on the
        substitute line once the customer approves; the rest are scanned in the
        pick loop. ``window`` None keeps it open until the picker finishes.
        Raises SubstitutionNotWanted, SubstituteNotAllowed, InvalidQuantity,
        MarkingCodeRequired, DuplicateMarkingCode, AbsurdWeight and the picker
        checks of the order.
        """
        self._require_picker(staff_id)
        line = self.line(line_id)
        self._check_proposal(line, product, other_category_ok)
        self._check_proposed_unit(product, marking_code, weight_g)
        amount = line.remaining if quantity is None else quantity
        if product.is_weighed and weight_g is not None and quantity is None:
            amount = max(amount, weight_g)  # the customer is offered what the label says
        if amount <= 0 or (not product.is_weighed and amount > 999):
            raise errors.InvalidQuantity(quantity=amount)
        proposal = Proposal(
            ref=ref, order_id=self.id or 0, line_id=line.id or 0, product=product,
            quantity=amount, unit_price_minor=product.price_minor,
            original_unit_price_minor=line.unit_price_minor, code=code, proposed_at=now,
            expires_at=None if window is None else now + window, staff_id=staff_id,
            marking_code=marking_code if product.marked else None,
            marking_tail=marking_tail if product.marked else None,
            weight_g=weight_g if product.is_weighed else None,
            other_category=is_other_category(line.product, product))
        line.proposals.append(proposal)
        self._record(SubstitutionProposed(
            order_id=self.id or 0, occurred_at=now, actor_id=staff_id, line_id=line.id or 0,
            proposal=ref, original_sku=line.product.sku, sku=product.sku, quantity=amount,
            unit_price_minor=product.price_minor,
            original_unit_price_minor=line.unit_price_minor, expires_at=proposal.expires_at,
            customer_url=customer_url, other_category=proposal.other_category))
        return proposal

    def _check_proposal(self, line: Line, product: Product, other_category_ok: bool) -> None:
        if line.substitution == "none":
            raise SubstitutionNotWanted(sku=line.product.sku)
        if line.state is not LineState.SHORT:
            raise SubstituteNotAllowed(reason="line_not_short", sku=line.product.sku)
        reason = may_replace(line.product, product)
        specific = line.substitution == "specific"
        if reason is None and specific and product.sku != line.specific_sku:
            reason = "not_specific"
        if reason is None:
            reason = against_wishes(line, product)
        if (reason is None and not specific and not other_category_ok
                and is_other_category(line.product, product)):
            reason = "other_category"
        if reason is None and any(p.is_pending and p.product.sku == product.sku
                                  for p in proposals_of(line)):
            reason = "already_proposed"
        if reason is not None:
            lost = attributes.broken(line.product.attribute_names, product.attribute_names)
            raise SubstituteNotAllowed(reason=reason, sku=product.sku,
                                       name_ru=product.name_ru, name_en=product.name_en,
                                       lost=",".join(lost) if reason == "attributes" else None)

    def _check_proposed_unit(self, product: Product, marking_code: str | None,
                             weight_g: int | None) -> None:
        if product.marked:
            if marking_code is None:
                raise errors.MarkingCodeRequired(**_named(product))
            taken = {s.marking_code for ln in self.lines for s in ln.live_scans()}
            taken |= {p.marking_code for p in self.proposals() if p.is_pending}
            if marking_code in taken:
                raise errors.DuplicateMarkingCode(**_named(product))
        if product.is_weighed and weight_g is not None and not 0 < weight_g <= MAX_WEIGHT_G:
            raise errors.AbsurdWeight(weight_g=weight_g)

    def decide_substitute(self, ref: str, *, approve: bool, now: datetime,
                          difference_approved: bool = False) -> Proposal:
        """The customer's answer to one proposal.

        Approving makes the line ``substituted``, adds the substitute as a picked
        line and rejects the line's other open proposals. Raises ProposalNotFound,
        and ProposalClosed when it was decided already, its window has run out or
        picking is over (call ``expire_due_proposals`` first to record that).
        """
        proposal = self.proposal(ref)
        if (not proposal.is_pending or proposal.is_due(now)
                or self.status is not OrderStatus.PICKING):
            raise ProposalClosed(proposal=ref, status=proposal.status_at(now))
        line = self.line(proposal.line_id)
        if proposal.kind == "weight":  # the ordered item, heavier: keep it? (issue 15)
            return self.decide_weight(proposal, line, approve=approve, now=now)
        if not approve:
            self._close(proposal, line, ProposalStatus.REJECTED, DecidedBy.CUSTOMER, now)
            return proposal
        for other in proposals_of(line):
            if other is not proposal and other.is_pending:
                self._close(other, line, ProposalStatus.REJECTED, DecidedBy.CUSTOMER, now)
        proposal.difference_approved = difference_approved and proposal.difference_minor > 0
        proposal.substitute_line = self._substitute_line(line, proposal, now)
        line.state = LineState.SUBSTITUTED
        self._close(proposal, line, ProposalStatus.APPROVED, DecidedBy.CUSTOMER, now)
        return proposal

    def _substitute_line(self, line: Line, proposal: Proposal, now: datetime) -> Line:
        """A new line for the substitute, counting only the unit verified when it
        was proposed; the picker scans the rest like any line's."""
        new = Line(
            product=proposal.product, quantity=proposal.quantity,
            unit_price_minor=proposal.charged_unit_price(proposal.difference_approved),
            position=max(ln.position for ln in self.lines) + 1,
            substitution="none", substitute_for_id=line.id)
        verified = proposal.weight_g if proposal.product.is_weighed else 1
        if verified:
            new.scans.append(Scan(
                scan_id=f"proposal-{proposal.ref}", code=proposal.code, quantity=verified,
                scanned_at=proposal.proposed_at, staff_id=proposal.staff_id,
                marking_code=proposal.marking_code, marking_tail=proposal.marking_tail))
            new.picked_quantity = verified
        if new.picked_quantity >= new.quantity or (
                new.is_weighed and verified
                and DEFAULT_TOLERANCE.classify(new.quantity, verified) == "within"):
            new.state = LineState.PICKED
        self.lines.append(new)
        return new

    def expire_due_proposals(self, now: datetime) -> list[Proposal]:
        """Time out every open proposal whose window has run out; the fallback
        (refund: the line stays short) applies. Returns what it timed out."""
        due = [p for p in self.proposals() if p.is_pending and p.is_due(now)]
        for proposal in due:
            line = self.line(proposal.line_id)
            if not proposal.is_pending:
                continue  # closed when the customer's fallback kept another offer
            # the customer's fallback "keep the best match" (issue 15)
            if line.fallback == "best_match" and self.keep_on_timeout(proposal, line, now):
                continue
            self._close(proposal, line, ProposalStatus.TIMED_OUT, DecidedBy.TIMEOUT, now)
        return due

    def end_pending_proposals(self, now: datetime) -> list[Proposal]:
        """Picking is finishing: every open window ends, with the fallback."""
        self.expire_due_proposals(now)
        pending = [p for p in self.proposals() if p.is_pending]
        for proposal in pending:
            self._close(proposal, self.line(proposal.line_id), ProposalStatus.TIMED_OUT,
                        DecidedBy.PICKER_FINISHED, now)
        return pending

    def _close(self, proposal: Proposal, line: Line, status: ProposalStatus,
               by: DecidedBy, now: datetime, fallback: str | None = None) -> None:
        proposal.status = status
        proposal.decided_at = now
        proposal.decided_by = by
        approved = status is ProposalStatus.APPROVED
        self._record(SubstitutionDecided(
            order_id=self.id or 0, occurred_at=now, line_id=line.id or 0, proposal=proposal.ref,
            original_sku=line.product.sku, sku=proposal.product.sku, outcome=status.value,
            decided_by=by.value, quantity=proposal.quantity,
            charged_unit_price_minor=(proposal.charged_unit_price(proposal.difference_approved)
                                      if approved else None),
            difference_approved=proposal.difference_approved,
            # a weight question unanswered: the heavier item is not kept
            fallback=fallback or (("refund" if proposal.kind != "weight" else "not_kept")
                                  if status is ProposalStatus.TIMED_OUT else None),
            picked=(proposal.substitute_line.picked_quantity
                    if approved and proposal.substitute_line is not None else 0),
            marking_code=proposal.marking_code if approved else None,
            weight_g=proposal.weight_g if approved else None))
