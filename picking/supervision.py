"""What a supervisor may do to an order: assign, reassign, unassign, raise priority.

``SupervisionRules`` is a mixin of ``Order``: it checks first, then changes the
order and records a past-tense event (which the unit of work writes to the
outbox, the audit trail). Whether the picker exists in the store is the
service's question; these rules only know the order.
"""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime
from typing import TYPE_CHECKING

from picking import errors, events
from picking.status import ASSIGNABLE, IN_STORE, OrderStatus

PRIORITISABLE = IN_STORE
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

    if TYPE_CHECKING:
        def _record(self, event: events.Event) -> None: ...
        def _id(self) -> int: ...
        def move_to(self, status: OrderStatus) -> None: ...

    def assign_picker(self, picker_id: int, *, now: datetime, actor_id: int | None) -> None:
        """Give the order to ``picker_id``; it becomes their current order.

        A queued order starts picking for that picker; one being picked changes
        hands, its scans kept. Assigning the same picker again changes nothing.
        Raises OrderCancelled, or OrderNotPickable once picking is finished.
        """
        self._require_status(ASSIGNABLE)
        if self.picker_id == picker_id and self.status is OrderStatus.PICKING:
            return
        previous = self.picker_id
        self.picker_id = picker_id
        if self.status is not OrderStatus.PICKING:
            self.move_to(OrderStatus.PICKING)
        self.picking_started_at = self.picking_started_at or now
        self._record(PickerAssigned(order_id=self._id(), occurred_at=now, actor_id=actor_id,
                                    picker_id=picker_id, previous_picker_id=previous))

    def unassign_picker(self, *, now: datetime, actor_id: int | None) -> None:
        """Take the order from its picker and put it back in the queue, scans kept.

        Raises InvalidTransition when nobody is picking it.
        """
        self._require_status(ASSIGNABLE)
        if self.status is not OrderStatus.PICKING or self.picker_id is None:
            raise errors.InvalidTransition(order=self.oms_id, status=str(self.status),
                                           reason="not_assigned")
        previous = self.picker_id
        self.picker_id = None
        self.move_to(OrderStatus.QUEUED)
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

    def _require_status(self, allowed: Set[OrderStatus]) -> None:
        if self.status is OrderStatus.CANCELLED:
            raise errors.OrderCancelled(order=self.oms_id)
        if self.status not in allowed:
            raise errors.OrderNotPickable(order=self.oms_id, status=str(self.status))


PickerNotAvailable = errors.PickerNotAvailable  # defined with every domain error
