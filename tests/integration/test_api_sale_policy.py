"""What a store may sell at a distance, enforced where orders come in: the signed API.

The test shop is in Russia (ru_RU): beer is alcohol, so it may be collected at the
counter but not delivered; cigarettes may not be ordered online at all.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update

from app.db import tables
from app.db.tables_sync import oms_request_signatures
from tests.support.oms import OmsClient

BEER_FOR_DELIVERY = ("beer is alcohol: this store may not sell it for delivery "
                     "(distance-sale rules); allowed for: collect")


@pytest.fixture
def oms(client: Any, clock: Any) -> OmsClient:
    return OmsClient(client, clock)


async def orders_named(db: Any, oms_id: str) -> int:
    async with db.reading() as session:
        return int(await session.scalar(select(func.count()).where(
            tables.orders.c.oms_id == oms_id)) or 0)


async def set_store(db: Any, **values: Any) -> None:
    async with db.writing() as session:
        await session.execute(update(tables.stores).where(tables.stores.c.code == "MSK-001")
                              .values(**values))
        await session.commit()


async def test_beer_in_a_delivery_order_is_refused_with_the_line_named_and_nothing_written(
        oms: OmsClient, db: Any) -> None:
    response = await oms.put_order("SP-1", version=1, lines={"milk": 1, "beer": 2},
                                   fulfilment="delivery", address="Тверская 7")
    assert response.status_code == 422
    assert response.json() == {"errors": [{"field": "lines[1].sku",
                                           "message": BEER_FOR_DELIVERY}]}
    assert await orders_named(db, "SP-1") == 0
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(
            oms_request_signatures)) == 1  # kept: a refused request cannot be replayed either


async def test_beer_for_click_and_collect_is_accepted(oms: OmsClient, db: Any) -> None:
    response = await oms.put_order("SP-2", version=1, lines={"milk": 1, "beer": 2},
                                   fulfilment="collect")
    assert response.status_code == 200, response.text
    assert await orders_named(db, "SP-2") == 1


async def test_a_revision_turning_a_collection_with_beer_into_a_delivery_is_refused(
        oms: OmsClient, db: Any) -> None:
    await oms.put_order("SP-3", version=1, lines={"beer": 1}, fulfilment="collect")
    response = await oms.put_order("SP-3", version=2, lines={"beer": 1}, fulfilment="delivery")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "lines[0].sku"
    async with db.reading() as session:
        row = (await session.execute(select(tables.orders.c.oms_version,
                                            tables.orders.c.fulfilment)
                                     .where(tables.orders.c.oms_id == "SP-3"))).one()
    assert tuple(row) == (1, "collect")


async def test_beer_named_as_the_substitute_of_a_delivered_line_is_refused(
        oms: OmsClient, db: Any) -> None:
    payload = {"version": 1, "due_at": "2026-11-22T11:00:00+03:00", "fulfilment": "delivery",
               "lines": [{"sku": "water", "quantity": 1, "substitution": "specific",
                          "specific_sku": "beer"}]}
    response = await oms.send("PUT", oms.order_path("SP-4"), payload)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["lines[0].specific_sku"]


async def test_cigarettes_are_not_sold_to_online_orders_at_all(
        oms: OmsClient, db: Any) -> None:
    cigarettes = {"sku": "cigarettes", "name_ru": "Сигареты", "name_en": "Cigarettes",
                  "unit": "piece", "price_minor": 22000, "category": "tobacco",
                  "marked": True, "age_restricted": True}
    added = await oms.send("POST", f"/api/v1/stores/{oms.store}/catalog",
                           {"products": [cigarettes]})
    assert added.status_code == 200, added.text
    for fulfilment in ("delivery", "collect"):
        response = await oms.put_order(f"SP-5-{fulfilment}", version=1,
                                       lines={"cigarettes": 1}, fulfilment=fulfilment)
        assert response.status_code == 422
        assert response.json()["errors"] == [{"field": "lines[0].sku", "message": (
            f"cigarettes is tobacco: this store may not sell it for {fulfilment} "
            "(distance-sale rules); not sold to online orders")}]


async def test_the_catalog_tells_the_oms_what_each_product_may_be_ordered_for(
        oms: OmsClient) -> None:
    catalog = (await oms.send("GET", f"/api/v1/stores/{oms.store}/catalog")).json()
    allowed = {entry["sku"]: entry["fulfilments"] for entry in catalog}
    assert allowed["beer"] == ["collect"]
    assert allowed["milk"] == ["delivery", "collect"]


async def test_a_store_sets_its_own_policy_per_group(oms: OmsClient, db: Any) -> None:
    await set_store(db, sale_policy={"alcohol": []})  # this store sells no alcohol online
    refused = await oms.put_order("SP-6", version=1, lines={"beer": 1}, fulfilment="collect")
    assert refused.status_code == 422
    assert "not sold to online orders" in refused.json()["errors"][0]["message"]
    await set_store(db, sale_policy=None, locale="de_DE")  # outside Russia: no default limit
    accepted = await oms.put_order("SP-7", version=1, lines={"beer": 1}, fulfilment="delivery")
    assert accepted.status_code == 200, accepted.text
