"""The runs services' rules through the in-memory unit of work (no database): taking
and building runs, binding totes, routing a unit to an order, putting it into its tote,
finishing and leaving. Milliseconds per test; the SQL repositories are proven by
tests/integration/test_runs*.py on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.services import runs as service
from app.staff import StaffUser
from picking import errors
from picking.gtin import complete
from picking.model import Line, Order, OrderStatus, Product
from picking.runs import RunRules, tote_code
from tests.support.fakes import FakeUnitOfWork, Storage

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
MILK, WATER, PIZZA = complete("460123456789"), complete("460111222333"), complete("460555666777")
PICKER = StaffUser(id=7, store_id=1, store_code="MSK-001", store_name="Test",
                   personnel_no="1001", name="Anna", role="picker", language="en")
OTHER = StaffUser(id=8, store_id=1, store_code="MSK-001", store_name="Test",
                  personnel_no="1002", name="Boris", role="picker", language="en")
BOSS = StaffUser(id=9, store_id=1, store_code="MSK-001", store_name="Test",
                 personnel_no="1003", name="Vera", role="supervisor", language="en")
PRODUCTS = {
    "milk": Product(store_id=1, sku="milk", name_ru="Молоко", name_en="Milk", unit="piece",
                    price_minor=9990, zone="chilled", id=1),
    "water": Product(store_id=1, sku="water", name_ru="Вода", name_en="Water", unit="piece",
                     price_minor=4990, zone="ambient", id=2),
    "pizza": Product(store_id=1, sku="pizza", name_ru="Пицца", name_en="Pizza",
                     unit="piece", price_minor=29990, zone="frozen", id=3),
}
T = [tote_code("MSK-001", n) for n in range(1, 9)]


def shop(*orders: dict[str, int], due_minutes: int = 30) -> Storage:
    """Queued orders 101, 102, ... (the first the most urgent) of these products."""
    store = Storage(products={MILK.zfill(14): PRODUCTS["milk"],
                              WATER.zfill(14): PRODUCTS["water"],
                              PIZZA.zfill(14): PRODUCTS["pizza"]})
    line_id = 1000
    for n, wanted in enumerate(orders):
        lines = []
        for sku, quantity in wanted.items():
            line_id += 1
            lines.append(Line(product=PRODUCTS[sku], quantity=quantity, unit_price_minor=1,
                              id=line_id))
        store.orders[101 + n] = Order(store_id=1, store_code="MSK-001", oms_id=f"E-{n}",
                                      due_at=NOW + timedelta(minutes=due_minutes + n),
                                      id=101 + n, lines=lines)
    store.runs.staff = {7: (1, "picker", "Anna"), 8: (1, "picker", "Boris"),
                        9: (1, "supervisor", "Vera"), 20: (2, "picker", "Gleb")}
    return store


def uow(store: Storage) -> FakeUnitOfWork:
    return FakeUnitOfWork(store)


async def reading(store: Storage) -> FakeUnitOfWork:
    """A screen's read (``app.runs_queries.reader`` on a reading session): a unit of
    work entered and never committed."""
    read = FakeUnitOfWork(store)
    await read.__aenter__()
    return read


async def run_with_totes(store: Storage) -> int:
    """The picker's run with every tote bound (printed labels T[0], T[1], ...)."""
    run_id = await service.take_next_run(uow(store), PICKER, NOW)
    await service.print_totes(uow(store), PICKER, 8)
    for code in T:
        try:
            await service.bind_tote(uow(store), PICKER, run_id, code, NOW)
        except errors.ToteTaken:
            break
    return run_id


async def scan(store: Storage, run_id: int, code: str, scan_id: str) -> service.RunScan:
    return await service.scan_in_run(lambda: uow(store), PICKER, run_id, code,
                                     scan_id=scan_id, now=NOW)


async def put(store: Storage, run_id: int, code: str, put_id: str) -> service.Put:
    return await service.put_to_tote(uow(store), PICKER, run_id, code, put_id=put_id, now=NOW)


async def view(store: Storage, run_id: int) -> service.RunView:
    found = await service.load_run(await reading(store), run_id, 1)
    assert found is not None
    return found


# -- taking a run ----------------------------------------------------------------------

async def test_a_run_takes_the_most_urgent_compatible_orders_and_starts_them() -> None:
    store = shop({"milk": 1}, {"water": 1}, {"pizza": 1}, {"milk": 1})
    store.orders[103].fulfilment = "collect"  # does not mix with delivery by default
    store.runs.rules[1] = RunRules(max_orders=2)
    run_id = await service.take_next_run(uow(store), PICKER, NOW)
    run = await view(store, run_id)
    assert [(ro.letter, ro.order.id) for ro in run.orders] == [("A", 101), ("B", 102)]
    assert all(store.orders[i].status is OrderStatus.PICKING
               and store.orders[i].picker_id == PICKER.id for i in (101, 102))
    assert store.orders[103].status is OrderStatus.QUEUED
    assert await service.take_next_run(uow(store), PICKER, NOW) == run_id  # the same run


async def test_orders_another_picker_holds_are_skipped_and_the_choice_made_again() -> None:
    store = shop({"milk": 1}, {"milk": 1}, {"milk": 1})
    store.runs.rules[1] = RunRules(max_orders=2)
    store.runs.held_elsewhere = {101, 102}
    run_id = await service.take_next_run(uow(store), PICKER, NOW)
    assert [ro.order.id for ro in (await view(store, run_id)).orders] == [103]
    assert store.orders[101].picker_id is None


async def test_no_queued_order_is_refused_and_nothing_is_written() -> None:
    store = shop()
    with pytest.raises(errors.NoOrderWaiting):
        await service.take_next_run(uow(store), PICKER, NOW)
    assert store.commits == 0 and store.runs.runs == {}


async def test_a_picker_already_on_a_single_order_gets_it_as_a_run_of_one() -> None:
    store = shop({"milk": 1}, {"water": 1})
    store.orders[102].start_picking(PICKER.id, NOW)
    run_id = await service.take_next_run(uow(store), PICKER, NOW)
    assert [(ro.letter, ro.order.id) for ro in (await view(store, run_id)).orders] == \
        [("A", 102)]
    assert store.orders[101].status is OrderStatus.QUEUED


# -- totes -----------------------------------------------------------------------------

async def test_totes_bind_per_order_and_zone_in_letter_order_then_none_is_free() -> None:
    store = shop({"water": 1, "milk": 1}, {"pizza": 1})
    run_id = await service.take_next_run(uow(store), PICKER, NOW)
    await service.print_totes(uow(store), PICKER, 4)
    assert [await service.bind_tote(uow(store), PICKER, run_id, code, NOW)
            for code in T[:3]] == [("A", "ambient", T[0]), ("A", "chilled", T[1]),
                                   ("B", "frozen", T[2])]
    # scanned twice: the same answer, nothing changes
    assert await service.bind_tote(uow(store), PICKER, run_id, T[1], NOW) == \
        ("A", "chilled", T[1])
    with pytest.raises(errors.ToteTaken):  # every slot has its tote
        await service.bind_tote(uow(store), PICKER, run_id, T[3], NOW)
    with pytest.raises(errors.ToteUnknown):  # well formed, never printed
        await service.bind_tote(uow(store), PICKER, run_id, tote_code("MSK-001", 99), NOW)


async def test_a_tote_holding_another_orders_goods_is_refused() -> None:
    store = shop({"milk": 1}, {"milk": 1})
    store.runs.rules[1] = RunRules(max_orders=1)
    first = await run_with_totes(store)
    second = await service.take_next_run(uow(store), OTHER, NOW)
    with pytest.raises(errors.ToteTaken):
        await service.bind_tote(uow(store), OTHER, second, T[0], NOW)
    # cancelled, its tote still holds goods until it is emptied back onto the shelf
    store.orders[101].cancel(reason="customer", now=NOW)
    flagged = (await view(store, first)).flagged
    assert [(f["code"], f["letter"]) for f in flagged] == [(T[0], "A")]
    with pytest.raises(errors.ToteTaken):
        await service.bind_tote(uow(store), OTHER, second, T[0], NOW)
    await service.tote_emptied(uow(store), BOSS, flagged[0]["id"], NOW)
    assert await service.bind_tote(uow(store), OTHER, second, T[0], NOW) == \
        ("A", "chilled", T[0])


async def test_an_own_tote_is_added_on_first_scan_unless_another_picker_got_it_first() -> None:
    store = shop({"milk": 1}, {"water": 1})
    store.runs.rules[1] = RunRules(own_tote_prefix="KRT")
    run_id = await service.take_next_run(uow(store), PICKER, NOW)
    assert await service.bind_tote(uow(store), PICKER, run_id, "krt0042", NOW) == \
        ("A", "chilled", "KRT0042")
    store.runs.racing = {"KRT0043"}
    with pytest.raises(errors.ToteTaken) as taken:
        await service.bind_tote(uow(store), PICKER, run_id, " krt0043", NOW)
    assert taken.value.params["tote"] == "KRT0043"
    assert [t.code for t in store.runs.totes.values()] == ["KRT0042"]


async def test_printed_labels_number_on_from_the_last_and_tote_labels_are_told_apart() -> None:
    store = shop()
    assert await service.print_totes(uow(store), PICKER, 2) == T[:2]
    assert await service.print_totes(uow(store), PICKER, 1) == [T[2]]
    store.runs.rules[1] = RunRules(own_tote_prefix="KRT")
    assert await service.is_tote_label(await reading(store), 1, T[0].lower())
    assert await service.is_tote_label(await reading(store), 1, "krt0001")
    assert not await service.is_tote_label(await reading(store), 1, MILK)
    # another store has no such rule
    assert not await service.is_tote_label(await reading(store), 2, "KRT0001")


# -- scanning and putting --------------------------------------------------------------

async def test_a_unit_goes_to_the_most_urgent_order_needing_it_then_into_its_tote() -> None:
    store = shop({"milk": 1}, {"milk": 2, "water": 1})
    run_id = await run_with_totes(store)
    first = await scan(store, run_id, MILK, "s1")
    assert (first.outcome.order_id, first.letter, first.zone, first.tote) == \
        (101, "A", "chilled", T[0])
    with pytest.raises(errors.PutFirst):  # the unit in hand goes into its tote first
        await scan(store, run_id, MILK, "s2")
    assert store.refused["s2"].order_id is None
    assert (await put(store, run_id, T[0], "p1")).letter == "A"
    second = await scan(store, run_id, MILK, "s3")  # order A has its milk: B gets it
    assert (second.outcome.order_id, second.letter) == (102, "B")
    assert store.orders[101].lines[0].picked_quantity == 1
    assert store.orders[102].lines[0].picked_quantity == 1


async def test_a_run_scan_waits_for_every_tote_and_its_refusal_is_answered_again() -> None:
    store = shop({"milk": 1}, {"pizza": 1})
    run_id = await service.take_next_run(uow(store), PICKER, NOW)
    with pytest.raises(errors.TotesNotBound) as refused:
        await scan(store, run_id, MILK, "s1")
    assert (refused.value.params["letter"], refused.value.params["zone"]) == ("A", "chilled")
    await run_with_totes(store)
    with pytest.raises(errors.TotesNotBound):  # a replay gets its first answer
        await scan(store, run_id, MILK, "s1")
    with pytest.raises(errors.ScanIdReused):
        await scan(store, run_id, PIZZA, "s1")
    assert all(ln.picked_quantity == 0 for o in store.orders.values() for ln in o.lines)


async def test_a_unit_no_order_of_the_run_needs_is_refused() -> None:
    store = shop({"milk": 1})
    run_id = await run_with_totes(store)
    with pytest.raises(errors.NotNeededInRun):
        await scan(store, run_id, WATER, "s1")
    assert store.refused["s1"].error == "NotNeededInRun"


async def test_a_repeated_run_scan_keeps_its_order_and_counts_once() -> None:
    store = shop({"milk": 2}, {"milk": 2})
    run_id = await run_with_totes(store)
    await scan(store, run_id, MILK, "s1")
    again = await scan(store, run_id, MILK, "s1")
    assert again.outcome.repeated and again.outcome.order_id == 101
    assert store.orders[101].lines[0].picked_quantity == 1


async def test_an_unreadable_code_is_refused_by_the_scan_use_case_on_the_first_order() -> None:
    store = shop({"milk": 1}, {"water": 1})
    run_id = await run_with_totes(store)
    with pytest.raises(errors.BadCode):
        await scan(store, run_id, "4601234567890", "bad")  # wrong check digit
    assert store.refused["bad"].order_id == 101


async def test_a_put_goes_into_its_own_tote_once_per_put_id() -> None:
    store = shop({"milk": 1, "water": 1})
    run_id = await run_with_totes(store)
    with pytest.raises(errors.NoItemToPut):
        await put(store, run_id, T[0], "p0")
    await scan(store, run_id, MILK, "s1")
    with pytest.raises(errors.WrongTote) as wrong:  # T[0] is the ambient tote
        await put(store, run_id, T[0], "p1")
    assert wrong.value.params["expected"] == T[1] and store.refused["p1"].order_id == 101
    with pytest.raises(errors.WrongTote):  # answered again
        await put(store, run_id, T[0], "p1")
    with pytest.raises(errors.ScanIdReused):
        await put(store, run_id, T[1], "p1")
    done = await put(store, run_id, T[1], "p2")
    assert (done.letter, done.zone, done.tote, done.product.sku, done.repeated) == \
        ("A", "chilled", T[1], "milk", False)
    assert (await put(store, run_id, T[1], "p2")).repeated
    assert len(store.runs.puts) == 1 and (await view(store, run_id)).pending == []


# -- finishing, leaving ----------------------------------------------------------------

async def test_orders_finish_one_by_one_after_their_puts_and_the_last_closes_the_run() -> None:
    store = shop({"milk": 1}, {"water": 1})
    run_id = await run_with_totes(store)
    await scan(store, run_id, MILK, "s1")
    assert await service.waiting_puts(await reading(store), 101) == 1
    with pytest.raises(errors.PutsPending):
        await service.finish_in_run(lambda: uow(store), PICKER, run_id, 101, NOW)
    await put(store, run_id, T[0], "p1")
    assert await service.waiting_puts(await reading(store), 101) == 0
    assert not await service.finish_in_run(lambda: uow(store), PICKER, run_id, 101, NOW)
    assert store.orders[101].status is OrderStatus.PICKED
    with pytest.raises(errors.RunNotFound):  # finished: no longer an order of the run
        await service.finish_in_run(lambda: uow(store), PICKER, run_id, 101, NOW)
    await scan(store, run_id, WATER, "s2")
    await put(store, run_id, T[1], "p2")
    assert await service.finish_in_run(lambda: uow(store), PICKER, run_id, 102, NOW)
    assert store.runs.runs[run_id].status == "closed"
    with pytest.raises(errors.RunNotFound):
        await scan(store, run_id, WATER, "s3")


async def test_signing_out_sends_the_run_orders_back_to_the_queue() -> None:
    store = shop({"milk": 1}, {"water": 1})
    run_id = await run_with_totes(store)
    assert await service.release_runs(uow(store), PICKER.id, 1, NOW) == 2
    assert all(o.status is OrderStatus.QUEUED and o.picker_id is None
               for o in store.orders.values())
    assert store.runs.runs[run_id].status == "closed"
    assert {m.left_reason for m in store.runs.members} == {"released"}
    assert await service.waiting_puts(await reading(store), 101) == 0  # in no active run
    # another picker's run keeps the totes bound with what was put in them
    other = await service.take_next_run(uow(store), OTHER, NOW)
    assert (await view(store, other)).totes[(101, "chilled")] == T[0]


# -- the supervisor --------------------------------------------------------------------

async def test_a_supervisor_builds_a_run_adds_to_it_and_takes_an_order_out() -> None:
    store = shop({"milk": 1}, {"water": 1}, {"pizza": 1})
    with pytest.raises(errors.OrderNotFound):  # a picker of another store
        await service.build_run(uow(store), BOSS, 20, [101], NOW)
    with pytest.raises(errors.OrderNotFound):  # not a picker
        await service.build_run(uow(store), BOSS, BOSS.id, [101], NOW)
    run_id = await service.build_run(uow(store), BOSS, PICKER.id, [102, 101], NOW)
    assert await service.build_run(uow(store), BOSS, PICKER.id, [103], NOW) == run_id
    run = await view(store, run_id)
    assert [(ro.letter, ro.order.id) for ro in run.orders] == [("A", 102), ("B", 101),
                                                               ("C", 103)]
    assert store.runs.runs[run_id].built_by == BOSS.id
    board = await service.active_runs(await reading(store), 1)
    assert [(r["picker"], r["by_hand"], len(r["orders"])) for r in board] == [("Anna", True, 3)]
    with pytest.raises(errors.RunNotFound):
        await service.remove_from_run(uow(store), BOSS, run_id + 1, 101, NOW)
    await service.remove_from_run(uow(store), BOSS, run_id, 101, NOW)
    assert store.orders[101].status is OrderStatus.QUEUED
    assert [ro.order.id for ro in (await view(store, run_id)).active_orders] == [102, 103]
    for order_id in (102, 103):
        await service.remove_from_run(uow(store), BOSS, run_id, order_id, NOW)
    assert store.runs.runs[run_id].status == "closed"  # nothing left in it


async def test_a_run_holds_at_most_eight_orders() -> None:
    store = shop(*[{"milk": 1}] * 9)
    run_id = await service.build_run(uow(store), BOSS, PICKER.id, list(range(101, 109)), NOW)
    with pytest.raises(errors.InvalidQuantity):
        await service.build_run(uow(store), BOSS, PICKER.id, [109], NOW)
    assert len((await view(store, run_id)).orders) == 8
    assert store.orders[109].status is OrderStatus.QUEUED  # nothing of the refusal kept


async def test_an_order_given_to_a_new_run_leaves_its_old_one() -> None:
    store = shop({"milk": 1}, {"water": 1})
    first = await service.build_run(uow(store), BOSS, PICKER.id, [101, 102], NOW)
    second = await service.build_run(uow(store), BOSS, OTHER.id, [102], NOW)
    assert [ro.order.id for ro in (await view(store, first)).active_orders] == [101]
    assert [ro.order.id for ro in (await view(store, second)).active_orders] == [102]
    assert [(m.run_id, m.left_reason) for m in store.runs.members if m.order_id == 102] == \
        [(first, "removed"), (second, None)]


async def test_run_settings_are_kept_per_store() -> None:
    store = shop()
    await service.save_rules(uow(store), BOSS, RunRules(max_orders=3, own_tote_prefix="KRT"))
    assert (await service.rules_for(await reading(store), 1)).max_orders == 3
    assert await service.rules_for(await reading(store), 2) == RunRules()


async def test_an_order_back_in_the_queue_leaves_its_old_run_when_taken_again() -> None:
    store = shop({"milk": 1}, {"water": 1})
    first = await service.take_next_run(uow(store), PICKER, NOW)
    store.orders[102].unassign_picker(now=NOW, actor_id=BOSS.id)  # from the board
    second = await service.take_next_run(uow(store), OTHER, NOW)
    assert [(m.run_id, m.order_id, m.left_reason) for m in store.runs.members] == \
        [(first, 101, None), (first, 102, "released"), (second, 102, None)]
