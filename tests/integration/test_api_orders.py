"""The OMS creates, replaces and cancels orders through the signed API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.db import tables
from app.db.tables_sync import oms_request_signatures
from tests.support.oms import OmsClient


@pytest.fixture
def oms(client: Any, clock: Any) -> OmsClient:
    return OmsClient(client, clock)


async def count(db: Any, table: Any) -> int:
    async with db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(table)))


async def order_row(db: Any, oms_id: str) -> Any:
    async with db.reading() as session:
        o = tables.orders.c
        return (await session.execute(select(tables.orders).where(o.oms_id == oms_id))).first()


async def lines_of(db: Any, oms_id: str) -> dict[str, int]:
    async with db.reading() as session:
        o, ln, p = tables.orders.c, tables.order_lines.c, tables.products.c
        rows = await session.execute(
            select(p.sku, ln.quantity).join(tables.order_lines, ln.product_id == p.id)
            .join(tables.orders, o.id == ln.order_id).where(o.oms_id == oms_id))
        return dict(rows.all())


async def test_a_new_order_lands_in_the_queue(oms: OmsClient, db: Any) -> None:
    response = await oms.put_order("W-100", version=1, lines={"milk": 2, "bananas": 1200})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "created"
    row = await order_row(db, "W-100")
    assert (row.status, row.oms_version, row.customer_name) == ("queued", 1, "Анна")
    assert await lines_of(db, "W-100") == {"milk": 2, "bananas": 1200}


async def test_an_older_or_equal_version_is_acknowledged_and_ignored(
        oms: OmsClient, db: Any) -> None:
    await oms.put_order("W-101", version=3, lines={"milk": 2})
    for version in (3, 2):
        response = await oms.put_order("W-101", version=version, lines={"water": 6})
        assert response.status_code == 200
        assert response.json() == {"status": "ignored", "oms_id": "W-101", "version": 3,
                                    "order_status": "queued"}
    assert await lines_of(db, "W-101") == {"milk": 2}


async def test_a_newer_version_replaces_the_lines_of_a_queued_order(
        oms: OmsClient, db: Any) -> None:
    await oms.put_order("W-102", version=1, lines={"milk": 2, "bread": 1})
    response = await oms.put_order("W-102", version=2, lines={"milk": 3, "pizza": 1})
    assert response.json()["status"] == "updated"
    assert await lines_of(db, "W-102") == {"milk": 3, "pizza": 1}


async def test_an_invalid_line_is_named_precisely_and_nothing_is_written(
        oms: OmsClient, db: Any) -> None:
    response = await oms.put_order("W-103", version=1,
                                   lines={"milk": 2, "bread": 1, "pizza": 0})
    assert response.status_code == 422
    assert {"field": "lines[2].quantity", "message": "must be >= 1"} in response.json()["errors"]
    assert await order_row(db, "W-103") is None
    assert await count(db, oms_request_signatures) == 1  # a refused request is not resendable


async def test_a_product_the_store_does_not_sell_is_refused(oms: OmsClient, db: Any) -> None:
    response = await oms.put_order("W-104", version=1, lines={"milk": 1, "caviar": 1})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "lines[1].sku",
                                          "message": "no such product in this store"}]
    assert await order_row(db, "W-104") is None


async def test_a_wrong_type_names_the_field(oms: OmsClient) -> None:
    response = await oms.send("PUT", oms.order_path("W-105"), {
        "version": 1, "due_at": "2026-11-22T11:00:00+03:00",
        "lines": [{"sku": "milk", "quantity": "two"}]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "lines[0].quantity"


async def test_an_unknown_store_gets_404_and_nothing_is_written(oms: OmsClient, db: Any) -> None:
    oms.store = "NOWHERE-9"
    response = await oms.put_order("W-106", version=1, lines={"milk": 1})
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "store"
    assert await order_row(db, "W-106") is None


async def test_a_bad_signature_is_refused_before_anything_else(oms: OmsClient, db: Any) -> None:
    oms.secret = "not-the-shared-secret"
    response = await oms.put_order("W-107", version=1, lines={"milk": 1})
    assert response.status_code == 401
    assert response.json()["errors"] == [{"field": "X-Storepick-Signature",
                                          "message": "does not match the method, path and body"}]
    assert await order_row(db, "W-107") is None


async def test_a_request_signed_too_long_ago_is_refused(oms: OmsClient, clock: Any) -> None:
    stale = int(clock.now.timestamp()) - 301
    response = await oms.send("PUT", oms.order_path("W-108"), {"version": 1},
                              timestamp=stale)
    assert response.status_code == 401
    assert response.json()["errors"][0]["field"] == "X-Storepick-Timestamp"


async def test_a_replayed_request_is_refused_but_a_fresh_retry_is_acknowledged(
        oms: OmsClient, clock: Any) -> None:
    await oms.put_order("W-109", version=1, lines={"milk": 1})
    replay = await oms.replay_last()
    assert replay.status_code == 409
    assert replay.json()["errors"][0]["message"].startswith("replayed request")
    clock.now += timedelta(seconds=1)
    fresh = await oms.put_order("W-109", version=1, lines={"milk": 1})
    assert fresh.json()["status"] == "ignored"


async def test_the_api_is_described_in_the_openapi_schema(client: Any) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/api/v1/stores/{store}/orders/{oms_id}"]["put"]
    assert {"200", "401", "404", "409", "422"} <= set(operation["responses"])
    assert "OrderIn" in str(operation["requestBody"])
