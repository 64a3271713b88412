"""A picker's own pace: items per hour today against the store's target, and whether
the order in hand will be done by its due time. Private to the picker.

Worked time runs from the day's first scan to the last one (to now while an order is
in hand), minus every moment the picker was waiting for a customer's answer to a
substitute they offered: that wait is not theirs to make up.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

MIN_WORKED_SECONDS = 15 * 60  # shorter than this, a rate says nothing yet
MIN_ITEMS = 5

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Pace:
    items: int
    worked_seconds: int
    waited_seconds: int  # left out of worked time
    target_per_hour: int
    items_per_hour: float
    on_pace: bool | None  # None: too early to tell
    due_in_seconds: int | None = None  # the order in hand; negative when overdue
    items_left: int | None = None
    finish_in_seconds: int | None = None  # at the picker's pace (the target before one is known)
    on_time: bool | None = None


def _merged(intervals: list[Interval], start: datetime, end: datetime) -> list[Interval]:
    clipped = sorted((max(a, start), min(b, end)) for a, b in intervals if b > start and a < end)
    out: list[Interval] = []
    for a, b in clipped:
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def worked_and_waited(first: datetime, until: datetime, waits: list[Interval]) -> tuple[int, int]:
    """Seconds worked from ``first`` to ``until`` and seconds of it spent waiting."""
    span = max(int((until - first).total_seconds()), 0)
    waited = sum(int((b - a).total_seconds()) for a, b in _merged(waits, first, until))
    return max(span - waited, 0), waited


def pace_of(scans: list[tuple[datetime, int]], waits: list[Interval], *, now: datetime,
            target_per_hour: int, in_hand: tuple[datetime, int] | None = None) -> Pace:
    """``scans``: (moment, items) of today's accepted scans; ``waits``: when the picker
    waited for customers; ``in_hand``: the due time and items left of the order they
    are picking, if any."""
    items = sum(n for _at, n in scans)
    if scans:
        first = min(at for at, _n in scans)
        until = now if in_hand else max(at for at, _n in scans)
        worked, waited = worked_and_waited(first, until, waits)
    else:
        worked = waited = 0
    rate = round(items * 3600 / max(worked, MIN_WORKED_SECONDS), 1) if items else 0.0
    known = worked >= MIN_WORKED_SECONDS and items >= MIN_ITEMS
    pace = Pace(items, worked, waited, target_per_hour, rate,
                (rate >= target_per_hour) if known else None)
    if in_hand is None:
        return pace
    due_at, left = in_hand
    due_in = int((due_at - now).total_seconds())
    speed = rate if known and rate > 0 else float(target_per_hour)
    finish = int(left * 3600 / speed) if speed > 0 else 0
    return replace(pace, due_in_seconds=due_in, items_left=left, finish_in_seconds=finish,
                   on_time=finish <= due_in)
