"""The OMS changes its mind: cancellations and new versions while a picker works,
and the catalog and stock it keeps up to date."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from app.db import tables
from tests.integration.test_api_orders import lines_of, order_row
from tests.support.oms import OmsClient
from tests.support.shop import MILK


@pytest.fixture
def oms(client: Any, clock: Any) -> OmsClient:
    return OmsClient(client, clock)


async def outbox_types(db: Any, oms_id: str) -> list[str]:
    async with db.reading() as session:
        o = tables.outbox.c
        rows = await session.execute(select(o.type, o.envelope).where(o.oms_order_id == oms_id)
                                     .order_by(o.sequence))
        return [r.type for r in rows.all()]


async def test_a_cancelled_order_leaves_the_queue(oms: OmsClient, picker: Any, db: Any) -> None:
    await oms.put_order("W-200", version=1, lines={"milk": 1})
    response = await oms.cancel("W-200")
    assert response.json()["status"] == "cancelled"
    assert (await order_row(db, "W-200")).status == "cancelled"
    assert await outbox_types(db, "W-200") == ["OrderCancelled"]
    taken = await picker.post("/pick/next")
    assert taken.status_code == 200 and "No orders are waiting" in taken.text


async def test_the_picker_is_told_on_the_next_scan_that_the_order_was_cancelled(
        oms: OmsClient, picker: Any, db: Any) -> None:
    await oms.put_order("W-201", version=1, lines={"milk": 2})
    order_id = await picker.take_next()
    await picker.scan(order_id, MILK)
    await oms.cancel("W-201")
    response = await picker.scan(order_id, MILK)
    assert response.status_code == 409
    assert "This order was cancelled" in response.text
    assert await outbox_types(db, "W-201") == ["PickingStarted", "ItemScanned", "OrderCancelled"]


async def test_cancelling_twice_is_acknowledged_and_ignored(oms: OmsClient, clock: Any) -> None:
    await oms.put_order("W-202", version=1, lines={"milk": 1})
    await oms.cancel("W-202")
    again = await oms.cancel("W-202", reason="retry")
    assert again.status_code == 200 and again.json()["status"] == "ignored"


async def test_a_new_version_after_cancellation_is_refused(oms: OmsClient) -> None:
    await oms.put_order("W-203", version=1, lines={"milk": 1})
    await oms.cancel("W-203")
    response = await oms.put_order("W-203", version=2, lines={"milk": 1})
    assert response.status_code == 409


async def test_cancelling_an_unknown_order_is_404(oms: OmsClient) -> None:
    response = await oms.cancel("W-NOPE")
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "oms_id"


async def test_while_picking_lines_can_be_added_and_raised_but_not_below_the_basket(
        oms: OmsClient, picker: Any, db: Any) -> None:
    await oms.put_order("W-204", version=1, lines={"milk": 2, "bread": 1})
    order_id = await picker.take_next()
    await picker.scan(order_id, MILK)
    lowered = await oms.put_order("W-204", version=2, lines={"milk": 0 + 1, "bread": 1})
    assert lowered.status_code == 200  # 1 milk picked, 1 wanted: allowed
    raised = await oms.put_order("W-204", version=3, lines={"milk": 3, "pizza": 1})
    assert raised.json()["status"] == "updated"
    assert await lines_of(db, "W-204") == {"milk": 3, "pizza": 1}
    refused = await oms.put_order("W-204", version=4, lines={"pizza": 1})
    assert refused.status_code == 409
    assert "line already picked" in refused.json()["errors"][0]["message"]
    assert (await order_row(db, "W-204")).oms_version == 3
    assert (await outbox_types(db, "W-204"))[-2:] == ["OrderRevised", "OrderRevised"]


async def test_a_finished_order_refuses_new_versions(oms: OmsClient, picker: Any) -> None:
    await oms.put_order("W-205", version=1, lines={"milk": 1})
    order_id = await picker.take_next()
    await picker.scan(order_id, MILK)
    await picker.post(f"/pick/{order_id}/finish")
    response = await oms.put_order("W-205", version=2, lines={"milk": 2})
    assert response.status_code == 409
    assert "picking finished" in response.json()["errors"][0]["message"]


async def test_the_catalog_is_upserted_with_barcodes_plu_and_stock(
        oms: OmsClient, db: Any, shop: Any) -> None:
    products = [
        {"sku": "milk", "name_ru": "Молоко 2,5%", "name_en": "Milk 2.5%", "unit": "piece",
         "price_minor": 8990, "zone": "chilled", "aisle": 14, "barcodes": ["4601234567893",
                                                                             "4600000000008"]},
        {"sku": "apples", "name_ru": "Яблоки", "name_en": "Apples", "unit": "weight",
         "price_minor": 15990, "plu": "10202", "stock": 40, "aisle": 2, "shelf": "B2"},
    ]
    response = await oms.send("POST", "/api/v1/stores/MSK-001/catalog", {"products": products})
    assert response.json() == {"status": "applied", "created": 1, "updated": 1}
    stock = await oms.send("POST", "/api/v1/stores/MSK-001/stock",
                           {"levels": [{"sku": "apples", "stock": 12}]})
    assert stock.status_code == 200
    listed = {p["sku"]: p
              for p in (await oms.send("GET", "/api/v1/stores/MSK-001/catalog")).json()}
    assert listed["milk"]["price_minor"] == 8990 and listed["apples"]["stock"] == 12
    async with db.reading() as session:
        b = tables.product_barcodes.c
        gtins = (await session.scalars(select(b.gtin).join(
            tables.products, tables.products.c.id == b.product_id).where(
            tables.products.c.sku == "milk", b.store_id == shop.store_id))).all()
    assert sorted(gtins) == ["04600000000008", "04601234567893"]


async def test_an_invalid_catalog_names_every_bad_field_and_writes_nothing(
        oms: OmsClient) -> None:
    products = [{"sku": "tea", "name_ru": "Чай", "name_en": "Tea" * 101, "unit": "piece",
                 "price_minor": -1, "barcodes": ["4601234567890"]},
                {"sku": "tea2", "name_ru": "Чай", "name_en": "Tea", "unit": "piece",
                 "price_minor": 100, "category": "c" * 65}]
    response = await oms.send("POST", "/api/v1/stores/MSK-001/catalog", {"products": products})
    assert response.status_code == 422
    assert json.loads(response.text)["errors"] == [
        {"field": "products[0].name_en", "message": "must be at most 300 characters"},
        {"field": "products[0].price_minor", "message": "must be >= 0"},
        {"field": "products[1].category", "message": "must be at most 64 characters"}]
    products[0].update(name_en="Tea", price_minor=1)
    del products[1]
    response = await oms.send("POST", "/api/v1/stores/MSK-001/catalog", {"products": products})
    assert json.loads(response.text)["errors"] == [
        {"field": "products[0].barcodes[0]", "message": "not a valid GTIN"}]
    listed = (await oms.send("GET", "/api/v1/stores/MSK-001/catalog")).json()
    assert "tea" not in {p["sku"] for p in listed}


async def test_stock_for_an_unknown_product_is_refused(oms: OmsClient) -> None:
    response = await oms.send("POST", "/api/v1/stores/MSK-001/stock",
                              {"levels": [{"sku": "milk", "stock": 5},
                                          {"sku": "caviar", "stock": 1}]})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "levels[1].sku",
                                          "message": "no such product in this store"}]
