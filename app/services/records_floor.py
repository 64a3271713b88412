"""What the floor's repositories return (no SQL here): a store's pickup settings, the
customers who checked in, and the pickers' rates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

DEFAULT_WAIT_LIMIT_MINUTES = 10
DEFAULT_PACE_TARGET_PER_HOUR = 60


@dataclass(frozen=True)
class PickupSettings:
    place: str = ""
    hours: str = ""
    bays: tuple[str, ...] = ()
    wait_limit_minutes: int = DEFAULT_WAIT_LIMIT_MINUTES
    pace_target_per_hour: int = DEFAULT_PACE_TARGET_PER_HOUR


@dataclass(frozen=True)
class CheckedIn:
    """A packed collect order of the store whose customer said "on my way" or "I'm here"."""

    order_id: int
    oms_id: str
    customer_name: str
    bay: str | None
    on_the_way_at: datetime | None
    arrived_at: datetime | None


@dataclass(frozen=True)
class PickRates:
    lines: int  # lines of the picker's orders closed today (picked, short or substituted)
    found: int  # picked as ordered: no substitute, nothing short
    first_time: int  # picked as ordered with no scan undone

    @property
    def found_rate(self) -> float:
        return round(100 * self.found / self.lines, 1) if self.lines else 0.0

    @property
    def first_time_rate(self) -> float:
        return round(100 * self.first_time / self.lines, 1) if self.lines else 0.0
