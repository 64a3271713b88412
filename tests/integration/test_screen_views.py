"""Every screen other than the pick page, over HTTP on SQLite and PostgreSQL, renders from
views (app/views) with the guard on (tests/support/view_guard.py): the customer's link,
the substitute page, packing, courier and counter screens, the board and its order panel."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jinja2
import pytest
from litestar.testing import AsyncTestClient

from picking.bags import BagCode
from tests.integration.test_substitution_http import (
    Customer,
    line_of,
    offer,
    outbox,
    short_order,
)
from tests.support.handover import picked_order
from tests.support.people import Person, unwrapped
from tests.support.shop import NOW, kefir_unit
from tests.support.view_guard import AggregateInTemplate, Guard


async def _person(client: AsyncTestClient[Any], key: str) -> Person:
    person = Person(client, key)
    response = await person.sign_in()
    assert response.status_code in (302, 303), response.text[:300]
    return person


async def test_the_customer_link_and_the_substitute_page_render_from_views(
        db: Any, shop: Any, picker: Person, phone: Any, view_guard: Guard) -> None:
    order_id, milk = await short_order(db, shop, picker, {"milk": 2, "bread": 1}, "milk")
    choose = await picker.get(f"/pick/{order_id}/lines/{milk}/substitute")
    assert choose.status_code == 200 and 'data-sku="kefir"' in choose.text
    assert "Substitute for Milk 3.2% 930 ml" in unwrapped(choose.text)
    refused = await offer(picker, order_id, milk, "0000000000000")  # the page again, 4xx
    assert refused.status_code >= 400 and "Substitute for Milk" in refused.text
    assert (await offer(picker, order_id, milk, kefir_unit())).status_code == 303
    again = await picker.get(f"/pick/{order_id}/lines/{milk}/substitute")
    assert "Waiting for the customer" in again.text

    (proposed,) = await outbox(db, order_id, "SubstitutionProposed")
    customer = Customer(phone, proposed["customer_url"])
    page = await customer.open()
    assert page.status_code == 200 and "Kefir 1% 900 ml" in unwrapped(page.text)
    assert 'data-status="proposed"' in page.text and 'data-total="2"' in page.text
    bread = await line_of(db, order_id, "bread")
    fallback = await phone.post(f"{customer.path}/lines/{milk}/fallback",
                                data={"fallback": "best_match"},
                                headers={"HX-Request": "true", "x-csrftoken": customer.csrf})
    assert fallback.status_code == 200 and 'data-fallback="best_match"' in fallback.text
    ahead = await phone.post(f"{customer.path}/lines/{bread}/choose", data={"choice": "none"},
                             headers={"HX-Request": "true", "x-csrftoken": customer.csrf})
    assert ahead.status_code == 200 and 'id="customer-advance"' in ahead.text
    assert "Noted: if it is missing, we will refund it." in ahead.text
    answered = await customer.answer(proposed["proposal"], "approve")
    assert answered.status_code == 200 and 'data-status="approved"' in answered.text
    plain = await customer.answer(proposed["proposal"], "approve", htmx=False)
    assert plain.status_code == 303  # without htmx: the page again, by redirect
    assert (await phone.get(plain.headers["location"])).status_code == 200
    code = await phone.post(f"{customer.path}/code", headers={"x-csrftoken": customer.csrf})
    assert code.status_code == 200 and 'id="pickup"' in code.text
    assert view_guard.refused == []


async def test_packing_courier_and_counter_screens_render_from_views(
        db: Any, shop: Any, client: AsyncTestClient[Any], clock: Any,
        view_guard: Guard) -> None:
    packer = await _person(client, "picker")
    delivery = await picked_order(db, shop, {"beer": 1, "milk": 1}, oms_id="V-1")
    pack = await packer.get(f"/pack/{delivery}")
    assert pack.status_code == 200 and "Lager 0.5 l" in unwrapped(pack.text)
    assert 'Pack <span class="nowrap">V-1</span>' in pack.text  # never split at its hyphen
    packed = await packer.post(f"/pack/{delivery}", {"bags_ambient": "1", "bags_chilled": "1",
                                                     "place_ambient": "Shelf 1",
                                                     "place_chilled": "Fridge 1"})
    assert packed.status_code == 303, packed.text[:300]
    labels = await packer.get(f"/pack/{delivery}/labels")
    assert labels.status_code == 200 and labels.text.count("data-adult-bag") == 1
    assert "Out of the cold: 5\u00a0min" in labels.text

    courier = await _person(client, "courier")
    assert (await courier.get("/courier/")).status_code == 200
    await courier.post("/courier/scan", {"code": BagCode("V-1", 1, 2, "ambient").text()})
    take = await courier.get(f"/courier/take/{delivery}")
    assert take.status_code == 200 and "1 of 2 bags scanned" in unwrapped(take.text)
    assert "data-adult-notice" in take.text
    second = await courier.post(f"/courier/take/{delivery}/scan",
                                {"code": BagCode("V-1", 2, 2, "chilled").text()})
    assert second.status_code == 200 and "2 of 2 bags scanned" in unwrapped(second.text)
    assert (await courier.post(f"/courier/take/{delivery}")).status_code == 303
    clock.now = NOW + timedelta(minutes=10)
    deliver = await courier.get(f"/courier/orders/{delivery}")
    assert deliver.status_code == 200 and 'name="id_checked"' in deliver.text
    milk = await line_of(db, delivery, "milk")
    refused = await courier.post(f"/courier/orders/{delivery}/refuse",
                                 {"line_id": str(milk), "quantity": "1", "reason": "damaged"})
    assert refused.status_code == 200 and "Refund" in refused.text
    assert "refused" in refused.text

    collect = await picked_order(db, shop, {"bread": 1}, oms_id="V-2", fulfilment="collect")
    packer = await _person(client, "picker")  # one client: the courier's sign-in ended it
    await packer.get(f"/pack/{collect}")
    assert (await packer.post(f"/pack/{collect}", {"bags_ambient": "1",
                                                   "place_ambient": "Shelf 2"})
            ).status_code == 303
    clerk = await _person(client, "clerk")
    assert (await clerk.get("/collect/")).status_code == 200
    counter = await clerk.get(f"/collect/{collect}")
    assert counter.status_code == 200 and "V-2" in counter.text and "Shelf 2" in counter.text
    scanned = await clerk.post(f"/collect/{collect}/scan",
                               {"code": BagCode("V-2", 1, 1, "ambient").text()})
    assert scanned.status_code == 200 and 'data-scanned="yes"' in scanned.text
    assert view_guard.refused == []


async def test_the_board_and_its_order_panel_render_from_views(
        db: Any, shop: Any, client: AsyncTestClient[Any], picker: Person,
        view_guard: Guard) -> None:
    order_id, _milk = await short_order(db, shop, picker, {"milk": 1, "bread": 1}, "milk")
    supervisor = await _person(client, "supervisor")
    board = await supervisor.get("/board/")
    assert board.status_code == 200
    panel = await supervisor.get(f"/board/orders/{order_id}")
    assert panel.status_code == 200 and "Milk 3.2% 930 ml" in unwrapped(panel.text)
    assert "Reopen the line" in panel.text  # a short line while the order is picked
    fragment = await supervisor.post(f"/board/orders/{order_id}/priority", htmx=True)
    assert fragment.status_code == 200 and 'data-priority>1<' in fragment.text
    assert (await supervisor.get("/board/orders/none",
                                 headers={"HX-Request": "true"})).status_code == 200
    assert (await supervisor.get("/board/summary")).status_code == 200
    assert view_guard.refused == []


async def test_the_guard_is_on_here_and_fails_a_render_given_an_order(
        db: Any, shop: Any, picker: Person, view_guard: Guard) -> None:
    from app.db.uow import UnitOfWork

    order_id, _milk = await short_order(db, shop, picker, {"milk": 1}, "milk")
    async with UnitOfWork(db) as uow:
        order = await uow.orders.get(order_id)
    template = jinja2.Environment(loader=jinja2.DictLoader({
        "courier/take.html": "{{ order.oms_id }}"})).get_template("courier/take.html")
    with pytest.raises(AggregateInTemplate, match="order: Order"):
        template.render(order=order)
    assert len(view_guard.refused) == 1
    view_guard.refused.clear()  # the offence was this test's point: teardown stays green
