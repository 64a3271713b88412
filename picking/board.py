"""What the supervisor's board says about an order: over its limit, and why.

Pure: the app layer gathers the facts of each open order and passes ``now``;
these functions answer with plain reasons (a kind and a number of minutes)
that the screen turns into sentences. Nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from picking.status import IN_STORE, OrderStatus

# Minutes an order may spend in each status before the supervisor is alerted.
DEFAULT_TIME_LIMITS: dict[str, int] = {"queued": 20, "picking": 30, "picked": 10, "packed": 30}
OPEN_STATUSES = tuple(s.value for s in OrderStatus if s in IN_STORE)  # derived from the move table
IDLE_AFTER_MINUTES = 5  # a picker with no scan for this long is "idle"

# Refused scans the board counts as scan errors (error code -> kind on the board).
SCAN_ERROR_KINDS = {
    "wrong_item": "wrong_item",
    "unknown_code": "unknown_code",
    "bad_code": "bad_code",
    "too_many": "too_many",
    "line_done": "line_done",
    "marking_required": "marking_required",
    "marking_duplicate": "marking_duplicate",
    "weight_blocked": "weight_blocked",
    "absurd_weight": "absurd_weight",
    "not_fresh": "not_fresh",  # a shelf that needs rotation (counted per product too)
}


@dataclass(frozen=True)
class OrderFacts:
    """What the board knows about one open order. Times are timezone-aware."""

    status: str
    due_at: datetime
    status_since: datetime
    picker_id: int | None = None
    lines: int = 0
    done: int = 0
    last_scan_at: datetime | None = None
    waiting_since: datetime | None = None  # oldest unanswered substitution proposal
    weight_missing: int = 0  # weighed lines still without a weight
    short: int = 0


@dataclass(frozen=True)
class Reason:
    """One plain reason an order is late or stuck, e.g. ("picker_idle", 7)."""

    kind: str  # late | over_limit | waiting_customer | picker_idle | unassigned | not_collected
    minutes: int = 0


def time_limits(raw: Any) -> dict[str, int]:
    """The store's limits over the defaults; junk values fall back to the default.

    Accepts whatever the ``stores.time_limits`` JSON holds (a dict, or None).
    """
    limits = dict(DEFAULT_TIME_LIMITS)
    if isinstance(raw, dict):
        for status, minutes in raw.items():
            if isinstance(minutes, int) and not isinstance(minutes, bool) and minutes > 0:
                limits[str(status)] = minutes
    return limits


def _minutes(delta: timedelta) -> int:
    return max(int(delta.total_seconds() // 60), 0)


def minutes_in_status(facts: OrderFacts, now: datetime) -> int:
    return _minutes(now - facts.status_since)


def limit_for(facts: OrderFacts, limits: dict[str, int]) -> int | None:
    status = "queued" if facts.status == "received" else facts.status
    return limits.get(status)


def is_over_limit(facts: OrderFacts, limits: dict[str, int], now: datetime) -> bool:
    """True when the order has been in its status longer than the store allows."""
    limit = limit_for(facts, limits)
    return limit is not None and now - facts.status_since > timedelta(minutes=limit)


def is_late(facts: OrderFacts, now: datetime) -> bool:
    """Past its due time and not yet handed over."""
    return facts.status in OPEN_STATUSES and now > facts.due_at


def needs_attention(facts: OrderFacts, limits: dict[str, int], now: datetime) -> bool:
    return is_late(facts, now) or is_over_limit(facts, limits, now)


def stuck_reasons(facts: OrderFacts, limits: dict[str, int], now: datetime, *,
                  idle_after: int = IDLE_AFTER_MINUTES) -> list[Reason]:
    """Why a late or over-limit order is stuck, most telling first.

    An order on time and within its limit gets no reasons. A late order whose
    cause is not visible here still gets ("late", minutes past due), and one
    over its limit gets ("over_limit", minutes in status).
    """
    if not needs_attention(facts, limits, now):
        return []
    reasons = _causes(facts, now, idle_after)
    if is_over_limit(facts, limits, now):
        reasons.append(Reason("over_limit", minutes_in_status(facts, now)))
    if is_late(facts, now):
        reasons.append(Reason("late", _minutes(now - facts.due_at)))
    return reasons


def _causes(facts: OrderFacts, now: datetime, idle_after: int) -> list[Reason]:
    reasons: list[Reason] = []
    if facts.waiting_since is not None:
        reasons.append(Reason("waiting_customer", _minutes(now - facts.waiting_since)))
    if facts.status in ("received", "queued") and facts.picker_id is None:
        reasons.append(Reason("unassigned", minutes_in_status(facts, now)))
    if facts.status == "picking" and facts.waiting_since is None:
        since = max(facts.last_scan_at or facts.status_since, facts.status_since)
        idle = _minutes(now - since)
        if idle >= idle_after:
            reasons.append(Reason("picker_idle", idle))
    if facts.status == "packed":
        reasons.append(Reason("not_collected", minutes_in_status(facts, now)))
    return reasons


ALERTS_SHOWN = 3  # banners above the board; the rest fold into one line per kind
T = TypeVar("T")


def alert_rank(*, late: bool, due_at: datetime, priority: int) -> tuple[int, datetime, int]:
    """Sort key, worst first: past due before merely over a limit, then the nearest
    deadline (so the most overdue first), then the higher priority."""
    return (0 if late else 1, due_at, -priority)


def alert_kind(reasons: Sequence[Reason]) -> str:
    """What an alert is grouped under when folded: its most telling reason."""
    return reasons[0].kind if reasons else "over_limit"


@dataclass(frozen=True)
class FoldedAlerts(Generic[T]):
    """The few alerts shown in full, and the rest counted by kind."""

    shown: list[T] = field(default_factory=list)
    folded: list[tuple[str, list[T]]] = field(default_factory=list)  # biggest group first

    @property
    def folded_count(self) -> int:
        return sum(len(group) for _kind, group in self.folded)


def fold_alerts(ranked: Sequence[T], kind_of: Callable[[T], str],
                shown: int = ALERTS_SHOWN) -> FoldedAlerts[T]:
    """Keep the first ``shown`` of ``ranked`` (already worst first); group the rest by
    kind, keeping their rank within each group."""
    groups: dict[str, list[T]] = {}
    for item in ranked[shown:]:
        groups.setdefault(kind_of(item), []).append(item)
    folded = sorted(groups.items(), key=lambda kv: -len(kv[1]))  # stable: ties keep rank
    return FoldedAlerts(list(ranked[:shown]), folded)


def flags(facts: OrderFacts) -> list[str]:
    """Standing flags shown on every row, late or not."""
    found = []
    if facts.waiting_since is not None:
        found.append("waiting_customer")
    if facts.weight_missing and facts.status == "picking":
        found.append("weight_missing")
    if facts.short:
        found.append("short")
    return found


def scan_error_kind(error_code: str) -> str | None:
    """The board's kind for a refused scan's error code; None if it is not a scan error."""
    return SCAN_ERROR_KINDS.get(error_code)


MAX_LIMIT_MINUTES = 480  # a shift; beyond that a limit would never fire


class InvalidTimeLimit(ValueError):
    """A limit a supervisor typed is not a whole number of minutes in range."""

    def __init__(self, status: str, value: str) -> None:
        super().__init__(f"{status}: {value!r}")
        self.status, self.value = status, value


def parse_time_limits(typed: Mapping[str, str]) -> dict[str, int]:
    """Limits from a form: one whole number of minutes (1..480) per status the
    board watches. Raises InvalidTimeLimit naming the first bad field."""
    limits = {}
    for status in DEFAULT_TIME_LIMITS:
        value = str(typed.get(status, "")).strip()
        if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT_MINUTES:
            raise InvalidTimeLimit(status, value)
        limits[status] = int(value)
    return limits
