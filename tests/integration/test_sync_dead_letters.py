"""Supervisors see the events the OMS refused and put them back in line with one click."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from app.db import tables
from tests.support.outbox import add_events, row
from tests.support.people import Person


async def make_dead(db: Any, event_id: str, error: str) -> None:
    async with db.writing() as session:
        await session.execute(update(tables.outbox).where(tables.outbox.c.event_id == event_id)
                              .values(status="dead", attempts=1, last_error=error))
        await session.commit()


async def test_a_supervisor_sees_a_dead_letter_and_retries_it(client: Any, db: Any) -> None:
    ids = await add_events(db, "W-DEAD", 1, kind="OrderPicked")
    await make_dead(db, ids[0], "HTTP 409: version conflict")
    supervisor = Person(client, "supervisor")
    await supervisor.sign_in()
    page = await supervisor.get("/sync/dead-letters/")
    assert page.status_code == 200
    assert "W-DEAD" in page.text and "HTTP 409: version conflict" in page.text
    response = await supervisor.post(f"/sync/dead-letters/{ids[0]}/retry")
    assert response.status_code == 303
    again = await row(db, ids[0])
    assert (again.status, again.attempts) == ("pending", 0)
    after = await supervisor.get(response.headers["location"])
    assert "back in line" in after.text and "W-DEAD" not in after.text


async def test_pickers_cannot_open_the_dead_letters(client: Any) -> None:
    picker = Person(client, "picker")
    await picker.sign_in()
    response = await picker.get("/sync/dead-letters/")
    assert response.status_code == 403


async def test_another_stores_letters_are_neither_shown_nor_retried(client: Any, db: Any
                                                                    ) -> None:
    ids = await add_events(db, "SPB-DEAD", 1, store="SPB-002")
    await make_dead(db, ids[0], "HTTP 400")
    supervisor = Person(client, "supervisor")
    await supervisor.sign_in()
    assert "SPB-DEAD" not in (await supervisor.get("/sync/dead-letters/")).text
    await supervisor.post(f"/sync/dead-letters/{ids[0]}/retry")
    assert (await row(db, ids[0])).status == "dead"
