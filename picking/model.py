"""The Order aggregate, its lines and scans, and the catalog entry they point to.

The order guards its own rules (what may be scanned, how much, which status
changes are allowed) and appends past-tense events; it never calls out. Every
method checks first and mutates after, so a raised error changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from picking import errors, events
from picking.arrival import ArrivalRules
from picking.freshness import refuse_stale
from picking.handover import HandoverRules
from picking.lifecycle import Lifecycle
from picking.lines import (
    DEFAULT_TOLERANCE,
    MAX_WEIGHT_G,
    SHORT_REASONS,
    ZONE_ORDER,
    Line,
    Product,
    Scan,
    Tolerance,
    _named,
)
from picking.marking import MarkingVerdict, refuse_unsellable
from picking.oos import OutOfStockRules
from picking.progress import Progress, progress_of
from picking.status import LineState, OrderStatus, can_move
from picking.substitution import SubstitutionRules
from picking.supervision import SupervisionRules

# The records live in picking.lines; the rest of the code imports them from here.
__all__ = ["MAX_WEIGHT_G", "SHORT_REASONS", "ZONE_ORDER", "Line", "LineState", "Order",
           "OrderStatus", "Product", "Scan", "Tolerance"]


@dataclass(eq=False)
class Order(SupervisionRules, HandoverRules, Lifecycle, SubstitutionRules, OutOfStockRules,
            ArrivalRules):
    store_id: int
    store_code: str
    oms_id: str
    due_at: datetime
    lines: list[Line] = field(default_factory=list)
    oms_version: int = 1
    status: OrderStatus = OrderStatus.QUEUED
    fulfilment: str = "delivery"  # delivery | collect
    customer_name: str = ""
    customer_phone: str = ""
    address: str | None = None
    picker_id: int | None = None
    priority: int = 0
    created_at: datetime | None = None
    picking_started_at: datetime | None = None
    picked_at: datetime | None = None
    event_seq: int = 0
    version: int = 1
    id: int | None = None
    customer_ref: str | None = None  # the OMS's customer id, when it sends one
    note: str | None = None  # the customer's note on the whole order

    def __post_init__(self) -> None:
        self.events: list[events.Event] = []

    # -- bookkeeping -------------------------------------------------------

    def _record(self, event: events.Event) -> None:
        """Give the event the order's next sequence number and keep it.

        Bumping ``event_seq`` also dirties the order row, which is what makes the
        optimistic ``version`` check cover changes made only to lines.
        """
        self.event_seq += 1
        object.__setattr__(event, "sequence", self.event_seq)
        if not hasattr(self, "events"):
            self.events = []
        self.events.append(event)

    def move_to(self, status: OrderStatus) -> None:
        """The only writer of ``status``: checks the move against ``picking.status``.

        Raises InvalidTransition for a move the table does not allow.
        """
        current = OrderStatus(self.status)
        if not can_move(current, status):
            raise errors.InvalidTransition(order=self.oms_id, status=current.value,
                                           to=status.value)
        self.status = status

    def line(self, line_id: int) -> Line:
        for line in self.lines:
            if line.id == line_id:
                return line
        raise errors.NoSuchLine(line_id=line_id)

    def lines_in_walking_order(self) -> list[Line]:
        return sorted(self.lines, key=lambda ln: ln.walk_key)

    def _require_picker(self, staff_id: int | None) -> None:
        if self.status is OrderStatus.CANCELLED:
            raise errors.OrderCancelled(order=self.oms_id)
        if self.status is not OrderStatus.PICKING:
            raise errors.OrderNotPickable(order=self.oms_id, status=str(self.status))
        if staff_id is not None and self.picker_id != staff_id:
            raise errors.NotYourOrder(order=self.oms_id)

    # -- assignment --------------------------------------------------------

    def start_picking(self, picker_id: int, now: datetime) -> None:
        """Assign the order to a picker and start picking. Raises OrderNotPickable."""
        if self.status is OrderStatus.CANCELLED:
            raise errors.OrderCancelled(order=self.oms_id)
        if not can_move(self.status, OrderStatus.PICKING):
            raise errors.OrderNotPickable(order=self.oms_id, status=str(self.status))
        self.move_to(OrderStatus.PICKING)
        self.picker_id = picker_id
        self.picking_started_at = self.picking_started_at or now
        self._record(events.PickingStarted(
            order_id=self._id(), occurred_at=now, picker_id=picker_id, actor_id=picker_id))

    def _id(self) -> int:
        return self.id if self.id is not None else 0

    # -- scanning ----------------------------------------------------------

    def scan(
        self,
        product: Product,
        *,
        code: str,
        scan_id: str,
        now: datetime,
        staff_id: int | None,
        quantity: int = 1,
        weight_g: int | None = None,
        marking_code: str | None = None,
        marking_tail: str | None = None,
        confirm: bool = False,
        tolerance: Tolerance = DEFAULT_TOLERANCE,
        clock_adjusted: bool = False,
        marking_check: MarkingVerdict | None = None,
        expiry: date | None = None,
        min_days_default: int | None = None,
    ) -> Line:
        """Count a verified item against its line and return that line.

        A repeated ``scan_id`` (a double-tap, a resent form) returns the line
        unchanged. Raises WrongItemScanned, TooManyScanned, LineAlreadyDone,
        InvalidQuantity, MarkingCodeRequired, DuplicateMarkingCode,
        WeightRequired and the weight errors of ``record_weight``.
        """
        self._require_picker(staff_id)
        repeated = self._scan_with_id(scan_id)
        if repeated is not None:
            return repeated
        line = self._line_for(product)
        if line.is_weighed:
            if weight_g is None:
                raise errors.WeightRequired(**_named(product))
            return self.record_weight(line.id or 0, weight_g, code=code, scan_id=scan_id,
                                      now=now, staff_id=staff_id, confirm=confirm,
                                      tolerance=tolerance, clock_adjusted=clock_adjusted,
                                      expiry=expiry, min_days_default=min_days_default,
                                      _line=line)
        self._check_piece_scan(line, quantity, marking_code)
        check = refuse_unsellable(line.product, marking_code, marking_check)
        expiry = refuse_stale(line, self.due_at, expiry or check.expiry, min_days_default)
        line.scans.append(Scan(scan_id=scan_id, code=code, quantity=quantity, scanned_at=now,
                               staff_id=staff_id, marking_code=marking_code,
                               marking_tail=marking_tail, clock_adjusted=clock_adjusted,
                               expiry=expiry, **check.scan_fields()))
        line.picked_quantity += quantity
        if line.picked_quantity == line.quantity:
            line.state = LineState.PICKED
        self._record(events.ItemScanned(
            order_id=self._id(), occurred_at=now, actor_id=staff_id, line_id=line.id or 0,
            sku=product.sku, code=code, quantity=quantity, marking_code=marking_code,
            picked_quantity=line.picked_quantity, marking_check=check.event))
        return line

    def _scan_with_id(self, scan_id: str) -> Line | None:
        for line in self.lines:
            if any(s.scan_id == scan_id for s in line.scans):
                return line
        return None

    def _line_for(self, product: Product) -> Line:
        candidates = [ln for ln in self.lines if ln.product.sku == product.sku]
        if not candidates:
            raise errors.WrongItemScanned(**_named(product))
        open_lines = [ln for ln in candidates if not ln.is_done]
        if not open_lines:
            raise errors.LineAlreadyDone(**_named(product))
        return open_lines[0]

    def _check_piece_scan(self, line: Line, quantity: int, marking_code: str | None) -> None:
        if quantity < 1 or quantity > 999:
            raise errors.InvalidQuantity(quantity=quantity)
        if line.product.marked:
            if marking_code is None:
                raise errors.MarkingCodeRequired(**_named(line.product))
            if quantity != 1:
                raise errors.InvalidQuantity(quantity=quantity, reason="marked")
            if any(s.marking_code == marking_code for ln in self.lines for s in ln.live_scans()):
                raise errors.DuplicateMarkingCode(**_named(line.product))
        if line.picked_quantity + quantity > line.quantity:
            raise errors.TooManyScanned(
                **_named(line.product), ordered=line.quantity,
                picked=line.picked_quantity, quantity=quantity)

    def record_weight(
        self,
        line_id: int,
        weight_g: int,
        *,
        code: str,
        scan_id: str,
        now: datetime,
        staff_id: int | None,
        confirm: bool = False,
        tolerance: Tolerance = DEFAULT_TOLERANCE,
        clock_adjusted: bool = False,
        expiry: date | None = None,
        min_days_default: int | None = None,
        _line: Line | None = None,
    ) -> Line:
        """Add a weight (scale label or typed) to a weighed line; labels add up.

        Within the soft band the line is picked; beyond it the picker must pass
        ``confirm``; beyond the hard limit it is refused. Raises AbsurdWeight,
        WeightNeedsConfirmation, WeightOutsideTolerance, LineAlreadyDone.
        """
        self._require_picker(staff_id)
        repeated = self._scan_with_id(scan_id)
        if repeated is not None:
            return repeated
        line = _line or self.line(line_id)
        if not line.is_weighed:
            raise errors.NotAWeighedLine(**_named(line.product))
        if line.is_done:
            raise errors.LineAlreadyDone(**_named(line.product))
        if weight_g <= 0 or weight_g > MAX_WEIGHT_G:
            raise errors.AbsurdWeight(weight_g=weight_g)
        # Loose goods keep the freshness promise too: a scale label has no date, so a
        # perishable asks for the one on the pack (or the tray) like a piece without one.
        expiry = refuse_stale(line, self.due_at, expiry, min_days_default)
        total = line.picked_quantity + weight_g
        verdict = tolerance.classify(line.quantity, total)
        if verdict == "confirm" and total < line.quantity and not confirm:
            verdict = "partial"  # under the band: more labels may follow
        if verdict == "blocked" and total < line.quantity:
            verdict = "partial"
        if verdict == "blocked":
            raise errors.WeightOutsideTolerance(
                **_named(line.product), ordered_g=line.quantity, total_g=total,
                hard_pct=tolerance.hard_pct)
        if verdict == "confirm" and not confirm:
            raise errors.WeightNeedsConfirmation(
                **_named(line.product), ordered_g=line.quantity, total_g=total,
                soft_pct=tolerance.soft_pct)
        line.scans.append(Scan(scan_id=scan_id, code=code, quantity=weight_g, scanned_at=now,
                               staff_id=staff_id, clock_adjusted=clock_adjusted,
                               expiry=expiry))
        line.picked_quantity = total
        if verdict != "partial":
            line.state = LineState.PICKED
            line.weight_note = None if total == line.quantity else (
                "confirmed" if verdict == "confirm" else "soft")
        self._record(events.WeightRecorded(
            order_id=self._id(), occurred_at=now, actor_id=staff_id, line_id=line.id or 0,
            sku=line.product.sku, weight_g=weight_g, total_g=total, ordered_g=line.quantity,
            outside_soft_band=verdict == "confirm", price_minor=line.price_minor))
        return line

    def undo_last_scan(self, *, now: datetime, staff_id: int | None,
                       undo_id: str | None = None) -> Line:
        """Take back the most recent scan still counted. Raises NothingToUndo.

        ``undo_id`` (the phone's id for this undo) is kept on the scan taken back:
        an undo already applied under that id returns its line and takes back nothing.
        """
        self._require_picker(staff_id)
        if undo_id is not None:
            for ln in self.lines:
                if any(s.undone_by == undo_id for s in ln.scans):
                    return ln
        live = [(s.scanned_at, s.id or 0, s, ln) for ln in self.lines for s in ln.live_scans()]
        if not live:
            raise errors.NothingToUndo()
        *_, scan, line = max(live, key=lambda item: (item[0], item[1]))
        scan.undone_at = now
        scan.undone_by = undo_id
        scan.marking_code = None
        line.picked_quantity -= scan.quantity
        line.state = LineState.OPEN
        line.short_reason = None
        line.weight_note = None
        self._record(events.ScanUndone(
            order_id=self._id(), occurred_at=now, actor_id=staff_id, line_id=line.id or 0,
            sku=line.product.sku, quantity=scan.quantity, picked_quantity=line.picked_quantity,
            marking_code=scan.marking_code))
        return line

    # -- short and finish --------------------------------------------------

    def short(self, line_id: int, reason: str, *, now: datetime, staff_id: int | None) -> Line:
        """Mark what is still missing on a line as short. Raises LineAlreadyDone."""
        self._require_picker(staff_id)
        if reason not in SHORT_REASONS:
            raise errors.InvalidShortReason(value=reason)
        line = self.line(line_id)
        if line.state is LineState.SHORT and line.short_reason == reason:
            return line  # the same short again (a double tap, a replay): nothing changes
        if line.is_done:
            raise errors.LineAlreadyDone(**_named(line.product))
        line.state = LineState.SHORT
        line.short_reason = reason
        self._record(events.LineShorted(
            order_id=self._id(), occurred_at=now, actor_id=staff_id, line_id=line.id or 0,
            sku=line.product.sku, ordered=line.quantity, picked=line.picked_quantity,
            missing=line.remaining, reason=reason))
        self.note_unavailable(line, reason, now, staff_id)  # the shelf was empty: tell the OMS
        return line

    def finish_picking(self, *, now: datetime, staff_id: int | None) -> None:
        """Close picking when every line is picked or short. Raises LinesStillOpen.

        Substitutes still waiting for the customer get the fallback now: the
        picker finishing ends every open window. Finishing again, by the picker who
        finished it (a double tap, a resent form), changes nothing and raises nothing.
        """
        if self.status is OrderStatus.PICKED and staff_id is not None \
                and self.picker_id == staff_id:
            return
        self._require_picker(staff_id)
        open_lines = [ln for ln in self.lines if not ln.is_done]
        if open_lines:
            raise errors.LinesStillOpen(count=len(open_lines))
        self.end_pending_proposals(now)
        self.move_to(OrderStatus.PICKED)
        self.picked_at = now
        summary = tuple(
            {"sku": ln.product.sku, "ordered": ln.quantity, "picked": ln.picked_quantity,
             "state": str(ln.state), "price_minor": ln.price_minor,
             "unit": ln.product.unit, "short_reason": ln.short_reason,
             # per unit, as verified: every marking code, every weight (labels add up)
             "marking_codes": [s.marking_code for s in ln.live_scans() if s.marking_code],
             "weights_g": [s.quantity for s in ln.live_scans()] if ln.is_weighed else [],
             "substitute_for": ln.substitute_for_id}
            for ln in self.lines)
        self._record(events.OrderPicked(
            order_id=self._id(), occurred_at=now, actor_id=staff_id, lines=summary,
            total_minor=self.total_minor))

    @property
    def total_minor(self) -> int:
        return sum(ln.price_minor for ln in self.lines)

    @property
    def progress(self) -> Progress:
        """Picked, substituted and missing items out of those ordered."""
        return progress_of(self.lines)

    @property
    def done_count(self) -> int:
        return sum(1 for ln in self.lines if ln.is_done)
