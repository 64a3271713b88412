"""The picker sees their own pace, and nobody else's; the board shows found and
first-time-pick rates per picker. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import insert

from app.db.repo_floor import PickupRepository
from app.db.tables_substitutions import substitution_proposals
from app.db.uow import UnitOfWork
from app.services import picking as picking_service
from app.services.arrival import PickupSettings
from tests.integration.test_substitution_http import line_of
from tests.support.handover import picked_order, staff_user
from tests.support.people import Person
from tests.support.shop import BREAD, NOW, WATER_UPC, add_order


def _field(html: str, name: str) -> str:
    found = re.search(rf'{name}(?:="[^"]*")?>([^<]*)<', html)
    return found.group(1).strip() if found else ""


async def test_a_picker_sees_their_own_rate_with_customer_waits_left_out(
        db: Any, shop: Any, client: Any, picker: Person) -> None:
    async with db.writing() as session:
        await PickupRepository(session).save_settings(
            shop.store_id, PickupSettings(pace_target_per_hour=20))
        await session.commit()
    # 6 items from NOW-20 min to NOW-5 min (tests/support/handover.picked_order)
    order_id = await picked_order(db, shop, {"water": 3, "bread": 2, "milk": 1})
    async with db.writing() as session:  # they waited 3 minutes for a customer's answer
        line = await line_of(db, order_id, "bread")
        await session.execute(insert(substitution_proposals).values(
            ref="wait-1", order_id=order_id, line_id=line, product_id=shop.products["bread"],
            quantity=1, unit_price_minor=1, original_unit_price_minor=1, code=BREAD,
            staff_id=shop.staff["picker"], proposed_at=NOW - timedelta(minutes=12),
            decided_at=NOW - timedelta(minutes=9), status="rejected"))
        await session.commit()
    mine = await picker.get("/pace/", headers={"HX-Request": "true"})
    assert mine.status_code == 200 and mine.headers["cache-control"] == "no-store"
    assert _field(mine.text, "data-pace-rate") == "24,0"  # 6 items / 15 min (the floor)
    assert "3\u00a0min waiting for customers is not counted." in mine.text
    assert "target 20" in mine.text and "Only you see this." in mine.text

    other = Person(client, "picker2")
    await other.sign_in()
    theirs = await other.get("/pace/", headers={"HX-Request": "true"})
    assert _field(theirs.text, "data-pace-rate") == "0,0" and 'data-pace="early"' in theirs.text


async def test_the_order_in_hand_shows_its_time_left(db: Any, shop: Any, client: Any,
                                                       picker: Person, clock: Any) -> None:
    async with db.writing() as session:
        await add_order(session, shop, {"water": 2, "bread": 1}, oms_id="P-1",
                        now=NOW - timedelta(minutes=30))
    order_id = await picker.take_next()
    await picker.scan(order_id, WATER_UPC)
    page = (await picker.get("/pace/", headers={"HX-Request": "true"})).text
    assert "data-pace-order" in page and "2 items left" in page
    assert re.search(r"Order (due in|overdue by) \d+\u00a0min", page)
    assert 'data-on-time="' in page  # due ahead: on time or at risk, by the estimate


async def test_an_order_already_late_is_not_called_at_risk(
        db: Any, shop: Any, client: Any, picker: Person) -> None:
    async with db.writing() as session:
        await add_order(session, shop, {"water": 2}, oms_id="P-LATE", due_in=-timedelta(hours=2))
    await picker.take_next()
    page = (await picker.get("/pace/", headers={"HX-Request": "true"})).text
    assert re.search(r"Order overdue by \d+\u00a0h", page)
    # Late already: the red "overdue" says it; "at risk" (may be late) would be untrue.
    assert "data-on-time" not in page and "at risk" not in page


async def test_the_board_shows_found_and_first_time_pick_rates_per_picker(
        db: Any, shop: Any, client: Any) -> None:
    picker = staff_user(shop, "picker")
    await picked_order(db, shop, {"water": 1, "bread": 1})  # both found first time
    async with db.writing() as session:
        order_id = await add_order(session, shop, {"water": 2, "milk": 1, "bread": 1},
                                   oms_id="P-2", now=NOW - timedelta(minutes=30))
    await picking_service.start_order(UnitOfWork(db), picker, order_id, NOW)
    for n, code in enumerate((WATER_UPC, WATER_UPC, BREAD)):
        await picking_service.scan(UnitOfWork(db), picker, order_id, code, scan_id=f"p2-{n}",
                                   now=NOW)
    await picking_service.undo_last_scan(UnitOfWork(db), picker, order_id, NOW)  # the bread
    await picking_service.scan(UnitOfWork(db), picker, order_id, BREAD, scan_id="p2-3", now=NOW)
    await picking_service.short_line(UnitOfWork(db), picker, order_id,
                                     await line_of(db, order_id, "milk"), "out_of_stock", NOW)
    supervisor = Person(client, "supervisor")
    await supervisor.sign_in()
    board = (await supervisor.get("/board/")).text
    row = re.search(rf'data-picker="{shop.staff["picker"]}">(.*?)</tr>', board, re.S)
    assert row is not None
    # 5 lines closed: 4 found (water, bread; water, bread), 1 short; the second bread undone once
    assert _field(row.group(1), "data-found").startswith("80,0%")
    assert _field(row.group(1), "data-first-time") == "60,0%"


async def test_the_pace_reads_wholly_in_russian(db: Any, shop: Any, client: Any,
                                                picker: Person) -> None:
    from tests.support.language import leaks

    async with db.writing() as session:
        await add_order(session, shop, {"water": 2}, oms_id="P-3",
                        now=NOW - timedelta(minutes=30))
    await picker.take_next()
    await picker.post("/me/language", {"language": "ru", "next": "/"})
    page = (await picker.get("/pace/")).text
    assert "Мой темп" in page and leaks(page, "ru", ["P-3", "Picker"]) == []
