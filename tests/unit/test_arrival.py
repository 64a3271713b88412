"""The customer's pickup check-in steps on the Order, and the sealed pickup code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.services.arrival import seal_code, unseal_code
from picking.arrival import Arrival, parse_bays
from picking.errors import AlreadyCheckedIn, CheckInNotOpen, UnknownBay
from picking.events import CustomerArrived, CustomerOnTheWay, OrderHandedOver
from picking.model import Order, OrderStatus

NOW = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)


def _waiting(status: OrderStatus = OrderStatus.PACKED, fulfilment: str = "collect") -> Order:
    return Order(store_id=1, store_code="MSK-001", oms_id="CC-7", due_at=NOW, id=7, lines=[],
                 status=status, fulfilment=fulfilment)


def test_on_my_way_then_here_at_a_bay_records_each_step_once() -> None:
    order, arrival = _waiting(), Arrival()
    order.customer_on_the_way(arrival, now=NOW)
    with pytest.raises(AlreadyCheckedIn):
        order.customer_on_the_way(arrival, now=NOW)
    order.customer_arrived(arrival, now=NOW + timedelta(minutes=9), bay=" 3 ", bays=("1", "3"))
    with pytest.raises(AlreadyCheckedIn):
        order.customer_arrived(arrival, now=NOW, bay="3", bays=("1", "3"))
    with pytest.raises(AlreadyCheckedIn):
        order.customer_on_the_way(arrival, now=NOW)
    assert [type(e) for e in order.events] == [CustomerOnTheWay, CustomerArrived]
    assert order.events[1].payload()["bay"] == "3"
    assert arrival.waited_seconds(NOW + timedelta(minutes=12)) == 180


def test_a_bay_the_store_has_not_is_refused_and_nothing_changes() -> None:
    order, arrival = _waiting(), Arrival()
    for bad in ("7", ""):
        with pytest.raises(UnknownBay):
            order.customer_arrived(arrival, now=NOW, bay=bad, bays=("1", "2"))
    assert arrival == Arrival() and order.events == []
    order.customer_arrived(arrival, now=NOW, bay="whatever", bays=())
    assert arrival.bay is None  # a store without bays keeps none


@pytest.mark.parametrize(("status", "fulfilment"), [
    (OrderStatus.PICKING, "collect"), (OrderStatus.PICKED, "collect"),
    (OrderStatus.PACKED, "delivery")])
def test_check_in_is_open_only_while_a_collect_order_waits_packed(
        status: OrderStatus, fulfilment: str) -> None:
    with pytest.raises(CheckInNotOpen):
        _waiting(status, fulfilment).customer_on_the_way(Arrival(), now=NOW)


def test_the_handover_event_carries_the_wait_and_its_contract_round_trips() -> None:
    event = OrderHandedOver(order_id=7, occurred_at=NOW, to="customer", courier_id=None,
                            by=10, bags=1, waited_seconds=360)
    assert event.payload()["waited_seconds"] == 360


def test_bays_are_read_from_the_setting_in_order_without_blanks_or_repeats() -> None:
    assert parse_bays(" 1, 2,,2 , desk A ") == ("1", "2", "desk A")


def test_the_sealed_code_opens_only_with_the_secret_and_its_order() -> None:
    sealed = seal_code("s" * 40, 7, "042137")
    assert "042137" not in sealed
    assert unseal_code("s" * 40, 7, sealed) == "042137"
    assert unseal_code("t" * 40, 7, sealed) != "042137"
    assert unseal_code("s" * 40, 8, sealed) != "042137"


def test_the_simulated_oms_texts_the_check_in_link_with_the_pickup_code() -> None:
    from sync.customer_inbox import message_for

    message = message_for({"type": "OrderPacked", "order_id": "CC-7", "occurred_at": "",
                           "payload": {"pickup_code": "042137",
                                       "customer_url": "https://shop.example/c/abc"}}, {})
    assert message is not None and message.link == "https://shop.example/c/abc"
    assert message.text_en.endswith("when you arrive: https://shop.example/c/abc")
    assert "042137" in message.text_ru and "https://shop.example/c/abc" in message.text_ru
