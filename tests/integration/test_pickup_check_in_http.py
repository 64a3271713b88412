"""A click & collect customer checks in on their link; the counter and the board see
them waiting; the handover tells the OMS how long they waited. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from app.db import tables
from app.db.repo_floor import PickupRepository
from app.services.arrival import PickupSettings
from picking.bags import BagCode
from tests.integration.test_substitution_http import Customer
from tests.support.handover import outbox_events, outbox_payload, picked_order
from tests.support.people import Person


async def _packed_collect(db: Any, shop: Any, picker: Person, oms_id: str) -> tuple[int, str]:
    """A collect order packed at the desk; its id and the link OrderPacked carries."""
    order_id = await picked_order(db, shop, {"bread": 1}, fulfilment="collect", oms_id=oms_id)
    response = await picker.post(f"/pack/{order_id}", {"bags_ambient": "1",
                                                       "place_ambient": "Shelf 1"})
    assert response.status_code == 303, response.text[:400]
    packed = await outbox_payload(db, order_id, "OrderPacked")
    assert packed["customer_url"].startswith("http://testserver.local/c/")
    return order_id, packed["customer_url"]


async def _bays(db: Any, shop: Any, bays: tuple[str, ...], limit: int = 10) -> None:
    async with db.writing() as session:
        await PickupRepository(session).save_settings(shop.store_id, PickupSettings(
            place="Pickup desk by the entrance", hours="08:00–22:00", bays=bays,
            wait_limit_minutes=limit))
        await session.commit()


async def _check_in(customer: Customer, step: str, bay: str = "", *, csrf: bool = True) -> Any:
    headers = {"HX-Request": "true", **({"x-csrftoken": customer.csrf} if csrf else {})}
    return await customer.client.post(f"{customer.path}/check-in",
                                      data={"step": step, "bay": bay}, headers=headers)


async def _count(db: Any, order_id: int, event: str) -> int:
    async with db.reading() as session:
        return int(await session.scalar(select(func.count()).where(
            tables.outbox.c.order_id == order_id, tables.outbox.c.type == event)) or 0)


async def test_the_link_of_a_packed_order_offers_check_in_and_shows_no_code_on_get(
        db: Any, shop: Any, picker: Person, phone: Any) -> None:
    await _bays(db, shop, ())
    order_id, url = await _packed_collect(db, shop, picker, "CC-1")
    code = (await outbox_payload(db, order_id, "OrderPacked"))["pickup_code"]
    customer = Customer(phone, url)
    for _ in range(2):  # a preview bot and the customer: GET changes nothing
        page = await customer.open()
        assert page.status_code == 200
        assert "Pickup desk by the entrance" in page.text and "08:00–22:00" in page.text
        assert "On my way" in page.text and "I&#39;m here" in page.text
        assert code not in page.text
    assert await outbox_events(db, order_id) == ["PickingStarted", "ItemScanned",
                                                 "OrderPicked", "OrderPacked"]


async def test_each_step_is_taken_once_and_the_code_comes_only_after_check_in(
        db: Any, shop: Any, picker: Person, phone: Any) -> None:
    await _bays(db, shop, ("1", "2", "3"))
    order_id, url = await _packed_collect(db, shop, picker, "CC-2")
    code = (await outbox_payload(db, order_id, "OrderPacked"))["pickup_code"]
    customer = Customer(phone, url)
    await customer.open()

    on_way = await _check_in(customer, "on_the_way")
    assert on_way.status_code == 200 and "knows you are on the way" in on_way.text
    assert code in on_way.text and on_way.headers["cache-control"] == "no-store"
    again = await _check_in(customer, "on_the_way")
    assert again.status_code == 409 and "already know you are on the way" in again.text

    wrong_bay = await _check_in(customer, "arrived", "7")
    assert wrong_bay.status_code == 422 and "bay or desk" in wrong_bay.text
    here = await _check_in(customer, "arrived", "3")
    assert here.status_code == 200 and "at 3" in here.text
    assert (await _check_in(customer, "arrived", "3")).status_code == 409
    assert (await _check_in(customer, "on_the_way")).status_code == 409

    assert await _count(db, order_id, "CustomerOnTheWay") == 1
    assert await _count(db, order_id, "CustomerArrived") == 1
    assert (await outbox_payload(db, order_id, "CustomerArrived"))["bay"] == "3"
    shown = await customer.client.post(f"{customer.path}/code",
                                       headers={"x-csrftoken": customer.csrf})
    assert shown.status_code == 200 and code in shown.text
    assert code not in (await customer.open()).text


async def test_forged_links_and_posts_without_the_page_s_token_change_nothing(
        db: Any, shop: Any, picker: Person, phone: Any) -> None:
    order_id, url = await _packed_collect(db, shop, picker, "CC-3")
    customer = Customer(phone, url)
    await customer.open()
    forged = Customer(phone, re.sub(r"/c/.*", "/c/" + "A" * 43, url))
    forged.csrf = customer.csrf
    assert (await _check_in(forged, "arrived")).status_code == 404
    assert (await _check_in(customer, "arrived", csrf=False)).status_code == 403
    assert (await _check_in(customer, "teleported")).status_code == 404
    assert (await customer.client.post(f"{forged.path}/code",
                                       headers={"x-csrftoken": customer.csrf})).status_code == 404
    assert await _count(db, order_id, "CustomerArrived") == 0


async def test_check_in_waits_for_packing(db: Any, shop: Any, picker: Person, phone: Any,
                                          client: Any) -> None:
    from tests.integration.test_substitution_http import offer, outbox, short_order
    from tests.support.shop import kefir_unit

    order_id, milk = await short_order(db, shop, picker, {"milk": 1}, "milk")
    assert (await offer(picker, order_id, milk, kefir_unit())).status_code == 303
    (proposed,) = await outbox(db, order_id, "SubstitutionProposed")
    customer = Customer(phone, proposed["customer_url"])
    page = await customer.open()
    assert "On my way" not in page.text
    early = await _check_in(customer, "arrived")
    assert early.status_code == 409 and "not ready for pickup yet" in early.text


async def test_the_counter_and_the_board_list_arrivals_longest_wait_first(
        db: Any, shop: Any, picker: Person, phone: Any, client: Any, clock: Any) -> None:
    await _bays(db, shop, (), limit=5)
    _first, first_url = await _packed_collect(db, shop, picker, "CC-4")
    second_id, second_url = await _packed_collect(db, shop, picker, "CC-5")
    _third, third_url = await _packed_collect(db, shop, picker, "CC-6")
    start = clock.now
    for url, step in ((second_url, "arrived"), (third_url, "on_the_way")):
        customer = Customer(phone, url)
        await customer.open()
        assert (await _check_in(customer, step)).status_code == 200
    clock.now = start + timedelta(minutes=3)
    first = Customer(phone, first_url)
    await first.open()
    assert (await _check_in(first, "arrived")).status_code == 200
    clock.now = start + timedelta(minutes=6)

    counter = (await picker.get("/collect/")).text
    here = re.findall(r'class="card row row--between arrival ?([a-z-]*)" data-order="([^"]+)"\s+'
                      r'data-waiting="(\d+)" data-feedback="notice"', counter)
    assert here == [("arrival--late", "CC-5", "6"), ("", "CC-4", "3")]
    assert counter.index('data-order="CC-6"') > counter.index('data-order="CC-4"')

    supervisor = Person(client, "supervisor")
    await supervisor.sign_in()
    board = (await supervisor.get("/board/")).text
    assert 'class="board-row is-alert" data-arrival="CC-5"' in board
    assert f'data-feedback-id="arrived-{second_id}"' in board  # the board's sound, once
    assert board.index('data-arrival="CC-5"') < board.index('data-arrival="CC-4"')
    assert 'data-arrival="CC-6"' in board

    # the handover tells the OMS how long the customer waited
    code = (await outbox_payload(db, second_id, "OrderPacked"))["pickup_code"]
    clerk = supervisor  # one browser, one session: the supervisor serves the counter now
    assert (await clerk.post("/collect/code", {"code": code})).status_code == 303
    await clerk.post(f"/collect/{second_id}/scan", {"code": BagCode("CC-5", 1, 1,
                                                                     "ambient").text()})
    done = await clerk.post(f"/collect/{second_id}/hand-over", {})
    assert done.status_code == 200, done.text[:300]
    handed = await outbox_payload(db, second_id, "OrderHandedOver")
    assert handed["waited_seconds"] == 360
    assert 'data-order="CC-5"' not in (await clerk.get("/collect/")).text


async def test_the_pickup_screens_read_wholly_in_either_language(
        db: Any, shop: Any, picker: Person, phone: Any, client: Any) -> None:
    from tests.support.language import leaks

    await _bays(db, shop, ("1", "2"))
    async with db.writing() as session:  # the store's own words are data, in Russian
        await PickupRepository(session).save_settings(shop.store_id, PickupSettings(
            place="Стойка у входа", hours="8–22", bays=("1", "2")))
        await session.commit()
    _order_id, url = await _packed_collect(db, shop, picker, "CC-9")
    _other_id, other_url = await _packed_collect(db, shop, picker, "CC-10")
    customer, other = Customer(phone, url), Customer(phone, other_url)
    await customer.open()
    await other.open()
    assert (await _check_in(other, "on_the_way")).status_code == 200
    data = ["CC-9", "CC-10", "Стойка у входа", "Анна", "Picker", "Supervisor"]
    found: dict[str, list[str]] = {}
    for language in ("ru", "en"):
        page = await phone.get(f"{customer.path}?lang={language}")
        answered = await customer.client.post(
            f"{customer.path}/check-in?lang={language}", data={"step": "arrived", "bay": "2"},
            headers={"x-csrftoken": customer.csrf})
        found[f"customer {language}"] = leaks(page.text, language, data)
        found[f"check-in {language}"] = leaks(answered.text, language, data)
        for person in (picker, Person(client, "supervisor")):
            if person.role == "supervisor":
                await person.sign_in()
            await person.post("/me/language", {"language": language, "next": "/"})
            for path in ("/collect/", "/board/") if person.role == "supervisor" else ("/collect/",):
                found[f"{person.role} {language} {path}"] = leaks(
                    (await person.get(path)).text, language, data)
        await picker.sign_in()
    assert {page: words for page, words in found.items() if words} == {}


async def test_a_supervisor_sets_the_pickup_place_bays_and_limits(
        db: Any, shop: Any, client: Any, picker: Person, phone: Any) -> None:
    supervisor = Person(client, "supervisor")
    await supervisor.sign_in()
    form = {"place": "Desk by the entrance", "hours": "8–22", "bays": "A, B,, A",
            "wait_limit_minutes": "0", "pace_target_per_hour": "90"}
    refused = await supervisor.post("/board/pickup", form)
    assert refused.status_code == 422 and "whole minutes from 1 to 240" in refused.text
    assert 'value="Desk by the entrance"' in refused.text  # nothing typed is lost
    saved = await supervisor.post("/board/pickup", {**form, "wait_limit_minutes": "12"})
    assert saved.status_code == 303
    page = (await supervisor.get("/board/pickup")).text
    assert 'value="A, B"' in page and 'value="12"' in page and 'value="90"' in page
    await picker.sign_in()
    _order_id, url = await _packed_collect(db, shop, picker, "CC-11")
    customer_page = (await Customer(phone, url).open()).text
    assert "Desk by the entrance" in customer_page
    assert '<option value="A">A</option>' in customer_page
