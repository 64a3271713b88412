"""The run page's read model (picking.run_views), derived in memory from a run as the
services read it (``app.services.runs.RunView``): orders with their letters, colours,
progress and totes, what to scan next, and the merged walking list of LineViews."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.services.runs import Pending, RunOrder, RunView
from picking.lines import Line, Product
from picking.model import Order
from picking.progress import progress_of
from picking.run_views import RunPageView, run_page_view
from picking.runs import tote_code
from picking.status import LineState, OrderStatus
from picking.views import LineView
from tests.support.view_guard import FORBIDDEN, offenders

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
PICKER = 7
T1, T2, T3, T4 = (tote_code("MSK-001", n) for n in range(1, 5))


def product(sku: str, pid: int, zone: str, aisle: int, **kw: Any) -> Product:
    return Product(store_id=1, sku=sku, name_ru=f"{sku}-ru", name_en=f"{sku}-en",
                   unit=kw.pop("unit", "piece"), price_minor=100, zone=zone, aisle=aisle,
                   shelf=f"S{aisle}", sequence=aisle * 10, id=pid, **kw)


WATER = product("water", 1, "ambient", 3)
MILK = product("milk", 2, "chilled", 14, marked=True)
KEFIR = product("kefir", 3, "chilled", 14)
PIZZA = product("pizza", 4, "frozen", 17)
APPLES = product("apples", 5, "ambient", 1, unit="weight")


def order(oid: int, *lines: Line, status: OrderStatus = OrderStatus.PICKING,
          picker: int | None = PICKER) -> Order:
    return Order(store_id=1, store_code="MSK-001", oms_id=f"E-{oid}",
                 due_at=NOW + timedelta(minutes=oid), id=oid, lines=list(lines),
                 status=status, picker_id=picker)


def line(lid: int, item: Product, quantity: int, picked: int = 0,
         state: LineState = LineState.OPEN, **kw: Any) -> Line:
    return Line(product=item, quantity=quantity, unit_price_minor=100, id=lid,
                picked_quantity=picked, state=state, **kw)


def a_run() -> RunView:
    """A: being picked (water done, milk one of two, apples by weight), totes bound;
    B: being picked, milk short and replaced by kefir, pizza open, no frozen tote yet;
    C: cancelled, its tote still to empty; D: finished in the run."""
    a = order(101, line(1, WATER, 1, 1, LineState.PICKED), line(2, MILK, 2, 1),
              line(3, APPLES, 500))
    b = order(102, line(4, MILK, 1, 0, LineState.SUBSTITUTED),
              line(5, KEFIR, 1, 0, substitute_for_id=4), line(6, PIZZA, 1))
    c = order(103, line(7, WATER, 2), status=OrderStatus.CANCELLED)
    d = order(104, line(8, PIZZA, 1, 1, LineState.PICKED), status=OrderStatus.PICKED)
    totes = {(101, "ambient"): T1, (101, "chilled"): T2, (102, "chilled"): "OWN-77",
             (103, "ambient"): T3, (104, "frozen"): T4}
    run = RunView(id=9, picker_id=PICKER, status="active", totes=totes,
                  orders=[RunOrder("A", a, None), RunOrder("B", b, None),
                          RunOrder("C", c, None), RunOrder("D", d, "finished")],
                  flagged=[{"id": 31, "code": T3, "zone": "ambient", "letter": "C"}],
                  pending=[])
    run.pending = [Pending("s1", 101, 2, 1, "chilled", "A", MILK, T2)]
    return run


def page(run: RunView | None = None, language: str = "en", **kw: Any) -> RunPageView:
    return run_page_view(run or a_run(), language=language, now=NOW, **kw)


def test_every_order_of_the_run_with_its_letter_colour_progress_and_totes() -> None:
    run = a_run()
    view = page(run)
    assert view.id == 9
    assert [(o.letter, o.colour, o.id, o.oms_id, o.status, o.left_reason)
            for o in view.orders] == [
        ("A", "a", 101, "E-101", "picking", None), ("B", "b", 102, "E-102", "picking", None),
        ("C", "c", 103, "E-103", "cancelled", None), ("D", "d", 104, "E-104", "picked",
                                                       "finished")]
    a, b, _c, d = view.orders
    assert (a.done_count, a.line_count, a.due_at) == (1, 3, NOW + timedelta(minutes=101))
    assert a.progress == progress_of(run.orders[0].order.lines)
    assert (b.done_count, b.line_count) == (1, 3)
    assert (d.done_count, d.line_count) == (1, 1)
    # a slot per zone its lines need, ambient first; a printed label read as T-00001
    assert [(s.zone, s.code, s.short) for s in a.totes] == [
        ("ambient", T1, "T-00001"), ("chilled", T2, "T-00002")]
    assert [(s.zone, s.code, s.short) for s in b.totes] == [
        ("chilled", "OWN-77", "OWN-77"), ("frozen", None, "")]


def test_what_to_scan_next_a_tote_first_then_a_put_then_an_item() -> None:
    run = a_run()
    view = page(run)
    assert [(u.letter, u.colour, u.zone) for u in view.unbound] == [("B", "b", "frozen")]
    assert (view.next, view.has_active) == ("bind", True)
    assert [(p.letter, p.colour, p.zone, p.name, p.tote, p.short) for p in view.pending] == [
        ("A", "a", "chilled", "milk-en", T2, "T-00002")]
    assert [(t.id, t.code, t.short, t.zone, t.letter) for t in view.flagged] == [
        (31, T3, "T-00003", "ambient", "C")]

    run.totes[(102, "frozen")] = "OWN-78"
    assert page(run).next == "put"
    run.pending = []
    assert (page(run).next, page(run).unbound, page(run).pending) == ("scan", (), ())

    for member in run.orders:  # every order finished or gone: nothing left to scan
        member.left_reason = member.left_reason or "finished"
    assert not page(run).has_active
    assert page(run).queue_lines == ()


def test_the_walking_list_merges_the_orders_lines_per_product_in_walking_order() -> None:
    view = page(a_run())
    # ambient (aisle 1, then 3), chilled, frozen; the cancelled order's water is not on it,
    # the finished order's pizza is; the replaced milk line is not, its kefir is
    assert [(r.sku, r.zone, r.aisle, r.shelf, r.open) for r in view.rows] == [
        ("apples", "ambient", 1, "S1", True), ("water", "ambient", 3, "S3", False),
        ("kefir", "chilled", 14, "S14", True), ("milk", "chilled", 14, "S14", True),
        ("pizza", "frozen", 17, "S17", True)]
    water, kefir, milk, pizza = view.rows[1:]
    assert water.name == "water-en" and milk.marked and not water.marked
    assert [(s.letter, s.colour, s.order_id, s.done, s.tote, s.short) for s in pizza.shares] == [
        ("B", "b", 102, False, None, ""), ("D", "d", 104, True, T4, "T-00004")]
    [share] = milk.shares
    assert isinstance(share.line, LineView)
    assert (share.letter, share.line.id, share.line.state, share.line.picked_quantity,
            share.line.quantity, share.is_substitute) == ("A", 2, "open", 1, 2, False)
    [sub] = kefir.shares
    assert (sub.is_substitute, sub.line.substitute_for, sub.tote) == (True, "milk-en", "OWN-77")
    assert view.rows[0].shares[0].line.is_weighed


def test_names_come_in_the_readers_language() -> None:
    view = page(language="ru")
    assert [r.name for r in view.rows][:2] == ["apples-ru", "water-ru"]
    assert view.pending[0].name == "milk-ru"
    assert view.rows[2].shares[0].line.substitute_for == "milk-ru"


def test_the_offline_queue_knows_the_lines_of_the_active_orders_with_their_codes() -> None:
    view = page(codes={2: ["04601234567890"]})
    assert [ln.id for ln in view.queue_lines] == [1, 2, 3, 4, 5, 6]  # A and B, not C nor D
    assert view.queue_lines[1].gtins == ("04601234567890",)
    assert view.queue_lines[0].gtins == ()


def test_an_order_handed_to_another_picker_is_no_longer_active() -> None:
    run = a_run()
    run.orders[1].order.picker_id = 8
    view = page(run)
    assert view.unbound == () and [ln.id for ln in view.queue_lines] == [1, 2, 3]
    assert view.orders[1].letter == "B"  # still listed with its letter


def _holds_the_write_side(value: Any, depth: int = 0) -> bool:
    if isinstance(value, FORBIDDEN):
        return True
    if depth > 6:
        return False
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(_holds_the_write_side(getattr(value, f.name), depth + 1)
                   for f in dataclasses.fields(value))
    if isinstance(value, (tuple, list)):
        return any(_holds_the_write_side(item, depth + 1) for item in value)
    return False


def test_the_view_is_frozen_and_holds_no_order_line_or_proposal_at_any_depth() -> None:
    view = page(codes={2: ["04601234567890"]})
    assert not _holds_the_write_side(view)
    assert _holds_the_write_side(a_run())  # the check itself can see one
    assert offenders({"run": view}) == []
    assert offenders({"run": a_run().orders[0]}) == ["run.order: Order"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.next = "put"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.rows[0].shares[0].done = True  # type: ignore[misc]
