"""Substitutes over HTTP, on SQLite and PostgreSQL: the picker offers, the customer
answers from the link, and the outbox keeps every proposal and decision."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from app.db import tables
from app.db.tables_substitutions import customer_links, substitution_proposals
from tests.support.people import Person, unwrapped
from tests.support.shop import NOT_IN_ANY_ORDER, add_order, kefir_unit

_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


class CookieJarSwap:
    """Sends requests through the test client with a cookie jar of its own."""

    def __init__(self, client: Any) -> None:
        self.client, self.cookies = client, httpx.Cookies()

    async def request(self, method: str, url: str, **kw: Any) -> Any:
        staff_cookies, self.client.cookies = self.client.cookies, self.cookies
        try:
            return await self.client.request(method, url, **kw)
        finally:
            self.cookies, self.client.cookies = self.client.cookies, staff_cookies

    async def get(self, url: str, **kw: Any) -> Any:
        return await self.request("GET", url, **kw)

    async def post(self, url: str, **kw: Any) -> Any:
        return await self.request("POST", url, **kw)


class Customer:
    """Someone who opened the link from the SMS: no sign-in, just the URL."""

    def __init__(self, client: Any, url: str) -> None:
        self.client, self.path = client, "/" + url.split("://", 1)[1].split("/", 1)[1]
        self.csrf = ""

    async def open(self, **kw: Any) -> Any:
        response = await self.client.get(self.path, **kw)
        found = _CSRF.search(response.text)
        self.csrf = found.group(1) if found else self.csrf
        return response

    async def answer(self, ref: str, decision: str, *, csrf: bool = True, htmx: bool = True,
                     **fields: str) -> Any:
        headers = {"HX-Request": "true"} if htmx else {}
        if csrf:
            headers["x-csrftoken"] = self.csrf
        return await self.client.post(f"{self.path}/p/{ref}", data={"decision": decision,
                                      **fields}, headers=headers, follow_redirects=False)


async def short_order(db: Any, shop: Any, picker: Person, lines: dict[str, int],
                      sku: str) -> tuple[int, int]:
    async with db.writing() as session:
        order_id = await add_order(session, shop, lines)
    await picker.take_next()
    line_id = await line_of(db, order_id, sku)
    response = await picker.post(f"/pick/{order_id}/lines/{line_id}/short",
                                 {"reason": "out_of_stock"}, htmx=True)
    assert response.status_code == 200, response.text[:300]
    return order_id, line_id


async def line_of(db: Any, order_id: int, sku: str) -> int:
    async with db.reading() as session:
        return int(await session.scalar(
            select(tables.order_lines.c.id)
            .join(tables.products, tables.products.c.id == tables.order_lines.c.product_id)
            .where(tables.order_lines.c.order_id == order_id, tables.products.c.sku == sku)))


async def outbox(db: Any, order_id: int, kind: str) -> list[dict[str, Any]]:
    async with db.reading() as session:
        rows = await session.scalars(
            select(tables.outbox.c.envelope)
            .where(tables.outbox.c.order_id == order_id, tables.outbox.c.type == kind)
            .order_by(tables.outbox.c.sequence))
        return [json.loads(row)["payload"] for row in rows]


async def offer(picker: Person, order_id: int, line_id: int, code: str) -> Any:
    return await picker.post(f"/pick/{order_id}/lines/{line_id}/substitute", {"code": code})


async def test_the_picker_offers_a_scanned_substitute_and_the_customer_approves_it(
        db: Any, shop: Any, picker: Person, phone: Any) -> None:
    order_id, milk = await short_order(db, shop, picker, {"milk": 2, "bread": 1}, "milk")
    choose = await picker.get(f"/pick/{order_id}/lines/{milk}/substitute")
    assert choose.status_code == 200 and 'data-sku="kefir"' in choose.text
    assert 'data-sku="beer"' not in choose.text

    response = await offer(picker, order_id, milk, kefir_unit())
    assert response.status_code == 303, response.text[:400]
    (proposed,) = await outbox(db, order_id, "SubstitutionProposed")
    assert proposed["customer_url"].startswith("http://testserver.local/c/")  # as the picker
    assert proposed["sku"] == "kefir" and proposed["quantity"] == 2
    page = await picker.get(f"/pick/{order_id}")
    assert "Waiting for the customer" in page.text

    customer = Customer(phone, proposed["customer_url"])
    view = await customer.open(headers={"Accept-Language": "en"})
    assert view.status_code == 200
    assert "Kefir 1% 900 ml" in unwrapped(view.text) and "Milk 3.2% 930 ml" in unwrapped(view.text)
    answered = await customer.answer(proposed["proposal"], "approve")
    assert answered.status_code == 200 and 'data-status="approved"' in answered.text

    (decided,) = await outbox(db, order_id, "SubstitutionDecided")
    assert (decided["outcome"], decided["decided_by"]) == ("approved", "customer")
    assert decided["charged_unit_price_minor"] == shop.prices["kefir"]
    page = await picker.get(f"/pick/{order_id}")
    assert "Substitute for Milk 3.2% 930 ml" in unwrapped(page.text)


async def test_the_customer_page_speaks_russian_when_asked_for(
        db: Any, shop: Any, picker: Person, phone: Any) -> None:
    order_id, milk = await short_order(db, shop, picker, {"milk": 1}, "milk")
    await offer(picker, order_id, milk, kefir_unit())
    (proposed,) = await outbox(db, order_id, "SubstitutionProposed")
    customer = Customer(phone, proposed["customer_url"])
    view = await customer.open(headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert "Кефир 1% 900 мл" in unwrapped(view.text) and "Одобрить" in view.text
    english = await phone.get(customer.path + "?lang=en")
    assert "Approve" in english.text


async def test_a_dearer_substitute_costs_the_ordered_price_unless_the_difference_is_approved(
        db: Any, shop: Any, picker: Person, phone: Any) -> None:
    order_id, bread = await short_order(db, shop, picker, {"bread": 1}, "bread")
    await offer(picker, order_id, bread, NOT_IN_ANY_ORDER)  # rye bread, 10 roubles dearer
    (proposed,) = await outbox(db, order_id, "SubstitutionProposed")
    customer = Customer(phone, proposed["customer_url"])
    view = await customer.open()
    assert "accept_difference" in view.text
    await customer.answer(proposed["proposal"], "approve")
    (decided,) = await outbox(db, order_id, "SubstitutionDecided")
    assert decided["charged_unit_price_minor"] == shop.prices["bread"]
    assert decided["difference_approved"] is False


async def test_a_rejected_substitute_leaves_the_line_short_and_is_kept_on_record(
        db: Any, shop: Any, picker: Person, phone: Any) -> None:
    order_id, milk = await short_order(db, shop, picker, {"milk": 1}, "milk")
    await offer(picker, order_id, milk, kefir_unit())
    (proposed,) = await outbox(db, order_id, "SubstitutionProposed")
    customer = Customer(phone, proposed["customer_url"])
    await customer.open()
    await customer.answer(proposed["proposal"], "reject")
    again = await customer.answer(proposed["proposal"], "approve")
    assert again.status_code == 409
    async with db.reading() as session:
        rows = (await session.execute(select(substitution_proposals.c.status))).all()
        state = await session.scalar(select(tables.order_lines.c.state)
                                     .where(tables.order_lines.c.id == milk))
    assert [r.status for r in rows] == ["rejected"] and state == "short"


async def test_a_non_substitutable_or_age_restricted_offer_is_refused_and_writes_nothing(
        db: Any, shop: Any, picker: Person) -> None:
    from tests.support.shop import BEER
    order_id, milk = await short_order(db, shop, picker, {"milk": 1}, "milk")
    refused = await offer(picker, order_id, milk, BEER)
    assert refused.status_code == 422 and "age-restricted" in refused.text
    async with db.reading() as session:
        assert (await session.scalar(select(customer_links.c.order_id))) is None
    assert await outbox(db, order_id, "SubstitutionProposed") == []


async def test_finishing_with_an_open_proposal_applies_the_fallback(
        db: Any, shop: Any, picker: Person, clock: Any) -> None:
    order_id, milk = await short_order(db, shop, picker, {"milk": 1}, "milk")
    await offer(picker, order_id, milk, kefir_unit())
    clock.now += timedelta(minutes=2)
    done = await picker.post(f"/pick/{order_id}/finish")
    assert done.status_code == 303, done.text[:300]
    (decided,) = await outbox(db, order_id, "SubstitutionDecided")
    assert (decided["outcome"], decided["decided_by"], decided["fallback"]) == (
        "timed_out", "picker_finished", "refund")
