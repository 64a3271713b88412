"""Packing and handover through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.db.uow import UnitOfWork
from app.handover_queries import courier_orders, order_with_handover, ready_for_couriers
from app.services import handover as service
from picking.bags import BagCode
from picking.handover_facts import (
    BagFromAnotherOrder,
    BagsMissing,
    TooManyPickupAttempts,
    WrongPickupCode,
)
from tests.support.handover import outbox_events, outbox_payload, picked_order, staff_user
from tests.support.shop import NOW

LATER = NOW + timedelta(minutes=10)
ZONES = {"ambient": "Shelf A", "chilled": "Fridge 2", "frozen": "Freezer 1"}


async def _pack(db: Any, shop: Any, order_id: int, bags: dict[str, int]) -> str | None:
    _order, code = await service.pack_order(UnitOfWork(db), staff_user(shop, "picker"), order_id,
                                            bags, ZONES, NOW)
    return code


async def test_packing_stores_bags_staging_and_cold_time_and_emits_order_packed(
        db: Any, shop: Any) -> None:
    order_id = await picked_order(db, shop, {"water": 2, "milk": 1, "pizza": 1})
    await _pack(db, shop, order_id, {"ambient": 1, "chilled": 1, "frozen": 1})
    async with db.reading() as session:
        order = await order_with_handover(session, order_id, shop.store_id)
    assert order is not None and order.status == "packed" and order.handover is not None
    assert [(b.number, b.count, b.zone) for b in order.handover.bags] == [
        (1, 3, "ambient"), (2, 3, "chilled"), (3, 3, "frozen")]
    assert order.handover.cold_seconds["chilled"] == 300
    payload = await outbox_payload(db, order_id, "OrderPacked")
    assert payload["bags"] == {"ambient": 1, "chilled": 1, "frozen": 1}
    assert payload["pickup_code"] is None


async def test_a_courier_takes_an_order_only_with_every_bag_scanned(db: Any, shop: Any) -> None:
    order_id = await picked_order(db, shop, {"water": 1, "milk": 1}, oms_id="D-100")
    other_id = await picked_order(db, shop, {"bread": 1}, oms_id="D-200")
    await _pack(db, shop, order_id, {"ambient": 1, "chilled": 1})
    await _pack(db, shop, other_id, {"ambient": 1})
    courier = staff_user(shop, "courier")
    await service.scan_bag(UnitOfWork(db), courier, BagCode("D-100", 1, 2, "ambient").text(), NOW)
    with pytest.raises(BagsMissing) as missing:
        await service.take_order(UnitOfWork(db), courier, order_id, NOW)
    assert missing.value.params["missing"] == [{"number": 2, "count": 2, "zone": "chilled"}]
    with pytest.raises(BagFromAnotherOrder):
        await service.scan_bag(UnitOfWork(db), courier, BagCode("D-200", 1, 1, "ambient").text(),
                               NOW, order_id=order_id)
    await service.scan_bag(UnitOfWork(db), courier, BagCode("D-100", 2, 2, "chilled").text(), NOW)
    await service.take_order(UnitOfWork(db), courier, order_id, NOW)
    async with db.reading() as session:
        mine = await courier_orders(session, shop.store_id, courier.id)
        ready = await ready_for_couriers(session, shop.store_id)
    assert [r.oms_id for r in mine] == ["D-100"] and [r.oms_id for r in ready] == ["D-200"]
    assert (await outbox_payload(db, order_id, "OrderHandedOver"))["courier_id"] == courier.id


async def test_a_delivery_with_a_refused_line_refunds_it_in_order_delivered(
        db: Any, shop: Any) -> None:
    order_id = await picked_order(db, shop, {"water": 3, "beer": 1}, oms_id="D-300")
    await _pack(db, shop, order_id, {"ambient": 1})
    courier = staff_user(shop, "courier")
    await service.scan_bag(UnitOfWork(db), courier, BagCode("D-300", 1, 1, "ambient").text(), NOW)
    order = await service.take_order(UnitOfWork(db), courier, order_id, NOW)
    water = next(ln for ln in order.lines if ln.product.sku == "water")
    await service.refuse_line(UnitOfWork(db), courier, order_id, water.id, 2, "damaged", LATER)
    await service.deliver(UnitOfWork(db), courier, order_id, LATER, id_checked=True)
    payload = await outbox_payload(db, order_id, "OrderDelivered")
    assert payload["refund_minor"] == 2 * shop.prices["water"]
    assert payload["refusals"][0]["quantity"] == 2 and payload["id_checked_by"] == courier.id
    assert (await outbox_events(db, order_id))[-4:] == [
        "OrderPacked", "OrderHandedOver", "OrderDelivered", "OrderSettled"]


async def test_a_failed_delivery_comes_back_and_can_be_staged_again(db: Any, shop: Any) -> None:
    order_id = await picked_order(db, shop, {"bread": 1}, oms_id="D-400")
    await _pack(db, shop, order_id, {"ambient": 1})
    courier = staff_user(shop, "courier")
    await service.scan_bag(UnitOfWork(db), courier, BagCode("D-400", 1, 1, "ambient").text(), NOW)
    await service.take_order(UnitOfWork(db), courier, order_id, NOW)
    order = await service.fail_delivery(UnitOfWork(db), courier, order_id, "customer_absent",
                                        "nobody home", LATER)
    assert order.status == "delivery_failed"
    assert (await outbox_payload(db, order_id, "DeliveryFailed"))["reason"] == "customer_absent"
    order = await service.return_to_staging(UnitOfWork(db), staff_user(shop, "supervisor"),
                                            order_id, LATER)
    assert order.status == "packed"
    assert order.handover is not None and order.handover.bags[0].scanned_at is None


async def test_the_pickup_code_opens_the_order_and_wrong_codes_are_rate_limited(
        db: Any, shop: Any) -> None:
    order_id = await picked_order(db, shop, {"bread": 1}, fulfilment="collect")
    code = await _pack(db, shop, order_id, {"ambient": 1})
    assert code is not None and len(code) == 6
    assert (await outbox_payload(db, order_id, "OrderPacked"))["pickup_code"] == code
    clerk = staff_user(shop, "picker")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(WrongPickupCode):
            await service.check_pickup_code(UnitOfWork(db), clerk, wrong, NOW)
    with pytest.raises(TooManyPickupAttempts):
        await service.check_pickup_code(UnitOfWork(db), clerk, code, NOW)
    assert await service.check_pickup_code(UnitOfWork(db), clerk, code,
                                           NOW + timedelta(minutes=16)) == order_id
