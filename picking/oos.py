"""Out of stock and late finds: the rules of issue 15 (items 6 and 7) on the order.

A short with a reason that says the shelf was empty (``OUT_REASONS``) also tells
the OMS the product is unavailable in the store (``ItemUnavailable``); the app
then marks it *likely out* for a while, so other pickers and customers hear of it
before anyone walks to the same empty shelf.

A line marked missing may be reopened while the order is still being picked:
by scanning the product (the item was found after all) or by a supervisor with a
reason. The OMS gets ``LineReopened``, which corrects the ``LineShorted`` it
had; substitutes still waiting for the customer's answer on that line are
withdrawn (an approved one has already made the line ``substituted``, which is
final, so such a line is not reopened).

``OutOfStockRules`` is a mixin of ``Order``: it uses the order's ``lines``,
``_record``, ``_require_picker`` and ``status``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from picking import errors, events
from picking.events import Event
from picking.lines import (
    DEFAULT_TOLERANCE,
    FALLBACKS,
    MAX_WEIGHT_G,
    Line,
    Product,
    Proposal,
    Scan,
    Tolerance,
    _named,
    _price,
)
from picking.status import LineState, OrderStatus, ProposalStatus

OUT_REASONS = frozenset({"not_found", "out_of_stock"})
MAX_REOPEN_REASON = 200


class OutOfStockRules:
    """Late finds, the out-of-stock signal and choices made in advance."""

    lines: list[Line]
    status: OrderStatus
    id: int | None
    store_code: str
    event_seq: int
    events: list[Event]

    if TYPE_CHECKING:
        def _record(self, event: Event) -> None: ...
        def _require_picker(self, staff_id: int | None) -> None: ...
        def line(self, line_id: int) -> Line: ...
        def _close(self, proposal: Proposal, line: Line, status: ProposalStatus,
                   by: Any, now: datetime, fallback: str | None = None) -> None: ...
        def _substitute_line(self, line: Line, proposal: Proposal, now: datetime) -> Line: ...

    def short_line_for_late_find(self, product: Product) -> Line | None:
        """The line a scan of ``product`` would reopen: none of its lines is open and
        one was marked missing. None when a scan should go the usual way."""
        mine = [ln for ln in self.lines if ln.product.sku == product.sku]
        if any(ln.state is LineState.OPEN for ln in mine):
            return None
        return next((ln for ln in mine if ln.state is LineState.SHORT), None)

    def reopen_line(self, line_id: int, *, now: datetime, staff_id: int | None, by: str,
                    reason: str = "", supervisor: bool = False) -> Line:
        """Take back a short: the line is open again with what was picked on it.

        ``by`` is ``scan`` (the picker found it) or ``supervisor`` (who must give a
        reason, and need not be the order's picker). Raises LineNotReopenable,
        ReopenReasonRequired and the picker checks of the order (a finished order
        cannot be reopened: OrderNotPickable).
        """
        self._require_picker(None if supervisor else staff_id)
        reason = " ".join(reason.split())
        if supervisor and not 0 < len(reason) <= MAX_REOPEN_REASON:
            raise errors.ReopenReasonRequired()
        line = self.line(line_id)
        if line.state is not LineState.SHORT:
            raise errors.LineNotReopenable(**_named(line.product), state=str(line.state))
        withdrawn = []
        for proposal in line.proposals:
            if proposal.is_pending:
                proposal.status = ProposalStatus.WITHDRAWN
                proposal.decided_at = now
                proposal.decided_by = "late_find"
                withdrawn.append(proposal.ref)
        previous = line.short_reason
        line.state = LineState.OPEN
        line.short_reason = None
        self._record(events.LineReopened(
            order_id=self.id or 0, occurred_at=now, actor_id=staff_id, line_id=line.id or 0,
            sku=line.product.sku, previous_reason=previous, by=by, reason=reason,
            withdrawn=tuple(withdrawn)))
        return line

    def count_late_find(self, line_id: int, count: Callable[[], Line], *, now: datetime,
                        staff_id: int | None) -> Line:
        """Reopen a short line because its product was scanned, then ``count()`` the
        scan; if the scan is refused (a marked product without its code, a weighed
        one without a weight...) the line stays missing, as it was, and the error
        is raised: a refused scan changes nothing."""
        line = self.line(line_id)
        before = (line.state, line.short_reason, self.event_seq, len(self.events),
                  [(p, p.status, p.decided_at, p.decided_by) for p in line.proposals])
        self.reopen_line(line_id, now=now, staff_id=staff_id, by="scan")
        try:
            return count()
        except errors.PickingError:
            line.state, line.short_reason, self.event_seq, kept, proposals = before
            del self.events[kept:]
            for proposal, status, decided_at, decided_by in proposals:
                proposal.status, proposal.decided_at = status, decided_at
                proposal.decided_by = decided_by
            raise

    def note_unavailable(self, line: Line, reason: str, now: datetime,
                         staff_id: int | None) -> bool:
        """After a short: tell the OMS when the reason says the shelf was empty.
        Returns True when it did (the product is then likely out)."""
        if reason not in OUT_REASONS:
            return False
        self._record(events.ItemUnavailable(
            order_id=self.id or 0, occurred_at=now, actor_id=staff_id,
            store=self.store_code, sku=line.product.sku, reason=reason))
        return True

    def offer_choice(self, line_id: int, customer_url: str, now: datetime) -> bool:
        """The line's product is likely out: tell the customer (through the OMS) they
        may choose a substitute now. False when there is nothing to choose (the line
        is done or wants no substitute)."""
        line = self.line(line_id)
        if (self.status not in (OrderStatus.QUEUED, OrderStatus.PICKING)
                or line.state is not LineState.OPEN or line.substitution != "best_match"):
            return False
        self._record(events.SubstituteChoiceOffered(
            order_id=self.id or 0, occurred_at=now, line_id=line.id or 0,
            sku=line.product.sku, customer_url=customer_url))
        return True

    def choose_in_advance(self, line_id: int, substitute: Product | None,
                          now: datetime) -> Line:
        """The customer's choice before the picker reaches the shelf: this substitute
        (the line then takes only it), or none at all (refund). Raises
        SubstituteNotAllowed when the line is no longer open, wants no substitute or
        the product may not replace the original; OrderNotPickable after picking."""
        from picking.substitution import may_replace

        if self.status not in (OrderStatus.QUEUED, OrderStatus.PICKING):
            raise errors.OrderNotPickable(order=getattr(self, "oms_id", ""),
                                          status=str(self.status))
        line = self.line(line_id)
        if line.state is not LineState.OPEN or line.substitution == "none":
            raise errors.SubstituteNotAllowed(reason="line_not_open", sku=line.product.sku)
        if substitute is not None:
            why = may_replace(line.product, substitute)
            if why is not None:
                raise errors.SubstituteNotAllowed(reason=why, sku=substitute.sku,
                                                  name_ru=substitute.name_ru,
                                                  name_en=substitute.name_en)
            line.substitution, line.specific_sku = "specific", substitute.sku
        else:
            line.substitution, line.specific_sku = "none", None
        self._record(events.SubstituteChosenInAdvance(
            order_id=self.id or 0, occurred_at=now, line_id=line.id or 0,
            sku=line.product.sku, substitute_sku=substitute.sku if substitute else None))
        return line

    # -- weight over the soft band: a question for the customer (item 5) ---------

    def ask_about_weight(self, line_id: int, weight_g: int, *, ref: str, code: str,
                         now: datetime, window: timedelta | None, customer_url: str,
                         staff_id: int | None,
                         tolerance: Tolerance = DEFAULT_TOLERANCE) -> Proposal:
        """Offer the weighed item as it is, heavier than the soft band allows, on the
        customer's link (same window and fallback as a substitute; unanswered, it
        is not kept). Nothing is counted until the customer keeps it.

        Raises NotAWeighedLine, LineAlreadyDone, AbsurdWeight, WeightOutsideTolerance
        (beyond the hard limit: pick another), WeightQuestionNotNeeded (within the
        band, or lighter), SubstituteNotAllowed (a question is already waiting).
        """
        self._require_picker(staff_id)
        line = self.line(line_id)
        if not line.is_weighed:
            raise errors.NotAWeighedLine(**_named(line.product))
        if line.is_done:
            raise errors.LineAlreadyDone(**_named(line.product))
        if weight_g <= 0 or weight_g > MAX_WEIGHT_G:
            raise errors.AbsurdWeight(weight_g=weight_g)
        total = line.picked_quantity + weight_g
        verdict = tolerance.classify(line.quantity, total)
        if verdict == "blocked" and total > line.quantity:
            raise errors.WeightOutsideTolerance(
                **_named(line.product), ordered_g=line.quantity, total_g=total,
                hard_pct=tolerance.hard_pct)
        if verdict != "confirm" or total < line.quantity:
            raise errors.WeightQuestionNotNeeded(**_named(line.product),
                                                 ordered_g=line.quantity, total_g=total)
        if any(p.is_pending and p.kind == "weight" for p in line.proposals):
            raise errors.SubstituteNotAllowed(reason="already_proposed", sku=line.product.sku,
                                              name_ru=line.product.name_ru,
                                              name_en=line.product.name_en)
        proposal = Proposal(
            ref=ref, order_id=self.id or 0, line_id=line.id or 0, product=line.product,
            quantity=total, unit_price_minor=line.unit_price_minor,
            original_unit_price_minor=line.unit_price_minor, code=code, proposed_at=now,
            expires_at=None if window is None else now + window, staff_id=staff_id,
            weight_g=weight_g, kind="weight")
        line.proposals.append(proposal)
        self._record(events.WeightQuestionAsked(
            order_id=self.id or 0, occurred_at=now, actor_id=staff_id, line_id=line.id or 0,
            proposal=ref, sku=line.product.sku, ordered_g=line.quantity, offered_g=total,
            extra_minor=weight_extra_minor(line, proposal), expires_at=proposal.expires_at,
            customer_url=customer_url))
        return proposal

    # -- the customer's fallback (item 8) ---------------------------------------

    def set_fallback(self, line_id: int, fallback: str, now: datetime) -> Line:
        """What happens to this line's offers if the customer does not answer in time:
        ``refund`` or ``best_match`` (keep the first offer). Raises
        InvalidFallback, OrderNotPickable after picking."""
        if fallback not in FALLBACKS:
            raise errors.InvalidFallback(value=str(fallback)[:32])
        if self.status not in (OrderStatus.RECEIVED, OrderStatus.QUEUED, OrderStatus.PICKING):
            raise errors.OrderNotPickable(order=getattr(self, "oms_id", ""),
                                          status=str(self.status))
        line = self.line(line_id)
        if line.fallback != fallback:
            line.fallback = fallback
            self._record(events.FallbackChosen(
                order_id=self.id or 0, occurred_at=now, line_id=line.id or 0,
                sku=line.product.sku, fallback=fallback))
        return line

    def keep_on_timeout(self, proposal: Proposal, line: Line, now: datetime) -> bool:
        """The window ended unanswered and the customer said "keep the best match":
        the offer is approved (at no more than the original price: no difference was
        agreed). False when it cannot be kept (the line moved on): refund as usual."""
        from picking.substitution import DecidedBy

        if proposal.kind == "weight":
            if (line.state is not LineState.OPEN or proposal.weight_g is None
                    or line.picked_quantity + proposal.weight_g != proposal.quantity):
                return False
            self._keep_weight(proposal, line, now)
            proposal.substitute_line = None
            self._close(proposal, line, ProposalStatus.APPROVED, DecidedBy.TIMEOUT, now,
                        fallback="best_match")
            return True
        if line.state is not LineState.SHORT:
            return False
        for other in line.proposals:
            if other is not proposal and other.is_pending and other.kind != "weight":
                self._close(other, line, ProposalStatus.REJECTED, DecidedBy.TIMEOUT, now)
        proposal.difference_approved = False
        proposal.substitute_line = self._substitute_line(line, proposal, now)
        line.state = LineState.SUBSTITUTED
        self._close(proposal, line, ProposalStatus.APPROVED, DecidedBy.TIMEOUT, now,
                    fallback="best_match")
        return True

    def decide_weight(self, proposal: Proposal, line: Line, *, approve: bool,
                      now: datetime) -> Proposal:
        """The customer's answer to a weight question. Kept: the weight is counted and
        the line picked. If the picker has moved on meanwhile (the line got another
        weight, or was marked missing) the question is withdrawn and ProposalClosed
        raised: nothing is counted twice."""
        from picking.substitution import DecidedBy

        if approve and (line.state is not LineState.OPEN or proposal.weight_g is None
                        or line.picked_quantity + proposal.weight_g != proposal.quantity):
            proposal.status, proposal.decided_at = ProposalStatus.WITHDRAWN, now
            proposal.decided_by = "picker_moved_on"
            raise errors.ProposalClosed(proposal=proposal.ref, status="withdrawn")
        if not approve:
            self._close(proposal, line, ProposalStatus.REJECTED, DecidedBy.CUSTOMER, now)
            return proposal
        self._keep_weight(proposal, line, now)
        proposal.substitute_line = None  # the line itself took the weight: no new line
        self._close(proposal, line, ProposalStatus.APPROVED, DecidedBy.CUSTOMER, now)
        return proposal

    def _keep_weight(self, proposal: Proposal, line: Line, now: datetime) -> None:
        weight_g = proposal.weight_g or 0
        line.scans.append(Scan(scan_id=f"weight-{proposal.ref}", code=proposal.code,
                               quantity=weight_g, scanned_at=now, staff_id=proposal.staff_id))
        line.picked_quantity = proposal.quantity
        line.state = LineState.PICKED
        line.weight_note = "customer"
        self._record(events.WeightRecorded(
            order_id=self.id or 0, occurred_at=now, actor_id=None, line_id=line.id or 0,
            sku=line.product.sku, weight_g=weight_g, total_g=line.picked_quantity,
            ordered_g=line.quantity, outside_soft_band=True, price_minor=line.price_minor))


def weight_extra_minor(line: Line, proposal: Proposal) -> int:
    """What keeping the heavier item costs more than the weight ordered."""
    return (_price(line.product, line.unit_price_minor, proposal.quantity)
            - _price(line.product, line.unit_price_minor, line.quantity))
