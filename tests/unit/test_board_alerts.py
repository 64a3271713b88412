"""Which alerts lead the board and how the rest fold (pure rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from picking.board import Reason, alert_kind, alert_rank, fold_alerts

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def due(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def test_late_orders_lead_most_overdue_first_then_the_nearest_deadline() -> None:
    alerts = {  # name -> (late, due, priority)
        "queued, due in 3 h": (False, due(180), 0),
        "10 min late": (True, due(-10), 0),
        "queued, due in 35 min": (False, due(35), 0),
        "40 min late": (True, due(-40), 0),
        "due in 35 min, priority raised": (False, due(35), 2),
    }
    ranked = sorted(alerts, key=lambda name: alert_rank(
        late=alerts[name][0], due_at=alerts[name][1], priority=alerts[name][2]))
    assert ranked == ["40 min late", "10 min late", "due in 35 min, priority raised",
                      "queued, due in 35 min", "queued, due in 3 h"]


def test_three_are_shown_and_the_rest_fold_by_kind_biggest_group_first() -> None:
    ranked = ["late-1", "late-2", "idle-1", "unassigned-1", "idle-2", "unassigned-2",
              "unassigned-3", "waiting-1"]
    folded = fold_alerts(ranked, lambda name: name.split("-")[0])
    assert folded.shown == ["late-1", "late-2", "idle-1"]
    assert folded.folded == [("unassigned", ["unassigned-1", "unassigned-2", "unassigned-3"]),
                             ("idle", ["idle-2"]), ("waiting", ["waiting-1"])]
    assert folded.folded_count == 5


def test_a_short_list_folds_nothing() -> None:
    folded = fold_alerts(["a", "b"], str)
    assert folded.shown == ["a", "b"] and folded.folded == [] and folded.folded_count == 0


def test_an_alert_is_grouped_under_its_most_telling_reason() -> None:
    assert alert_kind([Reason("unassigned", 25), Reason("over_limit", 25),
                       Reason("late", 5)]) == "unassigned"
    assert alert_kind([]) == "over_limit"
