"""The run rules without a database: building runs, the unit rule, tote labels, the list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from benchmarks.runs import walk
from picking import errors
from picking.runs import (
    Candidate,
    RunRules,
    Want,
    assign_unit,
    choose_run,
    merged_list,
    read_tote,
    short_tote,
    tote_code,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_a_run_takes_the_most_urgent_then_compatible_orders_up_to_the_limit() -> None:
    orders = [Candidate(1, T0 + timedelta(minutes=50), "delivery"),
              Candidate(2, T0, "delivery"),
              Candidate(3, T0 + timedelta(minutes=10), "collect"),
              Candidate(4, T0 + timedelta(minutes=90), "delivery"),
              Candidate(5, T0 + timedelta(minutes=20), "delivery", priority=0),
              Candidate(6, T0 + timedelta(minutes=30), "delivery")]
    assert [c.id for c in choose_run(orders, RunRules(max_orders=3))] == [2, 5, 6]
    mixed = RunRules(max_orders=3, mixes=(frozenset({"delivery", "collect"}),))
    assert [c.id for c in choose_run(orders, mixed)] == [2, 3, 5]
    assert [c.id for c in choose_run(orders, RunRules(max_orders=1))] == [2]
    urgent = [*orders, Candidate(7, T0 + timedelta(hours=3), "delivery", priority=1)]
    assert choose_run(urgent, RunRules())[0].id == 7


def test_a_unit_goes_to_the_most_urgent_order_that_still_needs_it() -> None:
    wants = [Want(1, 0, T0 + timedelta(minutes=5), 2), Want(2, 0, T0, 0),
             Want(3, 1, T0 + timedelta(hours=1), 1)]
    assert assign_unit(wants) == 3  # raised priority first
    assert assign_unit(wants[:2]) == 1  # order 2 has all it wants
    assert assign_unit([Want(2, 0, T0, 0)]) is None


def test_tote_labels_check_store_and_digit() -> None:
    code = tote_code("MSK-001", 17)
    assert read_tote(code.lower(), "MSK-001", None).code == code
    assert short_tote(code) == "T-00017"
    broken = code[:-1] + str((int(code[-1]) + 1) % 10)
    with pytest.raises(errors.ToteDamaged):
        read_tote(broken, "MSK-001", None)
    with pytest.raises(errors.ToteDamaged):
        read_tote("SPT.MSK-001.17", "MSK-001", None)
    with pytest.raises(errors.ToteOfAnotherStore):
        read_tote(tote_code("SPB-002", 17), "MSK-001", None)
    with pytest.raises(errors.ToteUnknown):
        read_tote("KRT0001", "MSK-001", None)
    assert read_tote("krt0001", "MSK-001", "KRT").kind == "own"


def _line(sku: str, zone: str, aisle: int, seq: int, qty: int) -> SimpleNamespace:
    product = SimpleNamespace(sku=sku, zone=zone, aisle=aisle, sequence=seq)
    return SimpleNamespace(product=product, quantity=qty, state="open", is_done=False)


def test_the_merged_list_walks_zones_then_aisles_and_groups_a_product() -> None:
    a = SimpleNamespace(id=1, lines=[_line("pizza", "frozen", 17, 1, 1),
                                     _line("milk", "chilled", 14, 1, 1)])
    b = SimpleNamespace(id=2, lines=[_line("milk", "chilled", 14, 1, 3),
                                     _line("water", "ambient", 3, 1, 2)])
    rows = merged_list([("A", a), ("B", b)], {(1, "chilled"): "T1", (2, "chilled"): "T2"})
    assert [r.product.sku for r in rows] == ["water", "milk", "pizza"]
    assert [(s.letter, s.line.quantity, s.tote) for s in rows[1].shares] == [
        ("A", 1, "T1"), ("B", 3, "T2")]


def test_the_walk_of_one_item_in_the_first_bay_is_in_and_out() -> None:
    product = SimpleNamespace(sku="x", zone="ambient", aisle=1, shelf="A1", unit="piece")
    order = SimpleNamespace(lines=[SimpleNamespace(sku="x", quantity=2)])
    result = walk([order], {"x": product})  # type: ignore[list-item, dict-item]
    assert (result.metres, result.units, result.stops) == (2.5, 2, 1)
