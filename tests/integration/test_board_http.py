"""The supervisor's board over HTTP, on SQLite and PostgreSQL.

The picker and the supervisor share one test client, so each signs in when it
is their turn (signing in replaces the session cookie), like one tablet
handed from person to person.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from app.db import tables
from app.db.tables_board import scan_errors
from tests.support.people import Person, unwrapped
from tests.support.shop import BREAD, MILK, NOT_IN_ANY_ORDER, add_order


async def order_with(db: Any, shop: Any, lines: dict[str, int], **kw: Any) -> int:
    async with db.writing() as session:
        return await add_order(session, shop, lines, **kw)


async def as_supervisor(client: Any) -> Person:
    person = Person(client, "supervisor")
    response = await person.sign_in()
    assert response.status_code in (302, 303), response.text[:300]
    return person


async def outbox_types(db: Any, order_id: int) -> list[str]:
    async with db.reading() as session:
        return list(await session.scalars(
            select(tables.outbox.c.type).where(tables.outbox.c.order_id == order_id)
            .order_by(tables.outbox.c.sequence)))


def row_of(html: str, oms_id: str) -> str:
    found = re.search(rf'<tr class="board-row[^"]*" data-order="{oms_id}".*?</tr>', html, re.S)
    assert found, f"{oms_id} is not on the board"
    return found.group(0)


async def test_a_supervisor_s_home_leads_to_the_board_which_shows_orders_counted_by_status(
        db: Any, shop: Any, client: Any) -> None:
    await order_with(db, shop, {"milk": 2, "bread": 1}, oms_id="B-MILK")
    await order_with(db, shop, {"water": 1}, oms_id="B-WATER")
    supervisor = await as_supervisor(client)
    home = await supervisor.get("/")
    assert 'href="/board" data-area="board"' in home.text  # the first card of their home
    page = await supervisor.get("/board/")
    assert page.status_code == 200
    assert re.search(r'data-count="queued">2<', page.text)
    assert "0 of 2" in unwrapped(row_of(page.text, "B-MILK"))
    assert 'sse-connect="/board/live?since=' in page.text


async def test_a_picker_cannot_open_the_board(shop: Any, picker: Person) -> None:
    response = await picker.get("/board/")
    assert response.status_code == 403


async def test_an_order_past_its_queue_limit_turns_red_and_says_it_is_unassigned(
        db: Any, shop: Any, client: Any, clock: Any) -> None:
    await order_with(db, shop, {"milk": 1}, oms_id="B-WAITING", due_in=timedelta(hours=2))
    clock.now += timedelta(minutes=25)  # the demo limit for "queued" is 20 minutes
    async with db.writing() as session:
        await session.execute(update(tables.stores).values(time_limits={"queued": 20}))
        await session.commit()
    supervisor = await as_supervisor(client)
    row = row_of((await supervisor.get("/board/")).text, "B-WAITING")
    assert "is-alert" in row
    assert "Unassigned for 25\u00a0min" in row
    page = (await supervisor.get("/board/")).text
    assert 'data-feedback-id="late-' in page


async def test_long_waits_read_in_hours_on_the_board_in_both_languages(
        db: Any, shop: Any, client: Any, clock: Any) -> None:
    """"165 min" makes a supervisor count; "2 h 45 min" does not (nor "17824 min")."""
    await order_with(db, shop, {"milk": 1}, oms_id="B-LONG", due_in=timedelta(minutes=30))
    clock.now += timedelta(minutes=165)  # in the queue 2 h 45 min, 2 h 15 min past due
    async with db.writing() as session:
        await session.execute(update(tables.stores).values(time_limits={"queued": 20}))
        await session.commit()
    supervisor = await as_supervisor(client)
    row = row_of((await supervisor.get("/board/")).text, "B-LONG")
    assert "2\u00a0h\u00a015\u00a0min late" in row and "2\u00a0h\u00a045\u00a0min" in row
    assert "135\u00a0min" not in row and "165\u00a0min" not in row
    await supervisor.post("/me/language", {"language": "ru"})
    row = row_of((await supervisor.get("/board/")).text, "B-LONG")
    assert "опоздание 2\u00a0ч\u00a015\u00a0мин" in row and "2\u00a0ч\u00a045\u00a0мин" in row



async def test_the_countdown_and_the_reason_say_the_same_lateness(
        db: Any, shop: Any, client: Any, clock: Any) -> None:
    """59 min 30 s past due read "1 h late" beside "Past due by 59 min" in the same row."""
    await order_with(db, shop, {"milk": 1}, oms_id="B-LATE", due_in=timedelta(minutes=5))
    clock.now += timedelta(minutes=64, seconds=30)
    supervisor = await as_supervisor(client)
    row = row_of((await supervisor.get("/board/")).text, "B-LATE")
    assert "59\u00a0min late" in row and "1\u00a0h late" not in row
    assert "59\u00a0min" in row.split("59\u00a0min late", 1)[1]  # the reason: the same 59


async def test_refused_scans_are_recorded_and_shown_as_the_pickers_error_rate(
        db: Any, shop: Any, client: Any, picker: Person) -> None:
    order_id = await order_with(db, shop, {"milk": 2})
    assert await picker.take_next() == order_id
    assert (await picker.scan(order_id, MILK)).status_code == 200
    wrong = await picker.scan(order_id, NOT_IN_ANY_ORDER)
    assert wrong.status_code == 422
    async with db.reading() as session:
        kinds = list(await session.scalars(select(scan_errors.c.kind)))
        picked = await session.scalar(select(tables.order_lines.c.picked_quantity)
                                      .where(tables.order_lines.c.order_id == order_id))
    assert kinds == ["wrong_item"]
    assert picked == 1  # the refused scan changed nothing on the order
    supervisor = await as_supervisor(client)
    page = (await supervisor.get("/board/")).text
    picker_row = re.search(rf'data-picker="{shop.staff["picker"]}".*?</tr>', page, re.S)
    assert picker_row and "50,0%" in picker_row.group(0)


async def test_assigning_reassigning_and_unassigning_are_audited_in_the_history(
        db: Any, shop: Any, client: Any) -> None:
    order_id = await order_with(db, shop, {"bread": 1}, oms_id="B-ASSIGN")
    supervisor = await as_supervisor(client)
    base = f"/board/orders/{order_id}"
    panel = await supervisor.post(f"{base}/assign", {"picker_id": shop.staff["picker"]},
                                  htmx=True)
    assert panel.status_code == 200 and "Picker assigned." in panel.text
    await supervisor.post(f"{base}/assign", {"picker_id": shop.staff["picker2"]}, htmx=True)
    await supervisor.post(f"{base}/unassign", htmx=True)
    raised = await supervisor.post(f"{base}/priority", htmx=True)
    assert "Priority raised." in raised.text
    assert await outbox_types(db, order_id) == [
        "PickerAssigned", "PickerAssigned", "PickerUnassigned", "PriorityRaised"]
    history = (await supervisor.get(base)).text
    assert history.count('data-event="PickerAssigned"') == 2
    assert "Picker2" in history and "Supervisor" in history


async def test_a_line_of_the_order_panel_never_breaks_its_count_nor_glues_its_badge(
        db: Any, shop: Any, client: Any, picker: Person) -> None:
    """On a phone the panel read "…cherry nectar 0.95 l — 0 /" over "1", and a picked line
    "— 2 / 2Picked" (the badge run into the count)."""
    order_id = await order_with(db, shop, {"milk": 2, "bread": 1}, oms_id="B-PANEL")
    await picker.take_next()
    for _ in range(2):
        await picker.scan(order_id, MILK)
    supervisor = await as_supervisor(client)
    panel = (await supervisor.get(f"/board/orders/{order_id}")).text
    lines = re.findall(r'<li class="line--\w+"[^>]*>.*?</li>', panel, re.S)
    assert len(lines) == 2
    milk = next(li for li in lines if "Milk" in li or "Молоко" in li)
    assert '<span class="nowrap">2 / 2</span> <span class="badge">' in milk
    assert '<span class="nowrap">0 / 1</span>' in next(li for li in lines if li is not milk)


async def test_an_assigned_order_becomes_the_pickers_current_order(
        db: Any, shop: Any, client: Any) -> None:
    await order_with(db, shop, {"milk": 1}, due_in=timedelta(minutes=10))
    order_id = await order_with(db, shop, {"bread": 1}, due_in=timedelta(hours=3))
    supervisor = await as_supervisor(client)
    await supervisor.post(f"/board/orders/{order_id}/assign", {"picker_id": shop.staff["picker"]})
    picker = Person(client, "picker")
    await picker.sign_in()
    assert await picker.take_next() == order_id
    assert (await picker.scan(order_id, BREAD)).status_code == 200


async def test_a_supervisor_cannot_assign_someone_from_another_store(
        db: Any, shop: Any, client: Any) -> None:
    order_id = await order_with(db, shop, {"bread": 1})
    supervisor = await as_supervisor(client)
    response = await supervisor.post(f"/board/orders/{order_id}/assign",
                                     {"picker_id": shop.staff["other_picker"]}, htmx=True)
    assert response.status_code == 409
    assert "Choose an active picker of this store." in response.text
    assert await outbox_types(db, order_id) == []


async def test_the_shift_summary_counts_finished_orders_and_draws_the_day(
        db: Any, shop: Any, client: Any, picker: Person) -> None:
    order_id = await order_with(db, shop, {"bread": 1, "milk": 1}, due_in=timedelta(hours=1))
    await picker.take_next()
    await picker.scan(order_id, BREAD)
    page = (await picker.get(f"/pick/{order_id}")).text
    line_id = re.search(r'/lines/(\d+)/short', page)
    assert line_id
    await picker.post(f"/pick/{order_id}/lines/{line_id.group(1)}/short", {"reason": "not_found"})
    await picker.post(f"/pick/{order_id}/finish")
    supervisor = await as_supervisor(client)
    summary = await supervisor.get("/board/summary")
    assert summary.status_code == 200
    assert re.search(r'data-kpi="finished">1<', summary.text)
    assert re.search(r'data-kpi="on_time">100,0%', summary.text)
    assert "50,0%" in re.search(r'data-kpi="short">.*?</dd>', summary.text, re.S).group(0)
    assert "<svg" in summary.text and 'class="chart__done"' in summary.text
