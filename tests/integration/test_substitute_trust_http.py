"""Substitutes customers trust, over HTTP on SQLite and PostgreSQL: attributes from the
catalog kept, the customer's notes on the line, another kind only by the picker's
choice (issue #15, items 1 and 3)."""

from __future__ import annotations

import html
from typing import Any

import pytest
from sqlalchemy import func, select, update

from app.db import tables
from app.db.repo_oos import SubstituteRepository
from picking.gtin import complete
from picking.model import Product
from tests.integration.test_substitute_page_http import categorise
from tests.integration.test_substitution_http import Customer, line_of, outbox, short_order
from tests.support.oms import OmsClient
from tests.support.people import Person
from tests.support.shop import kefir_unit

LF_MILK = complete("460100200300")
PLAIN_MILK = complete("460100200310")


@pytest.fixture
def oms(client: Any, clock: Any) -> OmsClient:
    return OmsClient(client, clock)


def milk(sku: str, gtin: str, price: int, attributes: list[str]) -> dict[str, Any]:
    return {"sku": sku, "name_ru": f"Молоко {sku}", "name_en": f"Milk {sku}", "unit": "piece",
            "price_minor": price, "zone": "chilled", "aisle": 14, "category": "dairy/milk",
            "barcodes": [gtin], "stock": 20, "brand": "Savushkin", "attributes": attributes,
            "size_text": "1 l"}


async def lf_milk_catalog(oms: OmsClient) -> Any:
    return await oms.send("POST", "/api/v1/stores/MSK-001/catalog", {"products": [
        milk("lf-milk", LF_MILK, 11990, ["Lactose-free", "palm oil free"]),
        milk("plain-milk", PLAIN_MILK, 9990, [])]})


async def test_catalog_attributes_are_kept_shown_and_never_broken_by_a_substitute(
        oms: OmsClient, db: Any, picker: Person) -> None:
    assert (await lf_milk_catalog(oms)).status_code == 200
    listed = {p["sku"]: p for p in (await oms.send("GET", "/api/v1/stores/MSK-001/catalog")
                                    ).json()}
    assert listed["lf-milk"]["attributes"] == ["lactose_free", "palm_oil_free"]
    async with db.reading() as session:  # sizes rank substitutes: read from the size text
        assert await session.scalar(select(tables.products.c.size_amount).where(
            tables.products.c.sku == "lf-milk")) == 1000
    response = await oms.put_order("T-1", version=1, lines={"lf-milk": 1},
                                   customer_id="anna-77")
    assert response.status_code == 200, response.text
    await picker.take_next()
    order_id = int(await _order_id(db, "T-1"))
    line = await line_of(db, order_id, "lf-milk")
    page = html.unescape((await picker.get(f"/pick/{order_id}")).text)
    # the known attribute in words, the unknown one as the catalog sent it
    assert 'data-attribute="lactose_free">lactose-free' in page
    assert 'data-attribute="palm_oil_free">palm_oil_free' in page

    await picker.post(f"/pick/{order_id}/lines/{line}/short", {"reason": "out_of_stock"},
                      htmx=True)
    choose = html.unescape((await picker.get(f"/pick/{order_id}/lines/{line}/substitute")).text)
    assert 'data-sku="plain-milk"' not in choose and "Must stay:" in choose
    refused = await picker.post(f"/pick/{order_id}/lines/{line}/substitute",
                                {"code": PLAIN_MILK, "other_category": "1"})
    assert refused.status_code == 422
    assert "It would not be lactose-free, palm_oil_free like the product ordered" in \
        html.unescape(refused.text)
    assert await outbox(db, order_id, "SubstitutionProposed") == []


async def test_an_unreadable_attribute_is_refused_by_field_and_writes_nothing(
        oms: OmsClient, db: Any) -> None:
    response = await oms.send("POST", "/api/v1/stores/MSK-001/catalog", {"products": [
        milk("lf-milk", LF_MILK, 11990, ["lactose_free", "<b>vegan</b>"])]})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "products[0].attributes[1]", "message":
                                          "only letters a-z, digits, '_', '-' and spaces"}]
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(tables.products)
                                    .where(tables.products.c.sku == "lf-milk")) == 0


async def test_the_customers_notes_reach_the_picker_as_text_and_cap_the_substitute(
        oms: OmsClient, db: Any, picker: Person) -> None:
    await lf_milk_catalog(oms)
    note = '<script>alert("x")</script> greener bananas, please'
    response = await put(oms, "T-2", [{"sku": "plain-milk", "quantity": 1, "note": note,
                                       "max_difference_pct": 10, "same_brand": True}],
                         note="Ring twice & leave at the door")
    assert response.status_code == 200, response.text
    await picker.take_next()
    order_id = int(await _order_id(db, "T-2"))
    page = (await picker.get(f"/pick/{order_id}")).text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; greener bananas, please" in page
    assert "Ring twice &amp; leave at the door" in page
    assert "Same brand only" in page and "At most 10% dearer" in page
    line = await line_of(db, order_id, "plain-milk")
    await picker.post(f"/pick/{order_id}/lines/{line}/short", {"reason": "out_of_stock"},
                      htmx=True)
    choose = html.unescape((await picker.get(f"/pick/{order_id}/lines/{line}/substitute")).text)
    assert 'data-sku="lf-milk"' not in choose  # 20% dearer than the cap allows
    refused = await picker.post(f"/pick/{order_id}/lines/{line}/substitute", {"code": LF_MILK})
    assert refused.status_code == 422
    assert "costs more than the customer allows" in html.unescape(refused.text)


async def test_a_note_of_ten_thousand_characters_is_refused_and_no_order_is_written(
        oms: OmsClient, db: Any) -> None:
    response = await put(oms, "T-3", [{"sku": "milk", "quantity": 1, "note": "x" * 10_000}],
                         note="y" * 10_000)
    assert response.status_code == 422
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert fields == {"lines[0].note": "must be at most 500 characters",
                      "note": "must be at most 1000 characters"}
    assert await _order_id(db, "T-3") is None


async def test_another_kind_is_offered_only_by_the_pickers_choice_and_the_customer_sees_it(
        db: Any, shop: Any, picker: Person, phone: Any, client: Any) -> None:
    await categorise(db, milk="dairy/milk", kefir="dairy/fermented_milk")
    order_id, line = await short_order(db, shop, picker, {"milk": 1}, "milk")
    code = kefir_unit()
    refused = await picker.post(f"/pick/{order_id}/lines/{line}/substitute", {"code": code})
    assert refused.status_code == 422 and "data-offer-other-kind" in refused.text
    assert "This is another kind of product" in html.unescape(refused.text)
    assert await outbox(db, order_id, "SubstitutionProposed") == []
    chosen = await picker.post(f"/pick/{order_id}/lines/{line}/substitute",
                               {"code": code, "other_category": "1"})
    assert chosen.status_code == 303, chosen.text[:300]
    (proposed,) = await outbox(db, order_id, "SubstitutionProposed")
    assert proposed["other_category"] is True  # the OMS can tell the customer too
    customer = Customer(phone, proposed["customer_url"])
    view = await customer.open(headers={"Accept-Language": "en"})
    assert "data-other-kind" in view.text and "Another kind of product" in view.text
    assert (await customer.answer(proposed["proposal"], "approve")).status_code == 200

    supervisor = Person(client, "supervisor")
    await supervisor.sign_in()
    board = html.unescape((await supervisor.get("/board/")).text)
    assert 'data-kpi="acceptance"' in board
    kpi = " ".join(board.split('data-kpi="acceptance">', 1)[1].split("</p>", 1)[0].split())
    assert kpi == ("Substitutes accepted, last 7 days: <strong>100,0%</strong> "
                   "<small>(1 of 1)</small>")


async def put(oms: OmsClient, oms_id: str, lines: list[dict[str, Any]], **extra: Any) -> Any:
    payload = {"version": 1, "due_at": "2026-11-22T11:00:00+03:00", "lines": lines, **extra}
    return await oms.send("PUT", oms.order_path(oms_id), payload)


async def _order_id(db: Any, oms_id: str) -> int | None:
    async with db.reading() as session:
        return await session.scalar(select(tables.orders.c.id)
                                    .where(tables.orders.c.oms_id == oms_id))


async def test_what_this_customer_accepted_before_is_counted_for_them_alone(
        db: Any, shop: Any, picker: Person, phone: Any) -> None:
    order_id, milk_line = await short_order(db, shop, picker, {"milk": 1}, "milk")
    async with db.writing() as session:
        await session.execute(update(tables.orders).where(tables.orders.c.id == order_id)
                              .values(customer_ref="anna-77"))
        await session.commit()
    assert (await picker.post(f"/pick/{order_id}/lines/{milk_line}/substitute",
                              {"code": kefir_unit()})).status_code == 303
    (proposed,) = await outbox(db, order_id, "SubstitutionProposed")
    customer = Customer(phone, proposed["customer_url"])
    await customer.open()
    assert (await customer.answer(proposed["proposal"], "approve")).status_code == 200

    async with db.reading() as session:
        milk = (await session.scalars(select(Product).where(
            tables.products.c.sku == "milk", tables.products.c.store_id == shop.store_id))).one()
        accepted_before = SubstituteRepository(session).accepted_before
        assert await accepted_before(milk, "anna-77") == {"kefir": 1}
        assert await accepted_before(milk, "boris-12") == {}
        assert await accepted_before(milk) == {"kefir": 1}


async def test_a_newer_version_changes_the_notes_and_wishes_of_a_line(
        oms: OmsClient, db: Any) -> None:
    await lf_milk_catalog(oms)
    await put(oms, "T-4", [{"sku": "plain-milk", "quantity": 1, "note": "greener",
                            "same_brand": True}], note="first")
    response = await put(oms, "T-4", [{"sku": "plain-milk", "quantity": 2,
                                       "max_difference_pct": 0}], version=2)
    assert response.json()["status"] == "updated", response.text
    async with db.reading() as session:
        ln, o = tables.order_lines.c, tables.orders.c
        row = (await session.execute(select(ln.note, ln.same_brand, ln.max_difference_pct,
                                            o.note).join(tables.orders, o.id == ln.order_id)
                                     .where(o.oms_id == "T-4"))).one()
    assert tuple(row) == (None, False, 0, None)
