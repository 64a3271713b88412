"""Why an order is late or stuck, as the supervisor's board says it (pure rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from picking.board import (
    DEFAULT_TIME_LIMITS,
    OrderFacts,
    Reason,
    flags,
    is_over_limit,
    scan_error_kind,
    stuck_reasons,
    time_limits,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
LIMITS = dict(DEFAULT_TIME_LIMITS)


def minutes_ago(n: int) -> datetime:
    return NOW - timedelta(minutes=n)


def facts(**kw: object) -> OrderFacts:
    values: dict[str, object] = {"status": "picking", "due_at": NOW + timedelta(hours=1),
                                 "status_since": minutes_ago(5), "picker_id": 7, "lines": 5,
                                 "last_scan_at": minutes_ago(1)}
    values.update(kw)
    return OrderFacts(**values)  # type: ignore[arg-type]


def test_an_order_on_time_and_within_its_limit_has_no_reasons() -> None:
    assert stuck_reasons(facts(), LIMITS, NOW) == []


def test_an_order_waiting_for_the_customer_says_for_how_long() -> None:
    order = facts(status_since=minutes_ago(40), waiting_since=minutes_ago(12),
                  last_scan_at=minutes_ago(12))
    reasons = stuck_reasons(order, LIMITS, NOW)
    assert reasons[0] == Reason("waiting_customer", 12)
    assert Reason("over_limit", 40) in reasons
    assert all(r.kind != "picker_idle" for r in reasons)  # waiting is not idling


def test_a_picker_with_no_scan_for_a_while_is_idle() -> None:
    order = facts(status_since=minutes_ago(35), last_scan_at=minutes_ago(9))
    assert stuck_reasons(order, LIMITS, NOW) == [Reason("picker_idle", 9),
                                                 Reason("over_limit", 35)]


def test_a_queued_order_past_its_limit_is_unassigned() -> None:
    order = facts(status="queued", picker_id=None, status_since=minutes_ago(25),
                  last_scan_at=None)
    assert stuck_reasons(order, LIMITS, NOW) == [Reason("unassigned", 25),
                                                 Reason("over_limit", 25)]


def test_a_packed_order_past_due_is_not_collected_and_late() -> None:
    order = facts(status="packed", status_since=minutes_ago(15), due_at=minutes_ago(3))
    assert stuck_reasons(order, LIMITS, NOW) == [Reason("not_collected", 15), Reason("late", 3)]


def test_the_limit_is_strictly_exceeded_before_the_order_turns_red() -> None:
    assert not is_over_limit(facts(status_since=minutes_ago(30)), LIMITS, NOW)
    assert is_over_limit(facts(status_since=minutes_ago(31)), LIMITS, NOW)


def test_store_limits_override_the_defaults_and_junk_is_ignored() -> None:
    limits = time_limits({"picking": 45, "packed": "soon", "picked": -1, "queued": True})
    assert limits == {**DEFAULT_TIME_LIMITS, "picking": 45}
    assert time_limits(None) == DEFAULT_TIME_LIMITS


def test_flags_show_waiting_missing_weights_and_short_items() -> None:
    order = facts(waiting_since=minutes_ago(2), weight_missing=1, short=2)
    assert flags(order) == ["waiting_customer", "weight_missing", "short"]
    assert flags(facts()) == []


def test_only_refused_scans_count_as_scan_errors() -> None:
    assert scan_error_kind("wrong_item") == "wrong_item"
    assert scan_error_kind("bad_code") == "bad_code"
    assert scan_error_kind("weight_confirm") is None
    assert scan_error_kind("not_your_order") is None


def test_typed_limits_are_whole_minutes_for_every_watched_status() -> None:
    from picking.board import InvalidTimeLimit, parse_time_limits

    typed = {"queued": " 15 ", "picking": "45", "picked": "5", "packed": "60"}
    assert parse_time_limits(typed) == {"queued": 15, "picking": 45, "picked": 5, "packed": 60}
    with pytest.raises(InvalidTimeLimit) as bad:
        parse_time_limits({**typed, "picked": "481"})
    assert bad.value.status == "picked"
    with pytest.raises(InvalidTimeLimit):
        parse_time_limits({"queued": "15"})  # every status needs a limit
