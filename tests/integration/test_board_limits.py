"""The supervisor sets the store's time limits; the board judges orders by them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.db import tables
from tests.integration.test_board_http import as_supervisor, order_with, row_of
from tests.support.people import Person


async def test_a_supervisor_sets_the_queue_limit_and_the_board_follows_it(
        db: Any, shop: Any, client: Any, clock: Any) -> None:
    await order_with(db, shop, {"milk": 1}, oms_id="L-WAIT", due_in=timedelta(hours=3))
    clock.now += timedelta(minutes=12)
    supervisor = await as_supervisor(client)
    assert "is-alert" not in row_of((await supervisor.get("/board/")).text, "L-WAIT")
    form = await supervisor.get("/board/limits")
    assert 'name="queued" value="20"' in form.text
    saved = await supervisor.post("/board/limits", {"queued": "10", "picking": "30",
                                                    "picked": "10", "packed": "30"})
    assert saved.status_code == 303
    row = row_of((await supervisor.get("/board/")).text, "L-WAIT")
    assert "is-alert" in row and "Unassigned for 12\u00a0min" in row


async def test_a_limit_that_is_not_whole_minutes_in_range_is_refused_and_nothing_changes(
        db: Any, shop: Any, client: Any) -> None:
    supervisor = await as_supervisor(client)
    for bad in ("0", "-5", "ten", "1.5", "100000", ""):
        response = await supervisor.post("/board/limits", {
            "queued": bad, "picking": "30", "picked": "10", "packed": "30"})
        assert response.status_code == 422, bad
        assert "type whole minutes from 1 to 480" in response.text
    async with db.reading() as session:
        limits = await session.scalar(select(tables.stores.c.time_limits)
                                      .where(tables.stores.c.id == shop.store_id))
    assert limits == {}


async def test_a_picker_cannot_change_the_limits(shop: Any, picker: Person) -> None:
    response = await picker.post("/board/limits", {"queued": "1", "picking": "1",
                                                   "picked": "1", "packed": "1"})
    assert response.status_code == 403
