"""Runs on both databases: claiming, totes, routing a unit, puts, finishing, leaving."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app import runs_queries
from app.db import tables
from app.db.repo_runs import RunRepository
from app.db.tables_runs import run_orders, tote_puts, totes
from app.db.uow import UnitOfWork
from app.services import picking as picking_service
from app.services import runs as service
from app.staff import StaffUser
from picking import errors
from picking.runs import RunRules, tote_code
from tests.support.shop import KEFIR, MILK, NOW, PIZZA, WATER_UPC, add_order, kefir_unit


def staff(shop: Any, key: str, role: str = "picker") -> StaffUser:
    return StaffUser(id=shop.staff[key], store_id=shop.store_id, store_code="MSK-001",
                     store_name="", personnel_no="", name=key, role=role, language="en")


def fresh(db: Any) -> Any:
    return lambda: UnitOfWork(db)


async def print_totes(db: Any, shop: Any, count: int) -> list[str]:
    return await service.print_totes(UnitOfWork(db), staff(shop, "picker"), count)


async def run_with_totes(db: Any, shop: Any, orders: list[dict[str, int]]) -> tuple[
        int, list[int], dict[tuple[str, str], str]]:
    """A run of these orders (most urgent first) with every tote bound."""
    ids = []
    async with db.writing() as session:
        for minutes, lines in enumerate(orders):
            ids.append(await add_order(session, shop, lines,
                                       due_in=timedelta(minutes=30 + minutes)))
    picker = staff(shop, "picker")
    run_id = await service.take_next_run(UnitOfWork(db), picker, NOW)
    codes = await print_totes(db, shop, 8)
    bound: dict[tuple[str, str], str] = {}
    for code in codes:
        try:
            letter, zone, tote = await service.bind_tote(UnitOfWork(db), picker, run_id, code,
                                                         NOW)
        except errors.ToteTaken:
            break
        bound[(letter, zone)] = tote
    return run_id, ids, bound


async def test_two_pickers_taking_runs_at_once_never_share_an_order(db: Any, shop: Any) -> None:
    async with db.writing() as session:
        for minutes in range(6):
            await add_order(session, shop, {"milk": 1}, due_in=timedelta(minutes=30 + minutes))
    first, second = await asyncio.gather(
        service.take_next_run(UnitOfWork(db), staff(shop, "picker"), NOW),
        service.take_next_run(UnitOfWork(db), staff(shop, "picker2"), NOW))
    assert first != second
    async with db.reading() as session:
        rows = (await session.execute(select(run_orders.c.run_id, run_orders.c.order_id,
                                             tables.orders.c.picker_id).join(
            tables.orders, tables.orders.c.id == run_orders.c.order_id))).all()
    by_run: dict[int, set[int]] = {}
    for run_id, order_id, _picker in rows:
        by_run.setdefault(run_id, set()).add(order_id)
    assert len(by_run[first]) + len(by_run[second]) == 6  # 4 + 2: nobody shares
    assert not by_run[first] & by_run[second]
    owners = {run_id: {p for r, _o, p in rows if r == run_id} for run_id in by_run}
    assert owners == {first: {shop.staff["picker"]}, second: {shop.staff["picker2"]}}


async def test_a_run_holds_compatible_orders_most_urgent_first(db: Any, shop: Any) -> None:
    async with db.writing() as session:
        late = await add_order(session, shop, {"milk": 1}, due_in=timedelta(hours=5))
        urgent = await add_order(session, shop, {"milk": 1}, due_in=timedelta(minutes=20))
        soon = await add_order(session, shop, {"water": 1}, due_in=timedelta(minutes=50))
        await session.execute(tables.orders.update().where(tables.orders.c.id == soon)
                              .values(fulfilment="collect"))
        near = await add_order(session, shop, {"water": 1}, due_in=timedelta(minutes=40))
        await RunRepository(session).save_rules(shop.store_id, RunRules(max_orders=3))
        await session.commit()
    run_id = await service.take_next_run(UnitOfWork(db), staff(shop, "picker"), NOW)
    async with db.reading() as session:
        view = await runs_queries.load_run(session, run_id, shop.store_id)
    assert view is not None
    # collect does not mix with delivery by default; 5 hours is outside the window
    assert [(ro.letter, ro.order.id) for ro in view.orders] == [("A", urgent), ("B", near)]
    assert late not in [ro.order.id for ro in view.orders]


async def test_totes_bind_per_order_and_zone_and_bad_labels_are_refused(
        db: Any, shop: Any) -> None:
    run_id, _ids, bound = await run_with_totes(db, shop, [{"milk": 1, "water": 1},
                                                         {"pizza": 1}])
    assert set(bound) == {("A", "ambient"), ("A", "chilled"), ("B", "frozen")}
    picker = staff(shop, "picker")
    with pytest.raises(errors.ToteUnknown):  # well formed, never printed
        await service.bind_tote(UnitOfWork(db), picker, run_id, tote_code("MSK-001", 999), NOW)
    damaged = tote_code("MSK-001", 1)[:-1] + str((int(tote_code("MSK-001", 1)[-1]) + 1) % 10)
    with pytest.raises(errors.ToteDamaged):
        await service.bind_tote(UnitOfWork(db), picker, run_id, damaged, NOW)
    with pytest.raises(errors.ToteOfAnotherStore):
        await service.bind_tote(UnitOfWork(db), picker, run_id, tote_code("SPB-002", 1), NOW)
    with pytest.raises(errors.ToteUnknown):
        await service.bind_tote(UnitOfWork(db), picker, run_id, "hello", NOW)


async def test_a_tote_of_another_order_is_refused_and_two_pickers_cannot_bind_one_tote(
        db: Any, shop: Any) -> None:
    async with db.writing() as session:
        await add_order(session, shop, {"milk": 1}, due_in=timedelta(minutes=30))
        await add_order(session, shop, {"milk": 1}, due_in=timedelta(minutes=31))
        await RunRepository(session).save_rules(shop.store_id, RunRules(
            max_orders=1, own_tote_prefix="KRT"))
        await session.commit()
    one, two = staff(shop, "picker"), staff(shop, "picker2")
    run_one = await service.take_next_run(UnitOfWork(db), one, NOW)
    run_two = await service.take_next_run(UnitOfWork(db), two, NOW)
    results = await asyncio.gather(
        service.bind_tote(UnitOfWork(db), one, run_one, "KRT0042", NOW),
        service.bind_tote(UnitOfWork(db), two, run_two, "krt0042", NOW),
        return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["ToteTaken", "tuple"]
    async with db.reading() as session:
        owners = list(await session.scalars(select(totes.c.order_id)))
    assert len(owners) == 1 and owners[0] is not None


async def test_a_unit_goes_to_the_most_urgent_order_and_into_its_tote_only(
        db: Any, shop: Any) -> None:
    run_id, (a, b), bound = await run_with_totes(db, shop, [{"milk": 1}, {"milk": 2}])
    picker = staff(shop, "picker")
    first = await service.scan_in_run(fresh(db), picker, run_id, MILK, scan_id="s-0001",
                                      now=NOW)
    assert (first.outcome.order_id, first.letter, first.zone) == (a, "A", "chilled")
    assert first.tote == bound[("A", "chilled")]
    with pytest.raises(errors.PutFirst):  # the unit in hand goes into its tote first
        await service.scan_in_run(fresh(db), picker, run_id, MILK, scan_id="s-0002", now=NOW)
    with pytest.raises(errors.WrongTote):
        await service.put_to_tote(UnitOfWork(db), picker, run_id, bound[("B", "chilled")],
                                  put_id="p-0001", now=NOW)
    with pytest.raises(errors.WrongTote):  # a replay of the refused put: the same answer
        await service.put_to_tote(UnitOfWork(db), picker, run_id, bound[("B", "chilled")],
                                  put_id="p-0001", now=NOW)
    put = await service.put_to_tote(UnitOfWork(db), picker, run_id, bound[("A", "chilled")],
                                    put_id="p-0002", now=NOW)
    assert (put.letter, put.tote, put.repeated) == ("A", bound[("A", "chilled")], False)
    again = await service.put_to_tote(UnitOfWork(db), picker, run_id, bound[("A", "chilled")],
                                      put_id="p-0002", now=NOW)
    assert again.repeated
    second = await service.scan_in_run(fresh(db), picker, run_id, MILK, scan_id="s-0003",
                                       now=NOW)
    assert second.outcome.order_id == b  # A has its one milk: B gets the next
    replay = await service.scan_in_run(fresh(db), picker, run_id, MILK, scan_id="s-0003",
                                       now=NOW)
    assert replay.outcome.repeated and replay.outcome.order_id == b
    await service.put_to_tote(UnitOfWork(db), picker, run_id, bound[("B", "chilled")],
                              put_id="p-0003", now=NOW)
    with pytest.raises(errors.NoItemToPut):  # nothing in hand any more
        await service.put_to_tote(UnitOfWork(db), picker, run_id, bound[("B", "chilled")],
                                  put_id="p-0004", now=NOW)
    async with db.reading() as session:
        puts = (await session.execute(select(tote_puts.c.order_id, tote_puts.c.item_scan_id)
                                      .order_by(tote_puts.c.at))).all()
    assert sorted(puts) == sorted([(a, "s-0001"), (b, "s-0003")])


async def test_bad_input_in_a_run_is_refused_and_nothing_is_counted(db: Any, shop: Any) -> None:
    run_id, (a,), bound = await run_with_totes(db, shop, [{"milk": 1}])
    picker = staff(shop, "picker")
    with pytest.raises(errors.NoItemToPut):  # a put without an item scan before it
        await service.put_to_tote(UnitOfWork(db), picker, run_id, bound[("A", "chilled")],
                                  put_id="p-0100", now=NOW)
    with pytest.raises(errors.NotNeededInRun):
        await service.scan_in_run(fresh(db), picker, run_id, PIZZA, scan_id="s-0100", now=NOW)
    with pytest.raises(errors.UnknownCode):
        await service.scan_in_run(fresh(db), picker, run_id, "4600000000008", scan_id="s-0101",
                                  now=NOW)
    with pytest.raises(errors.RunNotFound):  # another picker's run
        await service.scan_in_run(fresh(db), staff(shop, "picker2"), run_id, MILK,
                                  scan_id="s-0102", now=NOW)
    async with db.reading() as session:
        picked = await session.scalar(select(tables.order_lines.c.picked_quantity)
                                      .where(tables.order_lines.c.order_id == a))
    assert picked == 0


async def test_scanning_before_every_tote_is_bound_is_refused(db: Any, shop: Any) -> None:
    async with db.writing() as session:
        await add_order(session, shop, {"milk": 1, "water": 1})
    picker = staff(shop, "picker")
    run_id = await service.take_next_run(UnitOfWork(db), picker, NOW)
    with pytest.raises(errors.TotesNotBound):
        await service.scan_in_run(fresh(db), picker, run_id, WATER_UPC, scan_id="s-0200",
                                  now=NOW)


async def test_each_order_finishes_on_its_own_and_a_cancelled_one_flags_its_totes(
        db: Any, shop: Any) -> None:
    run_id, (a, b), bound = await run_with_totes(db, shop, [{"milk": 1}, {"kefir": 1}])
    picker = staff(shop, "picker")
    await service.scan_in_run(fresh(db), picker, run_id, MILK, scan_id="s-0300", now=NOW)
    with pytest.raises(errors.PutsPending):
        await service.finish_in_run(fresh(db), picker, run_id, a, NOW)
    await service.put_to_tote(UnitOfWork(db), picker, run_id, bound[("A", "chilled")],
                              put_id="p-0300", now=NOW)
    assert await service.finish_in_run(fresh(db), picker, run_id, a, NOW) is False
    # the OMS cancels B: only B; its tote waits to be emptied back onto the shelf
    uow = UnitOfWork(db)
    async with uow:
        order = await uow.orders.get(b)
        assert order is not None
        order.cancel(reason="customer", now=NOW)
        await uow.commit()
    async with db.reading() as session:
        view = await runs_queries.load_run(session, run_id, shop.store_id)
        status_a = await session.scalar(select(tables.orders.c.status)
                                        .where(tables.orders.c.id == a))
    assert view is not None and status_a == "picked"
    assert [(t["letter"], t["code"]) for t in view.flagged] == [("B", bound[("B", "chilled")])]
    assert view.active_orders == []


async def test_signing_out_mid_run_returns_the_orders_with_their_totes(
        db: Any, shop: Any) -> None:
    run_id, (a, b), bound = await run_with_totes(db, shop, [{"milk": 2}, {"water": 1}])
    picker = staff(shop, "picker")
    await service.scan_in_run(fresh(db), picker, run_id, MILK, scan_id="s-0400", now=NOW)
    await service.put_to_tote(UnitOfWork(db), picker, run_id, bound[("A", "chilled")],
                              put_id="p-0400", now=NOW)
    back = await service.release_runs(UnitOfWork(db), picker.id, shop.store_id, NOW)
    assert back == 2
    async with db.reading() as session:
        statuses = dict((await session.execute(select(tables.orders.c.id, tables.orders.c.status)
                                               )).all())
        kept = (await session.execute(select(totes.c.code, totes.c.order_id)
                                      .where(totes.c.order_id == a))).all()
        put = await session.scalar(select(tote_puts.c.quantity))
    assert statuses[a] == statuses[b] == "queued"
    assert kept == [(bound[("A", "chilled")], a)] and put == 1
    # the next picker's run gets the order with the tote already bound
    other = staff(shop, "picker2")
    new_run = await service.take_next_run(UnitOfWork(db), other, NOW)
    async with db.reading() as session:
        view = await runs_queries.load_run(session, new_run, shop.store_id)
    assert view is not None and view.totes[(a, "chilled")] == bound[("A", "chilled")]


async def test_a_marked_unit_in_a_run_follows_the_single_order_rules(db: Any, shop: Any) -> None:
    run_id, (_a, _b), bound = await run_with_totes(db, shop, [{"kefir": 1}, {"kefir": 1}])
    picker = staff(shop, "picker")
    with pytest.raises(errors.MarkingCodeRequired):  # the plain EAN is not enough
        await service.scan_in_run(fresh(db), picker, run_id, KEFIR, scan_id="s-0500", now=NOW)
    await service.scan_in_run(fresh(db), picker, run_id, kefir_unit("U1"), scan_id="s-0501",
                              now=NOW)
    await service.put_to_tote(UnitOfWork(db), picker, run_id, bound[("A", "chilled")],
                              put_id="p-0501", now=NOW)
    with pytest.raises(errors.DuplicateMarkingCode):
        await service.scan_in_run(fresh(db), picker, run_id, kefir_unit("U1"),
                                  scan_id="s-0502", now=NOW)


async def test_a_supervisor_builds_and_changes_a_run_by_hand(db: Any, shop: Any) -> None:
    async with db.writing() as session:
        a = await add_order(session, shop, {"milk": 1})
        b = await add_order(session, shop, {"water": 1})
    boss = staff(shop, "supervisor", "supervisor")
    run_id = await service.build_run(UnitOfWork(db), boss, shop.staff["picker"], [a, b], NOW)
    await service.remove_from_run(UnitOfWork(db), boss, run_id, b, NOW)
    async with db.reading() as session:
        view = await runs_queries.load_run(session, run_id, shop.store_id)
    assert view is not None
    assert [ro.order.id for ro in view.active_orders] == [a]
    assert await service.take_next_run(UnitOfWork(db), staff(shop, "picker"), NOW) == run_id


async def test_an_order_the_supervisor_gives_to_another_picker_leaves_the_run(
        db: Any, shop: Any) -> None:
    run_id, (a, b), _bound = await run_with_totes(db, shop, [{"milk": 1}, {"water": 1}])
    boss = staff(shop, "supervisor", "supervisor")
    uow = UnitOfWork(db)
    async with uow:
        order = await uow.orders.get(b)
        assert order is not None
        order.assign_picker(shop.staff["picker2"], now=NOW, actor_id=boss.id)
        await uow.commit()
    async with db.reading() as session:
        view = await runs_queries.load_run(session, run_id, shop.store_id)
    assert view is not None and [ro.order.id for ro in view.active_orders] == [a]
    with pytest.raises(errors.NotNeededInRun):  # B's water is not this run's any more
        await service.scan_in_run(fresh(db), staff(shop, "picker"), run_id, WATER_UPC,
                                  scan_id="s-0600", now=NOW)


async def test_a_revision_of_one_order_changes_only_that_order_of_the_run(
        db: Any, shop: Any) -> None:
    from picking.lifecycle import RevisedLine

    run_id, (a, b), bound = await run_with_totes(db, shop, [{"milk": 1}, {"water": 1}])
    uow = UnitOfWork(db)
    async with uow:
        order = await uow.orders.get(b)
        water = await uow.catalog.by_sku(shop.store_id, "water")
        pizza = await uow.catalog.by_sku(shop.store_id, "pizza")
        assert order is not None and water is not None and pizza is not None
        order.revise(2, [RevisedLine(water, 2, water.price_minor, "best_match", None),
                         RevisedLine(pizza, 1, pizza.price_minor, "best_match", None)], now=NOW)
        await uow.commit()
    async with db.reading() as session:
        view = await runs_queries.load_run(session, run_id, shop.store_id)
    assert view is not None
    assert [(ro.letter, zone) for ro, zone in view.unbound()] == [("B", "frozen")]
    assert view.totes[(a, "chilled")] == bound[("A", "chilled")]
    picker = staff(shop, "picker")
    with pytest.raises(errors.TotesNotBound):  # B's new frozen line needs its tote first
        await service.scan_in_run(fresh(db), picker, run_id, MILK, scan_id="s-0700", now=NOW)
    codes = await print_totes(db, shop, 1)
    assert (await service.bind_tote(UnitOfWork(db), picker, run_id, codes[0], NOW))[:2] == (
        "B", "frozen")
    found = await service.scan_in_run(fresh(db), picker, run_id, MILK, scan_id="s-0701", now=NOW)
    assert found.outcome.order_id == a


async def test_two_pickers_binding_one_printed_tote_at_once_one_is_refused(
        db: Any, shop: Any) -> None:
    async with db.writing() as session:
        await add_order(session, shop, {"milk": 1}, due_in=timedelta(minutes=30))
        await add_order(session, shop, {"milk": 1}, due_in=timedelta(minutes=31))
        await RunRepository(session).save_rules(shop.store_id, RunRules(max_orders=1))
        await session.commit()
    (code,) = await print_totes(db, shop, 1)
    one, two = staff(shop, "picker"), staff(shop, "picker2")
    run_one = await service.take_next_run(UnitOfWork(db), one, NOW)
    run_two = await service.take_next_run(UnitOfWork(db), two, NOW)
    results = await asyncio.gather(
        service.bind_tote(UnitOfWork(db), one, run_one, code, NOW),
        service.bind_tote(UnitOfWork(db), two, run_two, code, NOW),
        return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["ToteTaken", "tuple"]


async def test_a_picker_with_a_single_order_gets_it_as_a_run_of_one(db: Any, shop: Any) -> None:
    async with db.writing() as session:
        first = await add_order(session, shop, {"milk": 1}, due_in=timedelta(minutes=30))
        await add_order(session, shop, {"milk": 1}, due_in=timedelta(minutes=31))
    picker = staff(shop, "picker")
    assert await picking_service.take_next_order(UnitOfWork(db), picker, NOW) == first
    run_id = await service.take_next_run(UnitOfWork(db), picker, NOW)
    async with db.reading() as session:
        view = await runs_queries.load_run(session, run_id, shop.store_id)
    assert view is not None and [(ro.letter, ro.order.id) for ro in view.orders] == [("A", first)]
