"""Pickup check-in: the click & collect customer says "on my way" and "I'm here".

Order inherits ``ArrivalRules``. Each step is accepted once, and only while the
order waits at the pickup place (packed, click & collect); "on my way" after
"I'm here" is a replay too. A store with bays or desks needs one of them on
"I'm here"; a store without takes none. Raising changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from picking import errors
from picking.events import CustomerArrived, CustomerOnTheWay
from picking.status import OrderStatus

ON_THE_WAY, ARRIVED = "on_the_way", "arrived"
MAX_BAY_LENGTH = 16


@dataclass
class Arrival:
    """What the customer told us about their arrival (all None: nothing yet)."""

    on_the_way_at: datetime | None = None
    arrived_at: datetime | None = None
    bay: str | None = None

    @property
    def step(self) -> str | None:
        if self.arrived_at is not None:
            return ARRIVED
        return ON_THE_WAY if self.on_the_way_at is not None else None

    def waited_seconds(self, now: datetime) -> int | None:
        """Seconds since "I'm here"; None when the customer never said it."""
        if self.arrived_at is None:
            return None
        return max(int((now - self.arrived_at).total_seconds()), 0)


def parse_bays(text: str) -> tuple[str, ...]:
    """The store's bays from its setting: comma separated, blanks dropped, order kept."""
    seen: list[str] = []
    for part in text.split(","):
        bay = part.strip()[:MAX_BAY_LENGTH]
        if bay and bay not in seen:
            seen.append(bay)
    return tuple(seen)


class ArrivalRules:
    """Mixin for Order: the customer's check-in steps."""

    if TYPE_CHECKING:
        oms_id: str
        status: OrderStatus
        fulfilment: str

        def _record(self, event: Any) -> None: ...
        def _id(self) -> int: ...

    @property
    def awaits_pickup(self) -> bool:
        return self.fulfilment == "collect" and str(self.status) == OrderStatus.PACKED.value

    def customer_on_the_way(self, arrival: Arrival, *, now: datetime) -> None:
        """Raises CheckInNotOpen, AlreadyCheckedIn."""
        self._check_in_open()
        if arrival.step is not None:
            raise errors.AlreadyCheckedIn(step=arrival.step)
        arrival.on_the_way_at = now
        self._record(CustomerOnTheWay(order_id=self._id(), occurred_at=now))

    def customer_arrived(self, arrival: Arrival, *, now: datetime, bay: str,
                         bays: tuple[str, ...]) -> None:
        """Raises CheckInNotOpen, AlreadyCheckedIn, UnknownBay (a bay the store has not,
        or none where it has some)."""
        self._check_in_open()
        if arrival.arrived_at is not None:
            raise errors.AlreadyCheckedIn(step=ARRIVED)
        chosen = bay.strip()
        if bays and chosen not in bays:
            raise errors.UnknownBay(bay=chosen[:MAX_BAY_LENGTH])
        arrival.arrived_at, arrival.bay = now, (chosen if bays else None)
        self._record(CustomerArrived(order_id=self._id(), occurred_at=now, bay=arrival.bay))

    def _check_in_open(self) -> None:
        if not self.awaits_pickup:
            raise errors.CheckInNotOpen()
