"""Every input of the OMS API is bounded: past a bound is a 422 naming the field,
never a 500, never a database message (issue #18: 9 such 500s on SQLite, 21 on
PostgreSQL, among them an address over 400 characters and three integer overflows)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.test_api_orders import order_row
from tests.support.oms import OmsClient

ORDER = {"version": 1, "due_at": "2026-11-22T11:00:00+03:00",
         "lines": [{"sku": "milk", "quantity": 1}]}
PRODUCT = {"sku": "tea", "name_ru": "Чай", "name_en": "Tea", "unit": "piece", "price_minor": 100}


@pytest.fixture
def oms(client: Any, clock: Any) -> OmsClient:
    return OmsClient(client, clock)


def with_line(**line: Any) -> dict[str, Any]:
    return {**ORDER, "lines": [{"sku": "milk", "quantity": 1, **line}]}


@pytest.mark.parametrize(("payload", "field"), [
    ({**ORDER, "address": "а" * 401}, "address"),
    ({**ORDER, "customer_name": "я" * 201}, "customer_name"),
    ({**ORDER, "customer_phone": "9" * 41}, "customer_phone"),
    ({**ORDER, "version": 2**31}, "version"),
    ({**ORDER, "version": 10**30}, "version"),
    ({**ORDER, "priority": 2**40}, "priority"),
    ({**ORDER, "lines": [{"sku": f"s{i}", "quantity": 1} for i in range(501)]}, "lines"),
    (with_line(quantity=2**63), "lines[0].quantity"),
    (with_line(unit_price_minor=2**63), "lines[0].unit_price_minor"),
    (with_line(sku="x" * 65), "lines[0].sku"),
    (with_line(substitution="specific", specific_sku="y" * 65), "lines[0].specific_sku"),
])
async def test_an_order_past_a_bound_is_refused_by_field(
        oms: OmsClient, db: Any, payload: dict[str, Any], field: str) -> None:
    response = await oms.send("PUT", oms.order_path("W-400"), payload)
    assert response.status_code == 422, response.text
    assert field in {e["field"] for e in response.json()["errors"]}, response.text
    assert await order_row(db, "W-400") is None


async def test_an_address_of_400_characters_reaches_the_store(oms: OmsClient, db: Any) -> None:
    response = await oms.send("PUT", oms.order_path("W-401"), {**ORDER, "address": "д" * 400})
    assert response.status_code == 200, response.text
    assert (await order_row(db, "W-401")).address == "д" * 400


@pytest.mark.parametrize(("product", "field"), [
    ({"category": "c" * 65}, "products[0].category"),
    ({"size_text": "1" * 33}, "products[0].size_text"),
    ({"stock": 2**31}, "products[0].stock"),
    ({"aisle": 2**31}, "products[0].aisle"),
    ({"sequence": 2**40}, "products[0].sequence"),
    ({"price_minor": 2**63}, "products[0].price_minor"),
    ({"barcodes": ["4601234567890"] * 33}, "products[0].barcodes"),
    ({"barcodes": ["4" * 15]}, "products[0].barcodes[0]"),
    ({"plu": "1" * 9}, "products[0].plu"),
])
async def test_a_catalog_entry_past_a_bound_is_refused_by_field(
        oms: OmsClient, product: dict[str, Any], field: str) -> None:
    response = await oms.send("POST", "/api/v1/stores/MSK-001/catalog",
                              {"products": [{**PRODUCT, **product}]})
    assert response.status_code == 422, response.text
    assert field in {e["field"] for e in response.json()["errors"]}, response.text


async def test_stock_past_a_bound_is_refused_by_field(oms: OmsClient) -> None:
    response = await oms.send("POST", "/api/v1/stores/MSK-001/stock",
                              {"levels": [{"sku": "milk", "stock": 907230436534925}]})
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"field": "levels[0].stock",
                                          "message": "must be <= 1000000000"}]


@pytest.mark.parametrize(("path", "field"), [
    ("/api/v1/stores/MSK-001/orders/" + "W" * 65, "oms_id"),
    ("/api/v1/stores/" + "S" * 33 + "/orders/W-1", "store"),
])
async def test_path_values_past_a_bound_are_refused(oms: OmsClient, path: str,
                                                    field: str) -> None:
    response = await oms.send("PUT", path, ORDER)
    assert response.status_code == 422, response.text
    assert field in {e["field"] for e in response.json()["errors"]}


async def test_a_long_cancel_reason_is_refused_but_a_fair_one_is_kept(
        oms: OmsClient, db: Any) -> None:
    await oms.put_order("W-402", version=1, lines={"milk": 1})
    assert (await oms.cancel("W-402", reason="r" * 1001)).status_code == 422
    assert (await order_row(db, "W-402")).status == "queued"
    assert (await oms.cancel("W-402", reason="r" * 1000)).status_code == 200


async def test_deep_nesting_is_refused_before_parsing(oms: OmsClient) -> None:
    body = b'{"version": 1, "extra": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    response = await oms.send("PUT", oms.order_path("W-403"), body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"field": "body",
                                          "message": "nested deeper than 16 levels"}]


async def test_the_largest_valid_catalog_fits_but_a_bigger_body_is_refused(
        oms: OmsClient) -> None:
    products = [{**PRODUCT, "sku": f"p{i:03}", "name_ru": "ч" * 300, "name_en": "t" * 300}
                for i in range(1000)]
    body = json.dumps({"products": products}).encode()
    assert len(body) > 2 * 1024 * 1024
    response = await oms.send("POST", "/api/v1/stores/MSK-001/catalog", body)
    assert response.status_code == 200, response.text[:300]
    padded = json.dumps({"products": products[:1], "pad": "x" * (8 * 1024 * 1024)}).encode()
    response = await oms.send("POST", "/api/v1/stores/MSK-001/catalog", padded)
    assert response.status_code == 413, response.text[:300]
    assert response.json()["errors"][0]["field"] == "body"


async def test_an_unforeseen_failure_is_a_plain_500_without_internals(
        oms: OmsClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.services import inbound

    async def broken(*_: Any) -> Any:
        raise RuntimeError("[SQL: UPDATE products SET stock=$1] secret detail")

    monkeypatch.setattr(inbound, "set_stock", broken)
    response = await oms.send("POST", "/api/v1/stores/MSK-001/stock",
                              {"levels": [{"sku": "milk", "stock": 1}]})
    assert response.status_code == 500
    assert "SQL" not in response.text and "secret" not in response.text
    assert response.json()["errors"][0]["message"].startswith("the store could not apply")


@pytest.mark.parametrize(("body", "deep"), [
    (b'{"a": [1, {"b": "[[[[[[[[[[[[[[[[[[[["}]}', False),  # brackets in strings do not count
    (b"[" * 16 + b"]" * 16, False),
    (b"[" * 17 + b"]" * 17, True),
    (b"[1, " * 17 + b"0" + b"]" * 17, True),
    (b'{"a": ' * 9 + b"[" * 8 + b"]" * 8 + b"}" * 9, True),
    (b"[[0], [1], [2]]" * 1000, False),
    (b'{"a": [1, 2}', False),  # malformed: the parser refuses it
])
def test_nesting_is_measured_without_the_parser(body: bytes, deep: bool) -> None:
    from app.api.signed import too_deep

    assert too_deep(body) is deep
