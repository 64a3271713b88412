"""Packing and handover rules of the Order, and bag codes, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from picking.bags import BadBagCode, BagCode, PackItem, parse_bag_code, propose_bags
from picking.codes import UnreadableCode, interpret
from picking.errors import OrderNotPickable
from picking.handover_facts import (
    BagFromAnotherOrder,
    BagsMissing,
    IdCheckRequired,
    InvalidPacking,
    InvalidRefusal,
    NothingToPack,
    NotYourDelivery,
    PickupCodeNotChecked,
    WrongHandoverStep,
)
from picking.model import Line, LineState, Order, OrderStatus, Product, Scan

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
COURIER, OTHER_COURIER, CLERK = 30, 31, 10


def _product(sku: str, zone: str, *, adult: bool = False, unit: str = "piece") -> Product:
    return Product(store_id=1, sku=sku, name_ru=sku, name_en=sku, unit=unit, price_minor=10000,
                   zone=zone, age_restricted=adult)


def _line(line_id: int, product: Product, qty: int, scanned_at: datetime = NOW) -> Line:
    line = Line(product=product, quantity=qty, unit_price_minor=product.price_minor,
                picked_quantity=qty, state=LineState.PICKED, id=line_id)
    line.scans.append(Scan(scan_id=f"s{line_id}", code="x", quantity=qty, scanned_at=scanned_at,
                           staff_id=1))
    return line


def _picked(*lines: Line, fulfilment: str = "delivery") -> Order:
    return Order(store_id=1, store_code="MSK-001", oms_id="OMS-7", due_at=NOW, id=7,
                 lines=list(lines), status=OrderStatus.PICKED, fulfilment=fulfilment)


def _packed(*lines: Line, fulfilment: str = "delivery") -> Order:
    order = _picked(*lines, fulfilment=fulfilment)
    zones = {ln.product.zone for ln in lines}
    order.pack(dict.fromkeys(zones, 1), dict.fromkeys(zones, "Shelf"), now=NOW, staff_id=CLERK)
    return order


def _scan_all(order: Order, staff_id: int) -> None:
    assert order.handover is not None
    for bag in order.handover.bags:
        order.scan_bag(bag.code(order.oms_id), now=NOW, staff_id=staff_id)


def test_zones_never_share_a_bag_and_a_full_bag_starts_a_new_one() -> None:
    bags = propose_bags([PackItem("ambient", 13), PackItem("frozen", 1),
                         PackItem("ambient", 3000, weighed=True)])
    assert bags == {"ambient": 2, "chilled": 0, "frozen": 1}


def test_a_bag_code_round_trips_and_a_typo_is_caught() -> None:
    code = BagCode("OMS-1042", 2, 3, "chilled")
    assert parse_bag_code(code.text()) == code
    typo = code.text().replace("1042", "1043")
    with pytest.raises(BadBagCode):
        parse_bag_code(typo)


def test_a_bag_code_is_never_read_as_a_product_code() -> None:
    with pytest.raises(UnreadableCode):
        interpret(BagCode("OMS-1", 1, 1, "ambient").text())


def test_packing_numbers_bags_across_zones_and_times_the_cold_chain() -> None:
    milk = _line(1, _product("milk", "chilled"), 2, scanned_at=NOW - timedelta(minutes=7))
    order = _picked(_line(2, _product("water", "ambient"), 1), milk)
    order.pack({"ambient": 1, "chilled": 2}, {"ambient": "Shelf 1", "chilled": "Fridge 2"},
               now=NOW, staff_id=CLERK)
    assert order.status is OrderStatus.PACKED and order.handover is not None
    assert [(b.number, b.zone) for b in order.handover.bags] == [
        (1, "ambient"), (2, "chilled"), (3, "chilled")]
    assert order.handover.cold_seconds == {"chilled": 420}
    assert order.events[-1].payload()["bags"] == {"ambient": 1, "chilled": 2, "frozen": 0}


def test_a_zone_with_goods_cannot_be_packed_without_bags_or_a_place() -> None:
    order = _picked(_line(1, _product("pizza", "frozen"), 1))
    with pytest.raises(InvalidPacking):
        order.pack({"frozen": 0}, {"frozen": "Freezer"}, now=NOW, staff_id=CLERK)
    with pytest.raises(InvalidPacking):
        order.pack({"frozen": 1}, {"frozen": " "}, now=NOW, staff_id=CLERK)
    assert order.status is OrderStatus.PICKED and order.events == []


def test_an_order_of_which_nothing_was_picked_has_nothing_to_pack() -> None:
    gone = Line(product=_product("milk", "chilled"), quantity=2, unit_price_minor=10000,
                state=LineState.SHORT, short_reason="not_found", id=1)
    order = _picked(gone)
    with pytest.raises(NothingToPack):
        order.pack({}, {}, now=NOW, staff_id=CLERK)
    with pytest.raises(NothingToPack):  # bags offered for it change nothing
        order.pack({"chilled": 1}, {"chilled": "Fridge"}, now=NOW, staff_id=CLERK)
    assert order.status is OrderStatus.PICKED and order.handover is None and order.events == []


def test_finishing_again_is_nothing_for_the_picker_who_finished_and_refused_to_another() -> None:
    order = _picked(_line(1, _product("bread", "ambient"), 1))
    order.picker_id = 5
    order.finish_picking(now=NOW, staff_id=5)  # a double tap: no error, no second event
    assert order.status is OrderStatus.PICKED and order.events == []
    with pytest.raises(OrderNotPickable):
        order.finish_picking(now=NOW, staff_id=6)


def test_an_order_still_being_picked_cannot_be_packed() -> None:
    order = _picked(_line(1, _product("bread", "ambient"), 1))
    order.status = OrderStatus.PICKING
    with pytest.raises(WrongHandoverStep):
        order.pack({"ambient": 1}, {"ambient": "Shelf"}, now=NOW, staff_id=CLERK)


def test_a_courier_cannot_take_an_order_with_a_bag_left_behind() -> None:
    order = _picked(_line(1, _product("water", "ambient"), 1),
                    _line(2, _product("milk", "chilled"), 1))
    order.pack({"ambient": 1, "chilled": 1}, {"ambient": "S", "chilled": "F"}, now=NOW,
               staff_id=CLERK)
    order.scan_bag(BagCode("OMS-7", 1, 2, "ambient"), now=NOW, staff_id=COURIER)
    with pytest.raises(BagsMissing):
        order.hand_over_to_courier(COURIER, now=NOW)
    assert order.status is OrderStatus.PACKED


def test_a_bag_of_another_order_is_refused() -> None:
    order = _packed(_line(1, _product("water", "ambient"), 1))
    with pytest.raises(BagFromAnotherOrder):
        order.scan_bag(BagCode("OMS-8", 1, 1, "ambient"), now=NOW, staff_id=COURIER)


def test_bags_scanned_by_another_courier_do_not_count() -> None:
    order = _packed(_line(1, _product("water", "ambient"), 1))
    _scan_all(order, OTHER_COURIER)
    with pytest.raises(BagsMissing):
        order.hand_over_to_courier(COURIER, now=NOW)


def test_only_the_courier_who_took_the_order_can_deliver_it() -> None:
    order = _packed(_line(1, _product("water", "ambient"), 1))
    _scan_all(order, COURIER)
    order.hand_over_to_courier(COURIER, now=NOW)
    with pytest.raises(NotYourDelivery):
        order.deliver(now=NOW, courier_id=OTHER_COURIER, id_checked=False)


def test_age_restricted_goods_need_the_id_check_and_record_who_did_it() -> None:
    order = _packed(_line(1, _product("beer", "ambient", adult=True), 1))
    _scan_all(order, COURIER)
    order.hand_over_to_courier(COURIER, now=NOW)
    with pytest.raises(IdCheckRequired):
        order.deliver(now=NOW, courier_id=COURIER, id_checked=False)
    order.deliver(now=NOW, courier_id=COURIER, id_checked=True)
    assert order.status is OrderStatus.DELIVERED
    assert order.events[-2].payload()["id_checked_by"] == COURIER  # then OrderSettled


def test_refusing_the_only_18_plus_line_removes_the_id_check() -> None:
    order = _packed(_line(1, _product("beer", "ambient", adult=True), 1),
                    _line(2, _product("water", "ambient"), 1))
    _scan_all(order, COURIER)
    order.hand_over_to_courier(COURIER, now=NOW)
    order.refuse(1, 1, "unwanted", now=NOW, staff_id=COURIER)
    order.deliver(now=NOW, courier_id=COURIER, id_checked=False)
    assert order.events[-2].payload()["refund_minor"] == 10000


def test_more_pieces_than_were_delivered_cannot_be_refused() -> None:
    order = _packed(_line(1, _product("water", "ambient"), 2), fulfilment="collect")
    order.check_pickup_code(now=NOW, staff_id=CLERK)
    order.refuse(1, 2, "damaged", now=NOW, staff_id=CLERK)
    with pytest.raises(InvalidRefusal):
        order.refuse(1, 1, "damaged", now=NOW, staff_id=CLERK)


def test_a_collect_order_needs_the_pickup_code_before_handover() -> None:
    order = _packed(_line(1, _product("bread", "ambient"), 1), fulfilment="collect")
    _scan_all(order, CLERK)
    with pytest.raises(PickupCodeNotChecked):
        order.hand_over_to_customer(now=NOW, staff_id=CLERK, id_checked=False)
    order.check_pickup_code(now=NOW, staff_id=CLERK)
    order.hand_over_to_customer(now=NOW, staff_id=CLERK, id_checked=False)
    assert order.status is OrderStatus.DELIVERED
    assert [e.type for e in order.events][-3:] == [
        "OrderHandedOver", "OrderDelivered", "OrderSettled"]


def test_a_failed_delivery_drops_door_refusals_and_can_return_to_staging() -> None:
    order = _packed(_line(1, _product("water", "ambient"), 2))
    _scan_all(order, COURIER)
    order.hand_over_to_courier(COURIER, now=NOW)
    order.refuse(1, 1, "damaged", now=NOW, staff_id=COURIER)
    order.fail_delivery("wrong_address", "no such flat", now=NOW, courier_id=COURIER)
    assert order.status is OrderStatus.DELIVERY_FAILED and order.handover is not None
    assert order.handover.refusals == []
    order.return_to_staging(now=NOW, staff_id=CLERK)
    assert order.status is OrderStatus.PACKED
    assert order.missing_bags(COURIER) == order.handover.bags
