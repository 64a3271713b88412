"""The rules of packing, bags, couriers and the click & collect counter, through the
in-memory unit of work (``tests.support.fakes``, ``tests.support.fakes_handover``): no
database, milliseconds per test. The SQL repositories behind the same ports
(``app.db.repo_handover``) are proven by the integration tests on SQLite and PostgreSQL
(test_handover_services, test_handover_http, test_handover_details,
test_pickup_check_in_http, test_settlement)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.services import arrival, handover
from app.services.arrival import CheckInLink
from app.staff import StaffUser
from picking import errors
from picking.arrival import Arrival
from picking.bags import BagCode
from picking.handover_facts import (
    BagFromAnotherOrder,
    BagsMissing,
    InvalidPacking,
    NotYourDelivery,
    PickupCodeNotChecked,
)
from picking.marking import MarkingVerdict
from picking.model import Line, LineState, Order, OrderStatus, Product, Scan
from tests.support.fakes import FakeUnitOfWork, Storage

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)  # 12:00 in Moscow


def staff(staff_id: int, role: str, store_id: int = 1) -> StaffUser:
    return StaffUser(id=staff_id, store_id=store_id, store_code="MSK-001", store_name="Test",
                     personnel_no=str(staff_id), name=role.title(), role=role, language="en")


PACKER, COURIER, OTHER_COURIER, CLERK = (staff(10, "picker"), staff(30, "courier"),
                                         staff(31, "courier"), staff(40, "picker"))
ELSEWHERE = staff(50, "picker", store_id=2)
LINK = CheckInLink(base_url="https://shop.example", secret="s" * 32)


def picked(order_id: int, *, fulfilment: str = "delivery", store_id: int = 1) -> Order:
    milk = Product(store_id=store_id, sku="milk", name_ru="Молоко", name_en="Milk",
                   unit="piece", price_minor=9990, zone="chilled", id=1)
    bread = Product(store_id=store_id, sku="bread", name_ru="Хлеб", name_en="Bread",
                    unit="piece", price_minor=5990, zone="ambient", id=2)
    lines = []
    for n, (product, qty) in enumerate(((milk, 2), (bread, 1)), start=1):
        line = Line(product=product, quantity=qty, unit_price_minor=product.price_minor,
                    picked_quantity=qty, state=LineState.PICKED, id=order_id * 10 + n)
        line.scans.append(Scan(scan_id=f"s{order_id}-{n}", code="x", quantity=qty,
                               scanned_at=NOW - timedelta(minutes=5), staff_id=7))
        lines.append(line)
    return Order(store_id=store_id, store_code="MSK-001", oms_id=f"W-{order_id}", due_at=NOW,
                 id=order_id, lines=lines, status=OrderStatus.PICKED, fulfilment=fulfilment)


def storage(*orders: Order) -> Storage:
    return Storage(orders={o.id or 0: o for o in orders})


def uow(store: Storage) -> FakeUnitOfWork:
    return FakeUnitOfWork(store)


BAGS, PLACES = {"chilled": 1, "ambient": 2}, {"chilled": "Fridge 2", "ambient": "A-3"}


async def pack(store: Storage, order_id: int, *, link: CheckInLink | None = None
               ) -> str | None:
    _order, code = await handover.pack_order(uow(store), PACKER, order_id, BAGS, PLACES, NOW,
                                             link)
    return code


def labels(store: Storage, order_id: int) -> list[str]:
    order = store.orders[order_id]
    assert order.handover is not None
    return [b.code(order.oms_id).text() for b in order.handover.bags]


async def scan_all(store: Storage, order_id: int, who: StaffUser) -> None:
    for text in labels(store, order_id):
        await handover.scan_bag(uow(store), who, text, NOW)


def types(store: Storage) -> list[str]:
    return [e.type for e in store.outbox]


# -- packing ---------------------------------------------------------------------------

async def test_packing_numbers_the_bags_across_zones_and_gives_a_delivery_no_code() -> None:
    store = storage(picked(1))
    code = await pack(store, 1)
    order = store.orders[1]
    assert code is None and order.status is OrderStatus.PACKED
    assert order.handover is not None and order.handover.pickup_code_hash is None
    assert [(b.number, b.count, b.zone) for b in order.handover.bags] == [
        (1, 3, "ambient"), (2, 3, "ambient"), (3, 3, "chilled")]
    assert order.handover.staging == PLACES and order.handover.cold_seconds == {"chilled": 300}
    assert types(store) == ["OrderPacked"] and store.commits == 1
    assert store.floor.arrivals == {}  # no check-in for a delivery


async def test_a_collect_order_gets_a_six_digit_code_kept_only_as_its_hash() -> None:
    store = storage(picked(2, fulfilment="collect"))
    code = await pack(store, 2, link=LINK)
    assert code is not None and len(code) == 6 and code.isdigit()
    handed = store.orders[2].handover
    assert handed is not None and handed.pickup_code_hash == handover.hash_pickup_code(code)
    assert store.floor.arrivals == {2: Arrival()}
    assert arrival.unseal_code(LINK.secret, 2, store.floor.sealed[2] or "") == code  # its page
    packed = store.outbox[-1]
    assert packed.pickup_code == code  # type: ignore[attr-defined]
    assert packed.customer_url.startswith(  # type: ignore[attr-defined]
        f"{LINK.base_url}/")
    assert list(store.oos.links.values()) == [2]  # the link's token, kept as its hash


async def test_a_new_code_is_never_one_an_order_still_waiting_holds(
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = storage(picked(1, fulfilment="collect"), picked(2, fulfilment="collect"))
    draws = iter([123456, 123456, 654321])
    monkeypatch.setattr(handover.secrets, "randbelow", lambda _n: next(draws))
    assert await pack(store, 1) == "123456"
    assert await pack(store, 2) == "654321"  # 123456 was drawn again: taken, drawn anew


async def test_a_refused_packing_writes_nothing() -> None:
    store = storage(picked(1))
    with pytest.raises(InvalidPacking):
        await handover.pack_order(uow(store), PACKER, 1, {"ambient": 1}, PLACES, NOW)
    with pytest.raises(InvalidPacking):
        await handover.pack_order(uow(store), PACKER, 1, BAGS, {"ambient": "A-3"}, NOW)
    with pytest.raises(errors.OrderNotFound):
        await handover.pack_order(uow(store), ELSEWHERE, 1, BAGS, PLACES, NOW)
    assert store.commits == 0 and store.orders[1].status is OrderStatus.PICKED
    assert store.orders[1].handover is None


# -- bags and couriers -----------------------------------------------------------------

async def test_a_bag_label_alone_finds_its_order_and_a_second_scan_is_not_news() -> None:
    store = storage(picked(1))
    await pack(store, 1)
    first = labels(store, 1)[0]
    order, bag, fresh = await handover.scan_bag(uow(store), COURIER, first, NOW)
    assert (order.id, bag.number, fresh) == (1, 1, True)
    _order, _bag, fresh = await handover.scan_bag(uow(store), COURIER, first, NOW)
    assert not fresh
    stored = store.orders[1].handover
    assert stored is not None and stored.bags[0].scanned_by == COURIER.id


async def test_wrong_bags_are_refused_without_a_write() -> None:
    store = storage(picked(1), picked(2), picked(3, store_id=2))
    await pack(store, 1)
    await pack(store, 2)
    commits = store.commits
    with pytest.raises(errors.BadBag):
        await handover.scan_bag(uow(store), COURIER, "not a bag", NOW)
    with pytest.raises(BagFromAnotherOrder):
        await handover.scan_bag(uow(store), COURIER, labels(store, 2)[0], NOW, order_id=1)
    with pytest.raises(errors.OrderNotFound):  # a label of an order no store here has
        await handover.scan_bag(uow(store), COURIER, BagCode("W-404", 1, 1, "ambient").text(),
                                NOW)
    with pytest.raises(errors.OrderNotFound):  # nor of another store's order
        await handover.scan_bag(uow(store), COURIER, BagCode("W-3", 1, 1, "ambient").text(),
                                NOW)
    assert store.commits == commits


async def test_the_courier_takes_the_order_only_with_every_bag_scanned_by_them() -> None:
    store = storage(picked(1))
    await pack(store, 1)
    await handover.scan_bag(uow(store), COURIER, labels(store, 1)[0], NOW)
    with pytest.raises(BagsMissing) as missing:
        await handover.take_order(uow(store), COURIER, 1, NOW)
    assert len(missing.value.missing) == 2 and store.orders[1].status is OrderStatus.PACKED
    await scan_all(store, 1, OTHER_COURIER)  # another courier's scans are not theirs
    with pytest.raises(BagsMissing):
        await handover.take_order(uow(store), COURIER, 1, NOW)
    await scan_all(store, 1, COURIER)
    order = await handover.take_order(uow(store), COURIER, 1, NOW)
    assert order.status is OrderStatus.HANDED_OVER
    assert store.orders[1].status is OrderStatus.HANDED_OVER
    assert types(store)[-1] == "OrderHandedOver"


async def handed_to(store: Storage, order_id: int, courier: StaffUser) -> None:
    await pack(store, order_id)
    await scan_all(store, order_id, courier)
    await handover.take_order(uow(store), courier, order_id, NOW)


async def test_only_the_courier_who_took_it_delivers_and_a_trial_writes_nothing() -> None:
    store = storage(picked(1))
    await handed_to(store, 1, COURIER)
    commits = store.commits
    with pytest.raises(NotYourDelivery):
        await handover.check_delivery(uow(store), OTHER_COURIER, 1, NOW, id_checked=False)
    with pytest.raises(NotYourDelivery):
        await handover.deliver(uow(store), OTHER_COURIER, 1, NOW, id_checked=False)
    await handover.check_delivery(uow(store), COURIER, 1, NOW, id_checked=False)
    assert store.commits == commits and store.orders[1].status is OrderStatus.HANDED_OVER
    order = await handover.deliver(uow(store), COURIER, 1, NOW, id_checked=False,
                                   proof_photo="proofs/1.jpg")
    assert order.status is OrderStatus.DELIVERED
    assert store.orders[1].handover is not None
    assert store.orders[1].handover.proof_photo == "proofs/1.jpg"


async def test_a_failed_delivery_comes_back_to_the_shelf_for_another_courier() -> None:
    store = storage(picked(1))
    await handed_to(store, 1, COURIER)
    with pytest.raises(errors.InvalidRefusal):
        await handover.fail_delivery(uow(store), COURIER, 1, "bored", "", NOW)
    await handover.fail_delivery(uow(store), COURIER, 1, "customer_absent", " rang twice ", NOW)
    assert store.orders[1].status is OrderStatus.DELIVERY_FAILED
    await handover.return_to_staging(uow(store), PACKER, 1, NOW)
    order = store.orders[1]
    assert order.status is OrderStatus.PACKED and order.handover is not None
    assert all(b.scanned_at is None for b in order.handover.bags)
    await handed_to_again(store, 1)
    assert types(store)[-3:] == ["DeliveryFailed", "OrderReturned", "OrderHandedOver"]


async def handed_to_again(store: Storage, order_id: int) -> None:
    await scan_all(store, order_id, OTHER_COURIER)
    await handover.take_order(uow(store), OTHER_COURIER, order_id, NOW)


async def test_an_unreadable_unit_code_is_refused_before_the_order_is_read() -> None:
    store = storage(picked(1))
    await handed_to(store, 1, COURIER)
    with pytest.raises(errors.InvalidRefusal) as bad:
        await handover.refuse_line(uow(store), COURIER, 1, 11, 1, "damaged", NOW,
                                   unit_code="??")
    assert bad.value.reason == "marking_code"
    refusal_free = store.orders[1].handover
    assert refusal_free is not None and refusal_free.refusals == []
    order = await handover.refuse_line(uow(store), COURIER, 1, 11, 1, "damaged", NOW)
    assert order.handover is not None and [r.quantity for r in order.handover.refusals] == [1]
    assert order.kept_quantity(order.lines[0]) == 1


# -- the click & collect counter -------------------------------------------------------

async def collect_ready(store: Storage, order_id: int) -> str:
    code = await pack(store, order_id, link=LINK)
    assert code is not None
    return code


async def test_the_right_code_typed_or_shown_as_qr_finds_the_waiting_order() -> None:
    store = storage(picked(1, fulfilment="collect"), picked(2, fulfilment="collect"))
    await collect_ready(store, 1)
    code = await collect_ready(store, 2)
    spaced = f"{code[:3]} {code[3:]}"
    assert await handover.check_pickup_code(uow(store), CLERK, spaced, NOW) == 2
    assert await handover.check_pickup_code(uow(store), CLERK, f"SP-PICKUP:W-2:{code}",
                                            NOW) == 2
    handed = store.orders[2].handover
    assert handed is not None and handed.code_checked_by == CLERK.id


async def test_wrong_codes_count_down_and_the_sixth_try_is_refused_for_a_while() -> None:
    store = storage(picked(1, fulfilment="collect"))
    code = await collect_ready(store, 1)
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1, 0):
        with pytest.raises(errors.WrongPickupCode) as refused:
            await handover.check_pickup_code(uow(store), CLERK, wrong, NOW)
        assert refused.value.left == left
    assert len(store.handover.failures) == 5  # each wrong code is committed
    with pytest.raises(errors.TooManyPickupAttempts):  # even the right one
        await handover.check_pickup_code(uow(store), CLERK, code, NOW)
    # another person may still try, and 15 minutes later so may this one
    assert await handover.check_pickup_code(uow(store), PACKER, code, NOW) == 1
    later = NOW + timedelta(minutes=15)
    assert await handover.check_pickup_code(uow(store), CLERK, code, later) == 1


async def test_a_code_of_another_store_is_a_wrong_code() -> None:
    store = storage(picked(1, fulfilment="collect"))
    code = await collect_ready(store, 1)
    with pytest.raises(errors.WrongPickupCode):
        await handover.check_pickup_code(uow(store), ELSEWHERE, code, NOW)


async def test_the_customer_gets_the_order_after_the_code_and_every_bag() -> None:
    store = storage(picked(1, fulfilment="collect"))
    code = await collect_ready(store, 1)
    with pytest.raises(PickupCodeNotChecked):
        await handover.hand_over_to_customer(uow(store), CLERK, 1, NOW, id_checked=False)
    await handover.check_pickup_code(uow(store), CLERK, code, NOW)
    with pytest.raises(BagsMissing):
        await handover.hand_over_to_customer(uow(store), CLERK, 1, NOW, id_checked=False)
    await scan_all(store, 1, CLERK)
    store.floor.arrivals[1] = Arrival(arrived_at=NOW - timedelta(minutes=4), bay="2")
    order = await handover.hand_over_to_customer(uow(store), CLERK, 1, NOW, id_checked=False)
    assert order.status is OrderStatus.DELIVERED
    handed = [e for e in store.outbox if e.type == "OrderHandedOver"]
    assert handed[-1].waited_seconds == 240  # type: ignore[attr-defined]


async def test_a_code_re_entered_after_handover_says_when_and_uses_no_attempt() -> None:
    store = storage(picked(1, fulfilment="collect"))
    code = await collect_ready(store, 1)
    await handover.check_pickup_code(uow(store), CLERK, code, NOW)
    await scan_all(store, 1, CLERK)
    await handover.hand_over_to_customer(uow(store), CLERK, 1, NOW, id_checked=False)
    with pytest.raises(errors.PickupCodeAlreadyUsed) as used:
        await handover.check_pickup_code(uow(store), CLERK, code, NOW + timedelta(hours=1))
    assert (used.value.order, used.value.time) == ("W-1", "12:00")  # Moscow time
    assert store.handover.failures == []
    with pytest.raises(errors.WrongPickupCode):  # remembered 12 hours only
        await handover.check_pickup_code(uow(store), CLERK, code, NOW + timedelta(hours=13))


async def test_a_unit_the_recheck_refuses_leaves_the_order_and_stops_the_handover() -> None:
    order = picked(1)
    order.lines[0].product.marked = True
    order.lines[0].scans[0].marking_code = "0104601234567890215abc"
    store = storage(order)
    await pack(store, 1)
    await scan_all(store, 1, COURIER)
    recheck = {"0104601234567890215abc": MarkingVerdict("blocked", "online")}
    with pytest.raises(errors.MarkedUnitsWithdrawn):
        await handover.take_order(uow(store), COURIER, 1, NOW, recheck=recheck)
    kept = store.orders[1]  # the withdrawal is committed, the order stays
    assert kept.status is OrderStatus.PACKED and kept.lines[0].state is LineState.SHORT
    assert types(store)[-1] == "LineShorted"
    taken = await handover.take_order(uow(store), COURIER, 1, NOW, recheck=recheck)
    assert taken.status is OrderStatus.HANDED_OVER  # nothing left to withdraw
