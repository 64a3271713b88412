"""The pick page's read model (picking.views), derived from an Order built in memory."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from picking.model import Line, LineState, Order, OrderStatus, Product, Tolerance
from picking.substitution import Proposal
from picking.views import LineView, PickView, ProposalView, line_view, pick_view

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
PICKER = 7


def product(sku: str, pid: int, **kw: object) -> Product:
    defaults: dict[str, object] = {"store_id": 1, "name_ru": f"{sku}-ru", "name_en": f"{sku}-en",
                                   "unit": "piece", "price_minor": 10000, "zone": "ambient",
                                   "id": pid}
    defaults.update(kw)
    return Product(sku=sku, **defaults)  # type: ignore[arg-type]


MILK = product("milk", 1, zone="chilled", aisle=14, sequence=140)
PIZZA = product("pizza", 2, zone="frozen", aisle=17, sequence=170)
BREAD = product("bread", 3, aisle=1, sequence=10, attributes=["vegan"])
BANANAS = product("bananas", 4, unit="weight", aisle=2, sequence=20, tolerance_pct=5)
RYE = product("rye", 5, aisle=1, sequence=11)


def picking(*lines: tuple[Product, int]) -> Order:
    order = Order(store_id=1, store_code="MSK-001", oms_id="OMS-1",
                  due_at=NOW + timedelta(hours=1), id=41, note="Ring twice")
    order.lines = [Line(product=p, quantity=q, unit_price_minor=p.price_minor, position=i,
                        id=i + 1) for i, (p, q) in enumerate(lines)]
    order.start_picking(PICKER, NOW)
    return order


def scan(order: Order, item: Product, n: int = 1) -> None:
    for i in range(n):
        order.scan(item, code=item.sku, scan_id=f"{item.sku}-{i}", now=NOW, staff_id=PICKER)


def view(order: Order, **kw: object) -> PickView:
    return pick_view(order, language="en", now=NOW, **kw)  # type: ignore[arg-type]


def test_lines_come_in_walking_order_with_the_first_open_one_current() -> None:
    order = picking((PIZZA, 1), (MILK, 1), (BANANAS, 500), (BREAD, 1))
    scan(order, BREAD)
    pick = view(order)
    assert [ln.sku for ln in pick.lines] == ["bread", "bananas", "milk", "pizza"]
    assert [ln.sku for ln in pick.to_pick] == ["bananas", "milk", "pizza"]
    assert [ln.sku for ln in pick.done] == ["bread"]
    assert pick.current_id == order.line(3).id  # bananas: the first open line on the walk
    assert (pick.id, pick.oms_id, pick.status, pick.picker_id, pick.note) == (
        41, "OMS-1", "picking", PICKER, "Ring twice")


def test_a_missing_item_counts_as_missing_never_as_picked() -> None:
    order = picking((BREAD, 2), (MILK, 3), (PIZZA, 1))
    scan(order, BREAD, 2)
    scan(order, MILK, 1)  # one of three found, the rest missing
    order.short(2, "out_of_stock", now=NOW, staff_id=PICKER)
    pick = view(order)
    assert (pick.progress.total, pick.progress.picked, pick.progress.missing,
            pick.progress.done) == (3, 1, 1, 2)
    milk = next(ln for ln in pick.lines if ln.sku == "milk")
    assert (milk.state, milk.short_reason, milk.picked_quantity, milk.remaining) == (
        "short", "out_of_stock", 1, 2)
    assert milk in pick.to_pick and milk not in pick.done  # still shown, may get a substitute
    # the summary: what was picked (bread, and milk's one), and what is missing
    assert [ln.sku for ln in pick.picked] == ["bread", "milk"]
    assert [ln.sku for ln in pick.missing] == ["milk"]
    assert pick.total_minor == order.total_minor


def test_a_weighed_line_shows_the_stores_soft_band_for_its_product() -> None:
    order = picking((BANANAS, 1000), (BREAD, 1))

    def band(p: Product) -> Tolerance:
        return Tolerance(soft_pct=p.tolerance_pct or 10, hard_pct=30)

    bread, bananas = view(order, tolerance_for=band).lines  # walking order
    assert (bananas.is_weighed, bananas.tolerance_pct) == (True, 5)
    assert bread.tolerance_pct is None  # pieces have no band
    assert view(order).lines[1].tolerance_pct is None  # no store known: no band shown


def test_a_line_is_named_in_the_readers_language_with_its_size_and_codes() -> None:
    order = picking((BREAD, 1))
    pick = pick_view(order, language="ru", now=NOW, size_of=lambda p: f"size of {p.sku}",
                     codes={BREAD.id or 0: ["04600000000001"]})
    line = pick.lines[0]
    assert (line.name, line.size, line.gtins, line.attribute_names) == (
        "bread-ru", "size of bread", ("04600000000001",), ("vegan",))


def test_proposals_show_their_status_now_and_what_the_picker_may_do() -> None:
    order = picking((MILK, 1), (BREAD, 1))
    order.short(1, "not_found", now=NOW, staff_id=PICKER)
    milk = order.line(1)
    milk.proposals.append(Proposal(
        ref="abc", order_id=41, line_id=1, product=RYE, quantity=1, unit_price_minor=9000,
        original_unit_price_minor=10000, code="rye", proposed_at=NOW,
        expires_at=NOW + timedelta(minutes=10)))
    order.lines.append(Line(product=RYE, quantity=1, unit_price_minor=9000, position=5, id=9,
                            substitution="none", substitute_for_id=1))
    now_view = view(order)
    line = next(ln for ln in now_view.lines if ln.sku == "milk")
    assert line.proposals == (ProposalView(
        ref="abc", kind="substitute", status="proposed", name="rye-en", quantity=1,
        is_weighed=False, wants_photo=True),)
    assert line.can_offer
    substitute = next(ln for ln in now_view.lines if ln.id == 9)
    assert substitute.substitute_for == "milk-en" and not substitute.can_offer
    later = pick_view(order, language="en", now=NOW + timedelta(minutes=11))
    late = next(ln for ln in later.lines if ln.sku == "milk").proposals[0]
    assert (late.status, late.wants_photo) == ("timed_out", False)
    order.status = OrderStatus.PICKED  # finished: nothing more may be offered or photographed
    done = next(ln for ln in view(order).lines if ln.sku == "milk")
    assert not done.can_offer and not done.proposals[0].wants_photo


def test_a_shelf_found_empty_marks_only_open_lines_and_names_the_advance_choice() -> None:
    order = picking((MILK, 1), (BREAD, 1))
    order.line(1).substitution, order.line(1).specific_sku = "specific", "rye"
    scan(order, BREAD)
    mark = SimpleNamespace(marked_at=NOW, reason="out_of_stock")
    pick = view(order, likely_out={MILK.id: mark, BREAD.id: mark}, choice_names={"rye": "Rye"})
    milk, bread = (next(ln for ln in pick.lines if ln.sku == s) for s in ("milk", "bread"))
    assert milk.likely_out is not None and milk.likely_out.reason == "out_of_stock"
    assert milk.advance_choice == "Rye"
    assert bread.likely_out is None  # picked already: no mark


def test_the_views_are_frozen_and_hold_no_write_side_objects() -> None:
    order = picking((MILK, 2), (BANANAS, 500))
    pick = view(order)
    with pytest.raises(dataclasses.FrozenInstanceError):
        pick.status = "picked"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        pick.lines[0].picked_quantity = 2  # type: ignore[misc]
    assert not hasattr(pick, "__dict__") and not hasattr(pick.lines[0], "__dict__")  # slots

    def walk(value: object) -> None:
        assert not isinstance(value, Order | Line | Product | Proposal), value
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name))
        elif isinstance(value, tuple | list):
            for item in value:
                walk(item)

    walk(pick)
    # and the view does not follow later changes of the order
    scan(order, MILK, 2)
    assert pick.lines[0].picked_quantity == 0 and pick.progress.picked == 0


def test_one_line_alone_reads_the_same_as_in_the_whole_view() -> None:
    order = picking((MILK, 2), (BREAD, 1))
    scan(order, MILK)
    alone = line_view(order.line(1), language="en", now=NOW)
    assert isinstance(alone, LineView)
    assert alone == next(ln for ln in view(order).lines if ln.sku == "milk")
    assert order.line(1).state is LineState.OPEN
