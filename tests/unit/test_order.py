"""The Order aggregate: what may be scanned, how much, and which steps are allowed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from picking import errors, events
from picking.model import Line, LineState, Order, OrderStatus, Product, Tolerance

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
PICKER = 7


def product(sku: str, **kw: object) -> Product:
    defaults: dict[str, object] = {"store_id": 1, "name_ru": sku, "name_en": sku,
                                   "unit": "piece", "price_minor": 10000, "zone": "ambient"}
    defaults.update(kw)
    return Product(sku=sku, **defaults)  # type: ignore[arg-type]


MILK = product("milk", zone="chilled", aisle=14, sequence=140, price_minor=9990)
PIZZA = product("pizza", zone="frozen", aisle=17, sequence=170)
BREAD = product("bread", aisle=1, sequence=10)
BANANAS = product("bananas", unit="weight", aisle=2, sequence=20, price_minor=12990)
KEFIR = product("kefir", zone="chilled", marked=True)
RYE = product("rye")


def order(*lines: tuple[Product, int], status: OrderStatus = OrderStatus.QUEUED) -> Order:
    o = Order(store_id=1, store_code="MSK-001", oms_id="OMS-1", due_at=NOW + timedelta(hours=1),
              status=status, id=1)
    o.lines = [Line(product=p, quantity=q, unit_price_minor=p.price_minor, position=i, id=i + 1)
               for i, (p, q) in enumerate(lines)]
    return o


def picking(*lines: tuple[Product, int]) -> Order:
    o = order(*lines)
    o.start_picking(PICKER, NOW)
    o.events.clear()
    return o


def scan(o: Order, p: Product, scan_id: str = "s1", **kw: object) -> Line:
    return o.scan(p, code="c", scan_id=scan_id, now=NOW, staff_id=PICKER, **kw)  # type: ignore[arg-type]


def test_lines_walk_ambient_first_then_chilled_and_frozen_last() -> None:
    o = order((PIZZA, 1), (MILK, 1), (BANANAS, 500), (BREAD, 1))
    assert [ln.product.sku for ln in o.lines_in_walking_order()] == [
        "bread", "bananas", "milk", "pizza"]


def test_taking_an_order_assigns_the_picker_and_records_it() -> None:
    o = order((MILK, 1))
    o.start_picking(PICKER, NOW)
    assert o.status is OrderStatus.PICKING and o.picker_id == PICKER
    assert [type(e) for e in o.events] == [events.PickingStarted]
    assert o.events[0].sequence == 1


def test_an_order_being_picked_cannot_be_taken_again() -> None:
    o = picking((MILK, 1))
    with pytest.raises(errors.OrderNotPickable):
        o.start_picking(8, NOW)
    assert o.picker_id == PICKER


def test_scanning_the_ordered_product_counts_one_and_records_the_scan() -> None:
    o = picking((MILK, 2))
    line = scan(o, MILK)
    assert line.picked_quantity == 1 and line.state is LineState.OPEN
    assert isinstance(o.events[0], events.ItemScanned)
    scan(o, MILK, "s2")
    assert line.state is LineState.PICKED


def test_scanning_a_product_not_on_the_order_changes_nothing() -> None:
    o = picking((MILK, 2))
    with pytest.raises(errors.WrongItemScanned) as caught:
        scan(o, RYE)
    assert caught.value.params["name_en"] == "rye"
    assert o.lines[0].picked_quantity == 0 and o.events == []


def test_one_more_than_ordered_is_refused() -> None:
    o = picking((MILK, 1), (BREAD, 1))
    scan(o, MILK)
    with pytest.raises(errors.LineAlreadyDone):
        scan(o, MILK, "s2")
    o2 = picking((MILK, 2))
    with pytest.raises(errors.TooManyScanned):
        scan(o2, MILK, quantity=3)
    assert o2.lines[0].picked_quantity == 0


def test_a_double_tap_with_the_same_scan_id_counts_once() -> None:
    o = picking((MILK, 3))
    scan(o, MILK, "same")
    scan(o, MILK, "same")
    assert o.lines[0].picked_quantity == 1
    assert len(o.events) == 1


def test_a_multiple_can_be_counted_in_one_scan() -> None:
    o = picking((MILK, 6))
    line = scan(o, MILK, quantity=6)
    assert line.state is LineState.PICKED and line.picked_quantity == 6


def test_marked_goods_need_their_own_datamatrix_code_per_unit() -> None:
    o = picking((KEFIR, 2))
    with pytest.raises(errors.MarkingCodeRequired):
        scan(o, KEFIR)
    scan(o, KEFIR, marking_code="010460123456789321AAA")
    with pytest.raises(errors.DuplicateMarkingCode):
        scan(o, KEFIR, "s2", marking_code="010460123456789321AAA")
    with pytest.raises(errors.InvalidQuantity):
        scan(o, KEFIR, "s3", marking_code="010460123456789321BBB", quantity=2)
    assert o.lines[0].picked_quantity == 1


def test_undo_takes_back_the_latest_scan() -> None:
    o = picking((MILK, 1), (BREAD, 1))
    scan(o, BREAD, "a")
    later = o.scan(MILK, code="c", scan_id="b", now=NOW + timedelta(seconds=5), staff_id=PICKER)
    line = o.undo_last_scan(now=NOW + timedelta(seconds=6), staff_id=PICKER)
    assert line is later and line.picked_quantity == 0 and line.state is LineState.OPEN
    assert o.line(2).picked_quantity == 1  # the bread stays counted
    assert isinstance(o.events[-1], events.ScanUndone)


def test_nothing_to_undo_on_a_fresh_order() -> None:
    with pytest.raises(errors.NothingToUndo):
        picking((MILK, 1)).undo_last_scan(now=NOW, staff_id=PICKER)


def test_shorting_a_line_records_what_is_missing_and_why() -> None:
    o = picking((MILK, 3))
    scan(o, MILK)
    o.short(1, "not_found", now=NOW, staff_id=PICKER)
    event, unavailable = o.events[-2:]  # an empty shelf also tells the OMS (issue 15)
    assert isinstance(unavailable, events.ItemUnavailable)
    assert isinstance(event, events.LineShorted)
    assert (event.missing, event.reason) == (2, "not_found")
    with pytest.raises(errors.InvalidShortReason):
        picking((MILK, 1)).short(1, "lunch break", now=NOW, staff_id=PICKER)


def test_finishing_needs_every_line_picked_or_short() -> None:
    o = picking((MILK, 1), (BREAD, 1))
    scan(o, MILK)
    with pytest.raises(errors.LinesStillOpen):
        o.finish_picking(now=NOW, staff_id=PICKER)
    o.short(2, "out_of_stock", now=NOW, staff_id=PICKER)
    o.finish_picking(now=NOW, staff_id=PICKER)
    assert o.status is OrderStatus.PICKED
    done = o.events[-1]
    assert isinstance(done, events.OrderPicked) and done.total_minor == 9990
    # 1 was PickingStarted; out of stock adds ItemUnavailable after LineShorted
    assert [e.sequence for e in o.events] == [2, 3, 4, 5]


def test_another_picker_cannot_touch_the_order() -> None:
    o = picking((MILK, 1))
    with pytest.raises(errors.NotYourOrder):
        o.scan(MILK, code="c", scan_id="x", now=NOW, staff_id=99)


def test_a_cancelled_order_refuses_scans() -> None:
    o = order((MILK, 1), status=OrderStatus.CANCELLED)
    with pytest.raises(errors.OrderCancelled):
        o.start_picking(PICKER, NOW)


def test_a_scale_label_fills_a_weighed_line_and_labels_add_up() -> None:
    o = picking((BANANAS, 1000))
    line = scan(o, BANANAS, "a", weight_g=600)
    assert line.state is LineState.OPEN  # 600 of 1000 g: more labels may follow
    scan(o, BANANAS, "b", weight_g=420)
    assert line.picked_quantity == 1020 and line.state is LineState.PICKED
    assert line.weight_note == "soft" and line.price_minor == round(12990 * 1.02)


def test_a_weighed_product_without_a_weight_asks_for_one() -> None:
    with pytest.raises(errors.WeightRequired):
        scan(picking((BANANAS, 1000)), BANANAS)


def test_weight_beyond_the_soft_band_needs_confirmation_and_beyond_hard_is_blocked() -> None:
    o = picking((BANANAS, 1000))
    with pytest.raises(errors.WeightNeedsConfirmation):
        scan(o, BANANAS, "a", weight_g=1200)
    assert o.lines[0].picked_quantity == 0
    line = scan(o, BANANAS, "a", weight_g=1200, confirm=True)
    assert line.state is LineState.PICKED and line.weight_note == "confirmed"
    with pytest.raises(errors.WeightOutsideTolerance):
        scan(picking((BANANAS, 1000)), BANANAS, "z", weight_g=1500)


@pytest.mark.parametrize("grams", [0, -5, 80_000])
def test_absurd_weights_are_refused(grams: int) -> None:
    with pytest.raises(errors.AbsurdWeight):
        scan(picking((BANANAS, 1000)), BANANAS, weight_g=grams)


def test_tolerance_classifies_against_the_ordered_weight() -> None:
    t = Tolerance(soft_pct=10, hard_pct=30)
    assert [t.classify(1000, g) for g in (1000, 1100, 1101, 1300, 1301, 700)] == [
        "within", "within", "confirm", "confirm", "blocked", "confirm"]


def test_events_round_trip_through_json() -> None:
    import json
    o = picking((MILK, 1))
    scan(o, MILK)
    payload = json.loads(json.dumps(o.events[0].payload()))
    assert payload["sku"] == "milk" and payload["picked_quantity"] == 1
