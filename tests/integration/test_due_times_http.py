"""A late order looks late on every screen that shows when it is due: the picker's queue and
pick page, the packing desk and pack page, the courier's list. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from app.db.uow import UnitOfWork
from app.services import handover
from tests.support.handover import picked_order, staff_user
from tests.support.people import Person
from tests.support.shop import NOW, add_order

PLACES = {"ambient": "Shelf 1", "chilled": "Fridge 1", "frozen": "Freezer 1"}


def due_spans(page: str) -> list[str]:
    return re.findall(r"<span[^>]*>due \d\d:\d\d</span>", page)


async def test_every_due_time_turns_red_once_it_has_passed(
        db: Any, shop: Any, client: Any, clock: Any, picker: Person) -> None:
    packed = await picked_order(db, shop, {"water": 1}, oms_id="D-PACKED")  # due NOW + 30 min
    await handover.pack_order(UnitOfWork(db), staff_user(shop, "picker"), packed,
                              {"ambient": 1}, PLACES, NOW)
    to_pack = await picked_order(db, shop, {"bread": 1}, oms_id="D-PICKED")
    async with db.writing() as session:
        await add_order(session, shop, {"milk": 1}, oms_id="D-SOON", due_in=timedelta(minutes=10))
        await add_order(session, shop, {"milk": 1}, oms_id="D-LATER", due_in=timedelta(hours=3))
        await session.commit()
    courier = Person(client, "courier")  # one client, one cookie jar: each signs in in turn

    async def screens() -> dict[str, list[str]]:
        await picker.sign_in()
        order_id = await picker.take_next()  # the most urgent: D-SOON
        seen = {"queue": due_spans((await picker.get("/pick/")).text),
                "pick page": due_spans((await picker.get(f"/pick/{order_id}")).text),
                "desk": due_spans((await picker.get("/pack/")).text),
                "pack page": due_spans((await picker.get(f"/pack/{to_pack}")).text)}
        await courier.sign_in()
        return {**seen, "courier": due_spans((await courier.get("/courier/")).text)}

    before = await screens()
    assert all(before.values()), before  # every screen shows a due time
    assert not [s for spans in before.values() for s in spans if "data-late" in s], before

    clock.now += timedelta(minutes=45)  # D-SOON, D-PICKED and D-PACKED are now past due
    after = await screens()
    for screen, spans in after.items():
        assert any('class="text-danger" data-late' in s for s in spans), (screen, spans)
    # the order due in three hours is not dressed as late
    assert [s for s in after["queue"] if "data-late" not in s], after["queue"]
