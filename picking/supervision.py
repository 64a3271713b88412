"""What a supervisor may do to an order: assign, reassign, unassign, raise priority.

``SupervisionRules`` is a mixin of ``Order``: it checks first, then changes the
order and records a past-tense event (which the unit of work writes to the
outbox, the audit trail). Whether the picker exists in the store is the
service's question; these rules only know the order.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from picking import errors, events

if TYPE_CHECKING:
    from picking.model import OrderStatus

ASSIGNABLE = ("received", "queued", "picking")
PRIORITISABLE = ("received", "queued", "picking", "picked", "packed")
MAX_PRIORITY = 9


# The events, defined with every outbound event in picking.events.
PickerAssigned = events.PickerAssigned
PriorityRaised = events.PriorityRaised


class SupervisionRules:
    """Supervisor actions on an Order (mixed into ``picking.model.Order``)."""

    # Provided by Order; declared for readers and type checkers.
    status: OrderStatus
    picker_id: int | None
    priority: int
    oms_id: str
    picking_started_at: datetime | None

    def _record(self, event: events.Event) -> None:  # pragma: no cover - Order's
        raise NotImplementedError

    def _id(self) -> int:  # pragma: no cover - Order's
        raise NotImplementedError

    def assign_picker(self, picker_id: int, *, now: datetime, actor_id: int | None) -> None:
        """Give the order to ``picker_id``; it becomes their current order.

        A queued order starts picking for that picker; one being picked changes
        hands, its scans kept. Assigning the same picker again changes nothing.
        Raises OrderCancelled, or OrderNotPickable once picking is finished.
        """
        self._require_status(ASSIGNABLE)
        if self.picker_id == picker_id and str(self.status) == "picking":
            return
        previous = self.picker_id
        self.picker_id = picker_id
        self.status = type(self.status)("picking")
        self.picking_started_at = self.picking_started_at or now
        self._record(PickerAssigned(order_id=self._id(), occurred_at=now, actor_id=actor_id,
                                    picker_id=picker_id, previous_picker_id=previous))

    def unassign_picker(self, *, now: datetime, actor_id: int | None) -> None:
        """Take the order from its picker and put it back in the queue, scans kept.

        Raises InvalidTransition when nobody is picking it.
        """
        self._require_status(ASSIGNABLE)
        if str(self.status) != "picking" or self.picker_id is None:
            raise errors.InvalidTransition(order=self.oms_id, status=str(self.status),
                                           reason="not_assigned")
        previous = self.picker_id
        self.picker_id = None
        self.status = type(self.status)("queued")
        self._record(events.PickerUnassigned(order_id=self._id(), occurred_at=now,
                                             actor_id=actor_id, picker_id=previous))

    def raise_priority(self, *, now: datetime, actor_id: int | None) -> int:
        """Move the order up the pickers' queue by one step; returns the new priority.

        Raises OrderNotPickable once the order has left the store, and
        InvalidTransition at the top priority.
        """
        self._require_status(PRIORITISABLE)
        if self.priority >= MAX_PRIORITY:
            raise errors.InvalidTransition(order=self.oms_id, reason="top_priority")
        self.priority += 1
        self._record(PriorityRaised(order_id=self._id(), occurred_at=now, actor_id=actor_id,
                                    priority=self.priority))
        return self.priority

    def _require_status(self, allowed: tuple[str, ...]) -> None:
        status = str(self.status)
        if status == "cancelled":
            raise errors.OrderCancelled(order=self.oms_id)
        if status not in allowed:
            raise errors.OrderNotPickable(order=self.oms_id, status=status)


PickerNotAvailable = errors.PickerNotAvailable  # defined with every domain error
