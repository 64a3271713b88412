"""A picker's own pace: rate today, waiting for customers left out, the order in hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from picking.pace import pace_of, worked_and_waited

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _scans(n: int, over_minutes: int) -> list[tuple[datetime, int]]:
    start = NOW - timedelta(minutes=over_minutes)
    return [(start + timedelta(minutes=over_minutes * i / (n - 1)), 1) for i in range(n)]


def test_sixty_items_in_an_hour_is_on_a_sixty_target() -> None:
    pace = pace_of(_scans(60, 60), [], now=NOW, target_per_hour=60)
    assert pace.items_per_hour == 60.0 and pace.on_pace is True


def test_waiting_for_a_customer_s_answer_does_not_count_against_the_picker() -> None:
    # 40 items in an hour, 20 minutes of which the picker waited for two answers
    waits = [(NOW - timedelta(minutes=50), NOW - timedelta(minutes=40)),
             (NOW - timedelta(minutes=45), NOW - timedelta(minutes=30))]  # overlapping
    pace = pace_of(_scans(40, 60), waits, now=NOW, target_per_hour=60)
    assert pace.waited_seconds == 20 * 60 and pace.worked_seconds == 40 * 60
    assert pace.items_per_hour == 60.0 and pace.on_pace is True
    assert pace_of(_scans(40, 60), [], now=NOW, target_per_hour=60).on_pace is False


def test_a_few_minutes_of_work_is_too_early_to_judge() -> None:
    pace = pace_of(_scans(6, 5), [], now=NOW, target_per_hour=60)
    assert pace.on_pace is None and pace.items_per_hour == 24.0  # 6 items over 15 min
    assert pace_of([], [], now=NOW, target_per_hour=60).items_per_hour == 0.0


def test_the_order_in_hand_is_on_time_at_the_picker_s_own_pace_or_at_risk() -> None:
    fast = pace_of(_scans(60, 60), [], now=NOW, target_per_hour=60,
                   in_hand=(NOW + timedelta(minutes=20), 10))
    assert fast.due_in_seconds == 1200 and fast.finish_in_seconds == 600 and fast.on_time
    slow = pace_of(_scans(20, 60), [], now=NOW, target_per_hour=60,
                   in_hand=(NOW + timedelta(minutes=20), 10))
    assert slow.finish_in_seconds == 1800 and slow.on_time is False
    late = pace_of([], [], now=NOW, target_per_hour=60, in_hand=(NOW - timedelta(minutes=5), 1))
    assert late.due_in_seconds == -300 and late.on_time is False


def test_waits_outside_the_working_span_are_ignored() -> None:
    first, until = NOW - timedelta(hours=1), NOW
    waits = [(NOW - timedelta(hours=3), NOW - timedelta(hours=2)),
             (NOW - timedelta(minutes=5), NOW + timedelta(minutes=30))]
    assert worked_and_waited(first, until, waits) == (55 * 60, 5 * 60)
