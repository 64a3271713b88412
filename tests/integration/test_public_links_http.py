"""The customer link a picker's offer sends opens where the customer is: on the address
the picker's phone used to reach the app, or on the configured public address."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from app.factory import create_app
from app.settings import Settings
from tests.integration.test_substitution_http import Customer, offer, outbox, short_order
from tests.support.people import Person
from tests.support.shop import kefir_unit

LAN = "192.168.1.20:9000"


async def test_unset_the_link_uses_the_host_the_picker_s_phone_used(
        db: Any, shop: Any, picker: Person, phone: Any) -> None:
    order_id, milk = await short_order(db, shop, picker, {"milk": 1}, "milk")
    response = await picker.post(f"/pick/{order_id}/lines/{milk}/substitute",
                                 {"code": kefir_unit()}, headers={"host": LAN})
    assert response.status_code == 303, response.text[:300]
    (proposed,) = await outbox(db, order_id, "SubstitutionProposed")
    assert proposed["customer_url"].startswith(f"http://{LAN}/c/")
    assert (await Customer(phone, proposed["customer_url"]).open()).status_code == 200


@pytest.fixture
async def behind_a_proxy(db_url: str, shop: Any, clock: Any
                         ) -> AsyncIterator[AsyncTestClient[Any]]:
    settings = Settings(environment="development", database_url=db_url, run_relay=False,
                        public_base_url="https://shop.example")
    async with AsyncTestClient(app=create_app(settings, clock=clock),
                               base_url="http://10.0.0.5:8000") as client:
        yield client


async def test_a_configured_public_address_wins_over_the_request(
        db: Any, shop: Any, behind_a_proxy: Any) -> None:
    picker = Person(behind_a_proxy, "picker")
    await picker.sign_in()
    order_id, milk = await short_order(db, shop, picker, {"milk": 1}, "milk")
    assert (await offer(picker, order_id, milk, kefir_unit("SUB0002"))).status_code == 303
    (proposed,) = await outbox(db, order_id, "SubstitutionProposed")
    assert proposed["customer_url"].startswith("https://shop.example/c/")
