"""What the central OMS may do to an order after it reached the store.

``Lifecycle`` is a mixin of ``Order``: cancellation and revision (the OMS sends
a newer version of the order). Rules, decided here once:

- A version older than or equal to the order's ``oms_version`` changes nothing
  (retries and reordered deliveries are harmless).
- Before picking starts, a revision replaces the lines outright.
- While picking, a revision may add lines, remove lines nothing was picked
  for, and change quantities as long as no line drops below what is already
  in the basket; a picked line whose quantity grows opens again. Anything
  else is refused with ``RevisionRefused`` (the OMS should cancel instead).
- Once picking has finished the order is refused (``RevisionRefused``): the
  basket is packed and the customer's price is settled.
- Cancelling is allowed until handover; cancelling twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from picking import errors, events
from picking.lines import Line, Product
from picking.status import BEYOND_CANCEL, PICKING_FINISHED, LineState, OrderStatus

RevisionRefused = errors.RevisionRefused  # defined with every domain error


@dataclass(frozen=True)
class RevisedLine:
    """One line of a new order version, its product already looked up."""

    product: Product
    quantity: int  # pieces, or grams when weighed
    unit_price_minor: int
    substitution: str = "best_match"
    specific_sku: str | None = None
    min_days_left: int | None = None  # the OMS's freshness promise for the line
    fallback: str | None = None  # None: the line keeps its own (issue 15)


class Lifecycle:
    """Cancel and revise; mixed into ``Order`` (whose fields these are)."""

    oms_id: str
    oms_version: int
    status: OrderStatus
    lines: list[Line]
    picker_id: int | None
    id: int | None

    if TYPE_CHECKING:
        def _record(self, event: events.Event) -> None: ...
        def move_to(self, status: OrderStatus) -> None: ...

    def cancel(self, *, reason: str, now: datetime, actor_id: int | None = None) -> bool:
        """Cancel the order; False when it already was.

        Raises InvalidTransition once the order has been handed over.
        """
        if self.status is OrderStatus.CANCELLED:
            return False
        if self.status in BEYOND_CANCEL:
            raise errors.InvalidTransition(order=self.oms_id, status=self.status.value,
                                           to="cancelled")
        previous = self.status.value
        self.move_to(OrderStatus.CANCELLED)
        self._record(events.OrderCancelled(
            order_id=self.id or 0, occurred_at=now, actor_id=actor_id, reason=reason,
            previous_status=previous, picker_id=self.picker_id))
        return True

    def revise(self, version: int, lines: list[RevisedLine], *, now: datetime) -> bool:
        """Apply the OMS's version ``version`` of the lines; False if not newer.

        Raises OrderCancelled for a cancelled order and RevisionRefused when
        picking has finished or a change would undo what is in the basket.
        Checks everything before changing anything.
        """
        if version <= self.oms_version:
            return False
        if self.status is OrderStatus.CANCELLED:
            raise errors.OrderCancelled(order=self.oms_id)
        if self.status in PICKING_FINISHED:
            raise RevisionRefused(order=self.oms_id, reason="picking finished",
                                  status=self.status.value)
        wanted = {ln.product.sku: ln for ln in lines}
        current = {ln.product.sku: ln for ln in self.lines}
        removed = [sku for sku in current if sku not in wanted]
        changed = [sku for sku in current if sku in wanted
                   and wanted[sku].quantity != current[sku].quantity]
        self._check_basket(current, wanted, removed)
        self._apply(current, wanted, removed)
        self.oms_version = version
        added = [sku for sku in wanted if sku not in current]
        self._record(events.OrderRevised(
            order_id=self.id or 0, occurred_at=now, oms_version=version, added=tuple(added),
            removed=tuple(removed),
            changed=tuple({"sku": sku, "from": current[sku].quantity,
                           "to": wanted[sku].quantity} for sku in changed)))
        return True

    def _check_basket(self, current: dict[str, Line], wanted: dict[str, RevisedLine],
                      removed: list[str]) -> None:
        for sku in removed:
            if current[sku].picked_quantity or current[sku].is_done:
                raise RevisionRefused(order=self.oms_id, reason="line already picked", sku=sku)
        for sku, line in current.items():
            if sku in wanted and wanted[sku].quantity < line.picked_quantity:
                raise RevisionRefused(order=self.oms_id, reason="less than already picked",
                                      sku=sku, picked=line.picked_quantity)

    def _apply(self, current: dict[str, Line], wanted: dict[str, RevisedLine],
               removed: list[str]) -> None:
        self.lines[:] = [ln for ln in self.lines if ln.product.sku not in removed]
        for position, (sku, new) in enumerate(wanted.items()):
            line = current.get(sku)
            if line is None:
                line = Line(product=new.product, quantity=new.quantity,
                            unit_price_minor=new.unit_price_minor)
                self.lines.append(line)
            _update_line(line, new, position)
            if line.state is LineState.PICKED and line.picked_quantity < line.quantity:
                line.state = LineState.OPEN
            elif (line.state is LineState.OPEN and not line.is_weighed
                  and line.picked_quantity == line.quantity):
                line.state = LineState.PICKED


def _update_line(line: Line, new: RevisedLine, position: int) -> None:
    values: dict[str, Any] = {
        "quantity": new.quantity, "unit_price_minor": new.unit_price_minor,
        "substitution": new.substitution, "specific_sku": new.specific_sku,
        "position": position, "min_days_left": new.min_days_left}
    if new.fallback is not None:
        values["fallback"] = new.fallback
    for name, value in values.items():
        if getattr(line, name) != value:
            setattr(line, name, value)
