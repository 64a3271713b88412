"""Assigning from the board: the clock runs on, busy pickers are confirmed, nobody is preselected.

On SQLite and PostgreSQL, through HTTP like the supervisor's tablet.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from app.db import tables
from tests.integration.test_board_http import as_supervisor, order_with, outbox_types, row_of


async def test_reassigning_an_order_keeps_its_picking_clock_and_time_limit(
        db: Any, shop: Any, client: Any, clock: Any) -> None:
    order_id = await order_with(db, shop, {"bread": 2}, oms_id="B-CLOCK",
                                due_in=timedelta(hours=3))
    supervisor = await as_supervisor(client)
    base = f"/board/orders/{order_id}"
    await supervisor.post(f"{base}/assign", {"picker_id": shop.staff["picker"]}, htmx=True)
    clock.now += timedelta(minutes=20)
    moved = await supervisor.post(f"{base}/assign", {"picker_id": shop.staff["picker2"]},
                                  htmx=True)
    assert moved.status_code == 200, moved.text[:300]
    clock.now += timedelta(minutes=15)
    row = row_of((await supervisor.get("/board/")).text, "B-CLOCK")
    assert "Picker2" in row
    assert "35\u00a0min / 30" in row  # counted from the first assignment, not the reassignment
    assert "is-alert" in row


async def test_taking_an_order_back_and_giving_it_out_again_keeps_its_picking_clock(
        db: Any, shop: Any, client: Any, clock: Any) -> None:
    order_id = await order_with(db, shop, {"bread": 2}, oms_id="B-AGAIN",
                                due_in=timedelta(hours=3))
    supervisor = await as_supervisor(client)
    base = f"/board/orders/{order_id}"
    await supervisor.post(f"{base}/assign", {"picker_id": shop.staff["picker"]}, htmx=True)
    clock.now += timedelta(minutes=10)
    await supervisor.post(f"{base}/unassign", htmx=True)
    clock.now += timedelta(minutes=5)
    assert "5\u00a0min / 20" in row_of((await supervisor.get("/board/")).text, "B-AGAIN")
    await supervisor.post(f"{base}/assign", {"picker_id": shop.staff["picker2"]}, htmx=True)
    clock.now += timedelta(minutes=5)
    assert "20\u00a0min / 30" in row_of((await supervisor.get("/board/")).text, "B-AGAIN")


async def test_assigning_a_picker_who_is_busy_asks_first_and_saves_nothing_until_confirmed(
        db: Any, shop: Any, client: Any) -> None:
    first = await order_with(db, shop, {"milk": 1}, oms_id="B-FIRST")
    second = await order_with(db, shop, {"bread": 1}, oms_id="B-SECOND")
    supervisor = await as_supervisor(client)
    picker = shop.staff["picker"]
    await supervisor.post(f"/board/orders/{first}/assign", {"picker_id": picker}, htmx=True)

    asked = await supervisor.post(f"/board/orders/{second}/assign", {"picker_id": picker},
                                  htmx=True)
    assert asked.status_code == 409
    assert "Picker is already picking 1 order. Assign this one too?" in asked.text
    assert "data-confirm-busy" in asked.text and 'name="busy_confirmed" value="1"' in asked.text
    assert await outbox_types(db, second) == []

    confirmed = await supervisor.post(f"/board/orders/{second}/assign",
                                      {"picker_id": picker, "busy_confirmed": "1"}, htmx=True)
    assert confirmed.status_code == 200 and "Picker assigned." in confirmed.text
    assert await outbox_types(db, second) == ["PickerAssigned"]


async def test_the_assign_menu_preselects_nobody_and_shows_what_each_picker_is_doing(
        db: Any, shop: Any, client: Any) -> None:
    busy = await order_with(db, shop, {"milk": 1}, oms_id="B-BUSY")
    waiting = await order_with(db, shop, {"bread": 1}, oms_id="B-WAIT")
    supervisor = await as_supervisor(client)
    await supervisor.post(f"/board/orders/{busy}/assign", {"picker_id": shop.staff["picker"]})
    menu = re.search(r'<select id="assign-picker".*?</select>',
                     (await supervisor.get(f"/board/orders/{waiting}")).text, re.S)
    assert menu
    options = re.findall(r"<option ([^>]*)>([^<]*)</option>", menu.group(0))
    assert options[0] == ('value="" selected disabled', "Choose a picker")
    assert [attrs for attrs, _text in options if "selected" in attrs] == [options[0][0]]
    texts = [text for _attrs, text in options]
    assert "Picker — picking 1 order" in texts and "Picker2 — free" in texts


async def test_assigning_without_choosing_a_picker_says_so_and_changes_nothing(
        db: Any, shop: Any, client: Any) -> None:
    order_id = await order_with(db, shop, {"bread": 1})
    supervisor = await as_supervisor(client)
    response = await supervisor.post(f"/board/orders/{order_id}/assign", {"picker_id": ""},
                                     htmx=True)
    assert response.status_code == 422
    assert "Choose a picker from the list." in response.text
    assert await outbox_types(db, order_id) == []


async def test_a_picker_with_two_orders_in_russian_reads_the_load_in_russian(
        db: Any, shop: Any, client: Any) -> None:
    first = await order_with(db, shop, {"milk": 1}, oms_id="B-ONE")
    second = await order_with(db, shop, {"water": 1}, oms_id="B-TWO")
    third = await order_with(db, shop, {"bread": 1}, oms_id="B-THREE")
    async with db.writing() as session:
        await session.execute(update(tables.staff).values(language="ru"))
        await session.commit()
    supervisor = await as_supervisor(client)
    picker = shop.staff["picker"]
    for order_id in (first, second):
        await supervisor.post(f"/board/orders/{order_id}/assign",
                              {"picker_id": picker, "busy_confirmed": "1"})
    asked = await supervisor.post(f"/board/orders/{third}/assign", {"picker_id": picker},
                                  htmx=True)
    assert "уже собирает 2 заказа" in asked.text
    assert "собирает 2 заказа" in asked.text and "Выберите сборщика" in asked.text
