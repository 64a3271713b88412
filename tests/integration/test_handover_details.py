"""Handover details a person needs at a glance, over HTTP on SQLite and PostgreSQL:
the 18+ flag on top, bag labels a person can read, a re-entered pickup code, time out of cold.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from app.db.tables_handover import pickup_code_failures
from app.db.uow import UnitOfWork
from app.factory import create_app
from app.services import handover as service
from app.settings import Settings
from picking.bags import BagCode
from tests.support.handover import picked_order, staff_user
from tests.support.people import Person, unwrapped
from tests.support.shop import NOW

PLACES = {"ambient": "Shelf 1", "chilled": "Fridge 1", "frozen": "Freezer 1"}


@pytest.fixture
async def app_client(db_url: str, shop: Any, clock: Any,
                     tmp_path: Path) -> AsyncIterator[AsyncTestClient[Any]]:
    settings = Settings(environment="development", database_url=db_url, run_relay=False,
                        data_dir=tmp_path / "data")
    async with AsyncTestClient(app=create_app(settings, clock=clock),
                               base_url="http://testserver.local") as test_client:
        yield test_client


async def _person(client: Any, key: str) -> Person:
    person = Person(client, key)
    assert (await person.sign_in()).status_code in (302, 303)
    return person


async def _packed(db: Any, shop: Any, oms_id: str, lines: dict[str, int], bags: dict[str, int],
                  fulfilment: str = "delivery") -> tuple[int, str | None]:
    order_id = await picked_order(db, shop, lines, oms_id=oms_id, fulfilment=fulfilment)
    _order, code = await service.pack_order(UnitOfWork(db), staff_user(shop, "picker"), order_id,
                                            bags, PLACES, NOW)
    return order_id, code


async def test_bag_labels_carry_the_code_in_letters_the_customer_and_18_plus_on_the_beer_bag(
        db: Any, app_client: Any, shop: Any) -> None:
    order_id, _code = await _packed(db, shop, "H-LBL", {"beer": 1, "milk": 1},
                                    {"ambient": 1, "chilled": 1})
    picker = await _person(app_client, "picker")
    page = (await picker.get(f"/pack/{order_id}/labels")).text
    for bag in (BagCode("H-LBL", 1, 2, "ambient"), BagCode("H-LBL", 2, 2, "chilled")):
        assert f'<div class="label__code" data-code translate="no">{bag.text()}</div>' in page
    assert page.count('<div class="label__customer">') == 2
    assert page.count("data-adult-bag") == 1  # the beer's bag, not the milk's
    assert 'data-bag="1" data-adult-bag' in page


async def test_take_and_deliver_pages_flag_18_plus_on_top_and_show_time_out_of_cold(
        db: Any, app_client: Any, shop: Any, clock: Any) -> None:
    # milk is scanned 5 minutes before packing: 5 minutes out of the cold at staging
    order_id, _code = await _packed(db, shop, "H-COLD", {"beer": 1, "milk": 1},
                                    {"ambient": 1, "chilled": 1})
    courier = await _person(app_client, "courier")
    clock.now = NOW + timedelta(minutes=10)
    for bag in (BagCode("H-COLD", 1, 2, "ambient"), BagCode("H-COLD", 2, 2, "chilled")):
        await courier.post(f"/courier/take/{order_id}/scan", {"code": bag.text()})
    clock.now = NOW + timedelta(minutes=12)
    take = (await courier.get(f"/courier/take/{order_id}")).text
    assert take.index("data-adult-notice") < take.index('id="bags"')
    assert "Out of the cold: 7\u00a0min" in take  # 5 before staging + 2 since the bag left
    assert (await courier.post(f"/courier/take/{order_id}")).status_code == 303
    clock.now = NOW + timedelta(minutes=40)
    deliver = (await courier.get(f"/courier/orders/{order_id}")).text
    assert deliver.index("data-adult-notice") < deliver.index('name="id_checked"')
    assert "Out of the cold: 35\u00a0min" in deliver


async def test_a_pickup_code_entered_again_after_handover_says_when_and_uses_no_attempt(
        db: Any, app_client: Any, shop: Any, clock: Any) -> None:
    order_id, code = await _packed(db, shop, "H-AGAIN", {"bread": 1}, {"ambient": 1},
                                   fulfilment="collect")
    assert code is not None
    clerk = await _person(app_client, "picker")
    opened = await clerk.post("/collect/code", {"code": code})
    assert opened.headers["location"] == f"/collect/{order_id}"
    counter = (await clerk.get(f"/collect/{order_id}")).text
    assert "data-adult-notice" not in counter
    await clerk.post(f"/collect/{order_id}/scan", {"code": BagCode("H-AGAIN", 1, 1, "ambient")
                                                   .text()})
    assert "Handed over" in (await clerk.post(f"/collect/{order_id}/hand-over")).text

    clock.now = NOW + timedelta(minutes=3)
    again = await clerk.post("/collect/code", {"code": code})
    assert again.status_code == 409
    assert "Order H-AGAIN was already handed over at 12:00." in unwrapped(again.text)  # Moscow
    assert "Wrong pickup code" not in again.text
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(pickup_code_failures)) == 0
    wrong = "000000" if code != "000000" else "111111"
    assert "4 tries left" in (await clerk.post("/collect/code", {"code": wrong})).text


async def _events(db: Any, order_id: int) -> list[str]:
    from app.db import tables

    async with db.reading() as session:
        return list((await session.scalars(select(tables.outbox.c.type).where(
            tables.outbox.c.order_id == order_id))).all())


async def test_a_courier_s_and_a_clerk_s_step_sent_twice_answer_as_the_first_time(
        db: Any, app_client: Any, shop: Any) -> None:
    """A second "Take", "Delivered", "Not delivered" or "Hand over" (a double tap without
    JavaScript, a form sent again) answered 409 "this step is not possible now"."""
    taken, _code = await _packed(db, shop, "H-TWICE", {"bread": 1}, {"ambient": 1})
    courier = await _person(app_client, "courier")
    await courier.post(f"/courier/take/{taken}/scan",
                       {"code": BagCode("H-TWICE", 1, 1, "ambient").text()})
    for path in (f"/courier/take/{taken}", f"/courier/orders/{taken}/delivered"):
        for _ in range(2):
            answer = await courier.post(path)
            assert answer.status_code == 303, (path, answer.text[:300])
            assert answer.headers["location"] == "/courier"
    assert (await _events(db, taken)).count("OrderDelivered") == 1

    failed, _code = await _packed(db, shop, "H-FAIL2", {"bread": 1}, {"ambient": 1})
    await courier.post(f"/courier/take/{failed}/scan",
                       {"code": BagCode("H-FAIL2", 1, 1, "ambient").text()})
    await courier.post(f"/courier/take/{failed}")
    for _ in range(2):
        answer = await courier.post(f"/courier/orders/{failed}/failed",
                                    {"reason": "customer_absent", "note": ""})
        assert answer.status_code == 303, answer.text[:300]
    assert (await _events(db, failed)).count("DeliveryFailed") == 1
    desk = await _person(app_client, "packer")
    for _ in range(2):  # back in staging
        answer = await desk.post(f"/pack/{failed}/return")
        assert answer.status_code == 303 and answer.headers["location"] == "/pack", answer.text
    assert (await _events(db, failed)).count("OrderReturned") == 1
    courier = await _person(app_client, "courier")

    collected, code = await _packed(db, shop, "H-COLL2", {"bread": 1}, {"ambient": 1},
                                    fulfilment="collect")
    clerk = await _person(app_client, "picker")
    await clerk.post("/collect/code", {"code": code})
    await clerk.post(f"/collect/{collected}/scan",
                     {"code": BagCode("H-COLL2", 1, 1, "ambient").text()})
    for _ in range(2):
        answer = await clerk.post(f"/collect/{collected}/hand-over")
        assert answer.status_code == 200 and "Handed over" in answer.text, answer.text[:300]
    assert (await _events(db, collected)).count("OrderDelivered") == 1


async def test_another_courier_still_cannot_take_an_order_already_taken(
        db: Any, app_client: Any, shop: Any) -> None:
    order_id, _code = await _packed(db, shop, "H-THEIRS", {"bread": 1}, {"ambient": 1})
    await service.scan_bag(UnitOfWork(db), staff_user(shop, "courier"),
                           BagCode("H-THEIRS", 1, 1, "ambient").text(), NOW)
    await service.take_order(UnitOfWork(db), staff_user(shop, "courier"), order_id, NOW)
    other = await _person(app_client, "admin")  # another person who may take deliveries
    answer = await other.post(f"/courier/take/{order_id}")
    assert answer.status_code == 409


async def test_a_reason_left_unchosen_is_asked_for_and_nothing_is_recorded(
        db: Any, app_client: Any, shop: Any) -> None:
    """The reasons are radio rows with nothing chosen until the courier chooses (a select
    cut their words at 360 px and chose the first for them): a form sent without one
    (no JavaScript, an old browser) gets a sentence about what is missing, and the order
    and its lines stay as they were."""
    order_id, _code = await _packed(db, shop, "H-NOWHY", {"bread": 2}, {"ambient": 1})
    courier = await _person(app_client, "courier")
    await courier.post(f"/courier/take/{order_id}/scan",
                       {"code": BagCode("H-NOWHY", 1, 1, "ambient").text()})
    await courier.post(f"/courier/take/{order_id}")
    page = (await courier.get(f"/courier/orders/{order_id}")).text
    assert '<select name="reason">' not in page
    assert page.count('type="radio" name="reason"') == 4 + 5  # failure + one line's refusal
    answer = await courier.post(f"/courier/orders/{order_id}/failed", {"note": ""})
    assert answer.status_code == 422
    assert "Choose why the delivery failed." in unwrapped(answer.text)
    line_id = (await service_lines(db, order_id))[0]
    answer = await courier.post(f"/courier/orders/{order_id}/refuse",
                                {"line_id": str(line_id), "quantity": "1"})
    assert answer.status_code == 422, answer.text[:300]
    assert "Choose a reason and a quantity the customer still has." in unwrapped(answer.text)
    assert "DeliveryFailed" not in await _events(db, order_id)
    assert '<span class="badge">refused</span>' not in (
        await courier.get(f"/courier/orders/{order_id}")).text


async def service_lines(db: Any, order_id: int) -> list[int]:
    from app.db import tables

    async with db.reading() as session:
        return list((await session.execute(select(tables.order_lines.c.id).where(
            tables.order_lines.c.order_id == order_id))).scalars())
