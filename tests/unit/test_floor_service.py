"""The floor's rules through the in-memory unit of work (``tests.support.fakes``,
``tests.support.fakes_floor``): pickup check-in, the picker's pace, the supervisor's
actions and a store's cached settings. No database, milliseconds per test. The SQL
repositories behind the same ports (``app.db.repo_floor``) are proven by the
integration tests on SQLite and PostgreSQL (test_pickup_check_in_http, test_pace_http,
test_board_assign, test_board_limits, test_photo_scan_http, test_freshness)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.services import arrival, pace, stores, supervision
from app.services.records_floor import PickRates, PickupSettings
from app.services.stores import StoreInfo
from app.services.substitutions import LinkExpired, LinkNotFound, link_hash
from app.staff import StaffUser
from picking import errors, events
from picking.arrival import ARRIVED, ON_THE_WAY, Arrival
from picking.board import InvalidTimeLimit
from picking.codes import ScaleLayout
from picking.model import Line, Order, OrderStatus, Product
from picking.pace import pace_of
from tests.support.fakes import FakeUnitOfWork, Storage
from tests.support.fakes_floor import Person

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
SECRET = "test-secret"
TOKEN = "t" * 43
PICKER = StaffUser(id=7, store_id=1, store_code="MSK-001", store_name="Test",
                   personnel_no="1001", name="Picker", role="picker", language="en")
SUPERVISOR = StaffUser(id=3, store_id=1, store_code="MSK-001", store_name="Test",
                       personnel_no="1003", name="Boss", role="supervisor", language="en")


def product(sku: str, pid: int, unit: str = "piece") -> Product:
    return Product(store_id=1, sku=sku, name_ru=sku, name_en=sku, unit=unit,
                   price_minor=100, id=pid)


def order(order_id: int, *, status: OrderStatus = OrderStatus.PACKED,
          fulfilment: str = "collect", store_id: int = 1, picker_id: int | None = None,
          lines: list[Line] | None = None, **more: Any) -> Order:
    return Order(store_id=store_id, store_code="MSK-001", oms_id=f"E-{order_id}",
                 due_at=NOW + timedelta(hours=1), id=order_id, status=status,
                 fulfilment=fulfilment, picker_id=picker_id, customer_name=f"C{order_id}",
                 lines=lines or [Line(product=product("milk", 1), quantity=2,
                                      unit_price_minor=100, id=order_id * 10)], **more)


def storage(*orders: Order) -> Storage:
    store = Storage(orders={o.id or 0: o for o in orders})
    store.floor.staff = {7: Person(1, "Picker"), 8: Person(1, "Other"),
                         9: Person(2, "Elsewhere"), 10: Person(1, "Gone", active=False),
                         11: Person(1, "Packer", role="packer"),
                         3: Person(1, "Boss", role="supervisor")}
    return store


def linked(store: Storage, order_id: int, token: str = TOKEN) -> Storage:
    store.oos.links[link_hash(token)] = order_id
    store.floor.arrivals[order_id] = Arrival()
    store.floor.sealed[order_id] = arrival.seal_code(SECRET, order_id, "123456")
    return store


# -- pickup check-in ---------------------------------------------------------------

async def test_on_my_way_is_recorded_once_with_its_event() -> None:
    store = linked(storage(order(5)), 5)
    placed, came = await arrival.check_in(FakeUnitOfWork(store), TOKEN, ON_THE_WAY, NOW)
    assert (placed.id, came.on_the_way_at, came.arrived_at) == (5, NOW, None)
    assert store.floor.arrivals[5].on_the_way_at == NOW
    assert [type(e) for e in store.outbox] == [events.CustomerOnTheWay]
    with pytest.raises(errors.AlreadyCheckedIn) as again:
        await arrival.check_in(FakeUnitOfWork(store), TOKEN, ON_THE_WAY, NOW)
    assert again.value.step == ON_THE_WAY
    assert store.commits == 1 and len(store.outbox) == 1


async def test_i_am_here_needs_one_of_the_stores_bays() -> None:
    store = linked(storage(order(5)), 5)
    store.floor.pickup[1] = PickupSettings(bays=("1", "2"))
    with pytest.raises(errors.UnknownBay):
        await arrival.check_in(FakeUnitOfWork(store), TOKEN, ARRIVED, NOW, bay="7")
    with pytest.raises(errors.UnknownBay):
        await arrival.check_in(FakeUnitOfWork(store), TOKEN, ARRIVED, NOW)
    assert store.commits == 0 and store.floor.arrivals[5] == Arrival()
    _placed, came = await arrival.check_in(FakeUnitOfWork(store), TOKEN, ARRIVED, NOW,
                                           bay=" 2 ")
    assert (came.arrived_at, came.bay) == (NOW, "2")
    assert store.floor.arrivals[5].bay == "2"
    with pytest.raises(errors.AlreadyCheckedIn):  # "on my way" after "I'm here" is a replay
        await arrival.check_in(FakeUnitOfWork(store), TOKEN, ON_THE_WAY, NOW)


async def test_a_store_without_bays_takes_none() -> None:
    store = linked(storage(order(5)), 5)
    _placed, came = await arrival.check_in(FakeUnitOfWork(store), TOKEN, ARRIVED, NOW,
                                           bay="3")
    assert (came.arrived_at, came.bay) == (NOW, None)


async def test_check_in_is_open_only_on_its_own_packed_collect_order() -> None:
    store = linked(storage(order(5, status=OrderStatus.PICKING)), 5)
    with pytest.raises(errors.CheckInNotOpen):
        await arrival.check_in(FakeUnitOfWork(store), TOKEN, ON_THE_WAY, NOW)
    for bad_token, step in (("u" * 43, ON_THE_WAY), ("short", ON_THE_WAY), (TOKEN, "left")):
        with pytest.raises(LinkNotFound):
            await arrival.check_in(FakeUnitOfWork(store), bad_token, step, NOW)
    store.orders[5].status = OrderStatus.HANDED_OVER
    with pytest.raises(LinkExpired):
        await arrival.check_in(FakeUnitOfWork(store), TOKEN, ON_THE_WAY, NOW)
    assert store.commits == 0 and store.floor.arrivals[5] == Arrival()


async def test_packing_a_collect_order_opens_its_check_in_with_a_sealed_code() -> None:
    store = storage(order(5, status=OrderStatus.PICKED), order(6, fulfilment="delivery"))
    link = arrival.CheckInLink("https://shop.example/", SECRET)
    async with FakeUnitOfWork(store) as uow:
        url = await arrival.open_check_in(uow, store.orders[5], "654321", NOW, link)
        none = await arrival.open_check_in(uow, store.orders[6], "111111", NOW, link)
        await uow.commit()
    assert url is not None and url.startswith("https://shop.example/c/") and none is None
    token = url.rsplit("/", 1)[1]
    assert store.oos.links == {link_hash(token): 5}
    assert set(store.floor.arrivals) == {5}
    sealed = store.floor.sealed[5]
    assert sealed is not None and "654321" not in sealed
    assert arrival.unseal_code(SECRET, 5, sealed) == "654321"


async def test_packing_without_a_link_opens_the_arrival_only() -> None:
    store = storage(order(5, status=OrderStatus.PICKED))
    async with FakeUnitOfWork(store) as uow:
        assert await arrival.open_check_in(uow, store.orders[5], "654321", NOW, None) is None
        await uow.commit()
    assert store.floor.arrivals == {5: Arrival()} and store.floor.sealed == {5: None}
    assert store.oos.links == {}


async def test_the_pickup_code_shows_only_after_check_in() -> None:
    store = linked(storage(order(5)), 5)
    async with FakeUnitOfWork(store) as reader:
        assert await arrival.pickup_code(reader, TOKEN, SECRET) is None
        with pytest.raises(LinkNotFound):
            await arrival.pickup_code(reader, "u" * 43, SECRET)
    await arrival.check_in(FakeUnitOfWork(store), TOKEN, ON_THE_WAY, NOW)
    async with FakeUnitOfWork(store) as reader:
        assert await arrival.pickup_code(reader, TOKEN, SECRET) == "123456"
    store.floor.sealed[5] = None  # packed without a secret
    async with FakeUnitOfWork(store) as reader:
        assert await arrival.pickup_code(reader, TOKEN, SECRET) is None


async def test_customers_here_come_first_longest_wait_first_then_those_on_the_way() -> None:
    store = storage(*(order(i) for i in (1, 2, 3, 4)),
                    order(5, status=OrderStatus.HANDED_OVER), order(6, store_id=2))
    came = store.floor.arrivals
    came[1] = Arrival(on_the_way_at=NOW - timedelta(minutes=3))
    came[2] = Arrival(arrived_at=NOW - timedelta(minutes=4), bay="1")
    came[3] = Arrival(NOW - timedelta(minutes=30), NOW - timedelta(minutes=12, seconds=5))
    came[4] = Arrival()  # packed, nothing said yet
    came[5] = Arrival(arrived_at=NOW - timedelta(minutes=50))  # handed over already
    came[6] = Arrival(arrived_at=NOW - timedelta(minutes=50))  # another store's
    async with FakeUnitOfWork(store) as reader:
        waiting = await arrival.waiting_customers(reader, 1, NOW, limit_minutes=10)
    assert [(w.order_id, w.minutes, w.over_limit, w.bay) for w in waiting] == [
        (3, 12, True, None), (2, 4, False, "1"), (1, 0, False, None)]
    assert waiting[0].oms_id == "E-3" and waiting[0].customer_name == "C3"


async def test_typed_pickup_settings_are_checked_before_anything_is_saved() -> None:
    store = storage()
    typed = {"place": " Desk B ", "hours": "8-22", "bays": "1, 2, ,1",
             "wait_limit_minutes": "15", "pace_target_per_hour": "80"}
    saved = await arrival.save_typed_settings(FakeUnitOfWork(store), 1, typed)
    assert saved == PickupSettings("Desk B", "8-22", ("1", "2"), 15, 80)
    assert store.floor.pickup == {1: saved}
    for field, bad in (("wait_limit_minutes", "0"), ("pace_target_per_hour", "2001"),
                       ("place", "x" * 201), ("wait_limit_minutes", "ten")):
        with pytest.raises(arrival.InvalidPickupSetting) as refused:
            await arrival.save_typed_settings(FakeUnitOfWork(store), 1, {**typed, field: bad})
        assert refused.value.field == field
    assert store.floor.pickup == {1: saved} and store.commits == 1


# -- the picker's pace and the board's rates --------------------------------------------

async def test_my_pace_is_todays_scans_against_the_stores_target_waits_left_out() -> None:
    weighed = Line(product=product("cheese", 2, unit="weight"), quantity=300,
                   unit_price_minor=100, id=11)
    in_hand = order(1, status=OrderStatus.PICKING, fulfilment="delivery", picker_id=7,
                    picking_started_at=NOW - timedelta(minutes=20),
                    lines=[Line(product=product("milk", 1), quantity=5, picked_quantity=2,
                                unit_price_minor=100, id=10), weighed])
    store = storage(in_hand, order(2, status=OrderStatus.PICKING, store_id=2, picker_id=7))
    store.floor.pickup[1] = PickupSettings(pace_target_per_hour=20)
    midnight = datetime(2026, 11, 21, 21, 0, tzinfo=UTC)  # the day starts in Moscow
    store.floor.scans = [(7, midnight - timedelta(minutes=1), 50),  # yesterday's
                         (7, midnight + timedelta(minutes=1), 1),  # today's, in Moscow
                         (7, NOW - timedelta(minutes=40), 2), (7, NOW - timedelta(minutes=5), 4),
                         (8, NOW - timedelta(minutes=30), 9)]  # someone else's
    answered = (7, NOW - timedelta(minutes=30), NOW - timedelta(minutes=25),
                NOW - timedelta(minutes=22))  # answered before the window closed
    expired = (7, NOW - timedelta(minutes=20), None, NOW - timedelta(minutes=18))
    still_open = (7, NOW - timedelta(minutes=10), None, None)
    store.floor.waits = [answered, expired, still_open,
                         (7, midnight - timedelta(hours=1), None, None)]
    async with FakeUnitOfWork(store) as reader:
        mine = await pace.my_pace(reader, PICKER, NOW)
    assert mine == pace_of(
        [(midnight + timedelta(minutes=1), 1), (NOW - timedelta(minutes=40), 2),
         (NOW - timedelta(minutes=5), 4)],
        [(answered[1], answered[2]), (expired[1], expired[3]), (still_open[1], NOW)],
        now=NOW, target_per_hour=20, in_hand=(in_hand.due_at, 3 + 1))
    assert (mine.items, mine.waited_seconds, mine.items_left) == (7, 17 * 60, 4)


async def test_the_pace_target_is_the_default_until_the_store_sets_one() -> None:
    async with FakeUnitOfWork(storage()) as reader:
        mine = await pace.my_pace(reader, PICKER, NOW)
    assert (mine.items, mine.target_per_hour, mine.items_left) == (0, 60, None)


async def test_pick_rates_are_per_picker_with_their_percentages() -> None:
    store = storage()
    store.floor.rates = {1: {7: PickRates(8, 6, 5)}, 2: {9: PickRates(1, 1, 1)}}
    async with FakeUnitOfWork(store) as reader:
        rates = await pace.pick_rates(reader, 1, NOW)
    assert list(rates) == [7]
    assert (rates[7].found_rate, rates[7].first_time_rate) == (75.0, 62.5)
    assert PickRates(0, 0, 0).found_rate == 0.0


# -- the supervisor's actions -------------------------------------------------------

async def test_assigning_a_queued_order_starts_picking_for_that_picker() -> None:
    store = storage(order(1, status=OrderStatus.QUEUED, fulfilment="delivery"))
    placed = await supervision.assign_picker(FakeUnitOfWork(store), SUPERVISOR, 1, 7, NOW)
    assert (placed.status, placed.picker_id) == (OrderStatus.PICKING, 7)
    assert store.orders[1].picker_id == 7
    assert [type(e) for e in store.outbox] == [events.PickerAssigned]


@pytest.mark.parametrize("picker_id", [9, 10, 11, 404])  # other store, inactive, packer, none
async def test_only_an_active_picker_of_the_store_can_be_assigned(picker_id: int) -> None:
    store = storage(order(1, status=OrderStatus.QUEUED))
    with pytest.raises(errors.PickerNotAvailable):
        await supervision.assign_picker(FakeUnitOfWork(store), SUPERVISOR, 1, picker_id, NOW)
    assert store.commits == 0 and store.orders[1].status is OrderStatus.QUEUED


async def test_a_supervisor_may_pick_and_only_their_own_stores_orders_are_assigned() -> None:
    store = storage(order(1, status=OrderStatus.QUEUED), order(2, status=OrderStatus.QUEUED,
                                                              store_id=2))
    placed = await supervision.assign_picker(FakeUnitOfWork(store), SUPERVISOR, 1, 3, NOW)
    assert placed.picker_id == 3
    with pytest.raises(errors.OrderNotFound):
        await supervision.assign_picker(FakeUnitOfWork(store), SUPERVISOR, 2, 7, NOW)


async def test_a_busy_picker_gets_another_order_only_when_the_supervisor_confirms() -> None:
    store = storage(order(1, status=OrderStatus.PICKING, picker_id=7),
                    order(2, status=OrderStatus.QUEUED))
    with pytest.raises(errors.PickerBusy) as busy:
        await supervision.assign_picker(FakeUnitOfWork(store), SUPERVISOR, 2, 7, NOW)
    assert (busy.value.picker_id, busy.value.name, busy.value.orders) == (7, "Picker", 1)
    assert store.commits == 0 and store.orders[2].status is OrderStatus.QUEUED
    placed = await supervision.assign_picker(FakeUnitOfWork(store), SUPERVISOR, 2, 7, NOW,
                                             busy_confirmed=True)
    assert (placed.status, placed.picker_id) == (OrderStatus.PICKING, 7)
    # The order a picker already holds is not "another": no question, nothing changes.
    again = await supervision.assign_picker(FakeUnitOfWork(store), SUPERVISOR, 1, 7, NOW)
    assert again.picker_id == 7 and len(store.outbox) == 1


async def test_reassigning_hands_the_order_over_with_its_time_running_on() -> None:
    started = NOW - timedelta(minutes=9)
    store = storage(order(1, status=OrderStatus.PICKING, picker_id=7,
                          picking_started_at=started))
    placed = await supervision.assign_picker(FakeUnitOfWork(store), SUPERVISOR, 1, 8, NOW)
    assert (placed.picker_id, placed.picking_started_at) == (8, started)
    assert store.outbox[-1].previous_picker_id == 7  # type: ignore[attr-defined]


async def test_unassign_puts_a_picked_order_back_in_the_queue_only() -> None:
    store = storage(order(1, status=OrderStatus.PICKING, picker_id=7),
                    order(2, status=OrderStatus.QUEUED))
    placed = await supervision.unassign_picker(FakeUnitOfWork(store), SUPERVISOR, 1, NOW)
    assert (placed.status, placed.picker_id) == (OrderStatus.QUEUED, None)
    with pytest.raises(errors.InvalidTransition):
        await supervision.unassign_picker(FakeUnitOfWork(store), SUPERVISOR, 2, NOW)
    assert store.commits == 1


async def test_priority_rises_one_step_up_to_the_top() -> None:
    store = storage(order(1, status=OrderStatus.QUEUED, priority=8))
    placed = await supervision.raise_priority(FakeUnitOfWork(store), SUPERVISOR, 1, NOW)
    assert placed.priority == 9 and store.orders[1].priority == 9
    with pytest.raises(errors.InvalidTransition):
        await supervision.raise_priority(FakeUnitOfWork(store), SUPERVISOR, 1, NOW)
    assert store.orders[1].priority == 9 and store.commits == 1


async def test_a_refused_photo_scan_counts_once_for_the_stores_own_order_only() -> None:
    store = storage(order(1, status=OrderStatus.PICKING, picker_id=7),
                    order(2, store_id=2))
    wrong = errors.UnknownCode(code="4600000000000")
    assert await supervision.record_refused_scan(FakeUnitOfWork(store), PICKER, 1, "460",
                                                 wrong, NOW)
    assert await supervision.record_refused_scan(FakeUnitOfWork(store), PICKER, 2, "460",
                                                 wrong, NOW)  # not this store's order
    assert store.errors == [{"order_id": 1, "code": "460", "kind": "unknown_code"},
                            {"order_id": None, "code": "460", "kind": "unknown_code"}]
    not_a_scan_error = errors.OrderNotFound(order_id=1)
    assert not await supervision.record_refused_scan(FakeUnitOfWork(store), PICKER, 1, "460",
                                                     not_a_scan_error, NOW)
    assert len(store.errors) == 2


async def test_a_failure_to_record_a_refused_scan_never_reaches_the_picker() -> None:
    class Broken(FakeUnitOfWork):
        async def commit(self) -> None:
            raise RuntimeError("disk full")

    store = storage(order(1, status=OrderStatus.PICKING, picker_id=7))
    assert not await supervision.record_refused_scan(
        Broken(store), PICKER, 1, "460", errors.UnknownCode(code="460"), NOW)
    assert store.errors == []


async def test_time_limits_are_saved_then_announced_to_every_process() -> None:
    store = storage()
    heard: list[tuple[int, dict[str, int]]] = []

    async def announce(store_id: int) -> None:  # runs after the commit
        heard.append((store_id, dict(store.floor.time_limits.get(store_id, {}))))

    stop = stores.on_store_changed(announce)
    try:
        typed = {"queued": "15", "picking": "25", "picked": "5", "packed": "45"}
        limits = await supervision.set_time_limits(FakeUnitOfWork(store), SUPERVISOR, typed)
        with pytest.raises(InvalidTimeLimit):
            await supervision.set_time_limits(FakeUnitOfWork(store), SUPERVISOR,
                                              {**typed, "picking": "0"})
    finally:
        stop()
    assert limits == {"queued": 15, "picking": 25, "picked": 5, "packed": 45}
    assert store.floor.time_limits == {1: limits} and store.commits == 1
    assert heard == [(1, limits)]
    async with FakeUnitOfWork(store) as uow:
        assert (await uow.stores.settings(1)).time_limits == limits


# -- a store's cached settings -----------------------------------------------------

class Rows:
    """A ``StoreRows`` that counts its reads."""

    def __init__(self, address: str, name: str = "Test") -> None:
        self.address, self.name, self.reads = address, name, 0

    async def read(self, store_id: int) -> StoreInfo:
        self.reads += 1
        return StoreInfo(id=store_id, code="MSK-001", name=self.name, timezone="UTC",
                         locale="en", currency="RUB", layout=ScaleLayout.parse("2P IIIII WWWWW C"))


async def test_store_settings_are_cached_per_database_until_they_change(
        monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(stores.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(stores, "_cache", {})
    one, other = Rows("sqlite:///one", "One"), Rows("sqlite:///other", "Other")
    assert (await stores.load_store(one, 1)).name == "One"
    assert (await stores.load_store(one, 1)).name == "One"
    assert (await stores.load_store(other, 1)).name == "Other"  # never another database's
    assert (one.reads, other.reads) == (1, 1)
    clock[0] += stores.CACHE_SECONDS  # stale: read again
    await stores.load_store(one, 1)
    assert one.reads == 2
    await stores.store_changed(1)  # forgotten at once, in every database's cache
    await stores.load_store(one, 1)
    await stores.load_store(other, 1)
    assert (one.reads, other.reads) == (3, 2)
    await stores.load_store(one, 2)
    stores.forget_store(1)
    await stores.load_store(one, 2)
    assert one.reads == 4
