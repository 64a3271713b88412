"""Web Push for staff, against a push service on this machine over real HTTP: the
VAPID signature is checked and the payload decrypted as a browser would (RFC 8291).
SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from app.db.tables_arrive import push_subscriptions
from app.factory import create_app
from app.settings import Settings
from tests.integration.test_pickup_check_in_http import _check_in, _packed_collect
from tests.integration.test_substitution_http import CookieJarSwap, Customer
from tests.support.people import Person
from tests.support.push_service import PushService, start_push_service
from tests.support.shop import NOW, add_order


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service, server = start_push_service()
    yield service
    server.shutdown()


@pytest.fixture
async def app_client(db_url: str, shop: Any, clock: Any, tmp_path: Path
                     ) -> AsyncIterator[AsyncTestClient[Any]]:
    settings = Settings(environment="development", database_url=db_url, run_relay=False,
                        data_dir=tmp_path / "data", push_timeout_seconds=0.5)
    async with AsyncTestClient(app=create_app(settings, clock=clock),
                               base_url="http://testserver.local") as client:
        yield client


async def _subscribed(client: Any, key: str, subscription: dict[str, Any]) -> Person:
    person = Person(client, key)
    await person.sign_in()
    answer = await person.client.post("/push/subscribe", json=subscription,
                                      headers={"x-csrftoken": person.csrf})
    assert answer.status_code == 201, answer.text
    return person


async def _subscriptions(db: Any) -> int:
    async with db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(push_subscriptions))
                   or 0)


async def _received(service: PushService, count: int) -> list[Any]:
    return await asyncio.to_thread(service.wait_for, count)


async def _customer_arrives(db: Any, shop: Any, client: Any, oms_id: str) -> int:
    """A picker packs a click & collect order and its customer checks in at the store."""
    picker = Person(client, "picker")
    await picker.sign_in()
    order_id, url = await _packed_collect(db, shop, picker, oms_id)
    customer = Customer(CookieJarSwap(client), url)
    await customer.open()
    assert (await _check_in(customer, "arrived")).status_code == 200
    return order_id


async def test_the_vapid_key_is_made_once_and_kept_in_the_data_folder(
        app_client: Any, tmp_path: Path) -> None:
    person = Person(app_client, "picker")
    await person.sign_in()
    first = (await app_client.get("/push/key")).json()["key"]
    assert (tmp_path / "data" / "vapid" / "private.pem").exists()
    assert len(first) == 87  # a P-256 point, base64url
    from app.push import load_vapid, public_key
    assert public_key(load_vapid(tmp_path / "data")) == first


async def test_a_picker_hears_of_an_order_assigned_to_them(
        db: Any, shop: Any, app_client: Any, push_service: PushService, tmp_path: Path) -> None:
    await _subscribed(app_client, "picker", push_service.subscription("picker-phone"))
    async with db.writing() as session:
        order_id = await add_order(session, shop, {"water": 1}, oms_id="PUSH-1", now=NOW)
    supervisor = Person(app_client, "supervisor")
    await supervisor.sign_in()
    done = await supervisor.post(f"/board/orders/{order_id}/assign",
                                 {"picker_id": shop.staff["picker"]}, htmx=True)
    assert done.status_code == 200, done.text[:300]
    (push,) = await _received(push_service, 1)
    assert push.payload == {"title": "New order for you",
                            "body": "Order PUSH-1 was assigned to you.",
                            "url": f"/pick/{order_id}", "tag": f"assigned-{order_id}"}
    from app.push import load_vapid, public_key
    assert push.vapid_key == public_key(load_vapid(tmp_path / "data"))
    assert push_service.refused == []


async def test_the_counter_hears_a_customer_arrive_and_dead_or_hanging_phones_do_not_hold_it_up(
        db: Any, shop: Any, app_client: Any, push_service: PushService) -> None:
    await _subscribed(app_client, "clerk", push_service.subscription("hang-counter"))
    await _subscribed(app_client, "clerk", push_service.subscription("gone-old-phone"))
    await _subscribed(app_client, "packer", push_service.subscription("packer-phone"))
    order_id = await _customer_arrives(db, shop, app_client, "PUSH-2")
    assert push_service.hung == 0  # the customer's answer did not wait for the phones
    (push,) = await _received(push_service, 1)
    assert push.name == "packer-phone" and push.payload["url"] == f"/collect/{order_id}"
    assert push.payload["title"] == "A customer is here"
    for _ in range(100):  # the dead phone's subscription goes; the hanging one stays
        if await _subscriptions(db) == 2:
            break
        await asyncio.sleep(0.05)
    async with db.reading() as session:
        left = set(await session.scalars(select(push_subscriptions.c.endpoint)))
    assert left == {f"{push_service.url}/push/{name}" for name in ("hang-counter",
                                                                  "packer-phone")}


async def test_a_push_the_service_did_not_take_is_sent_again_and_arrives(
        db: Any, shop: Any, app_client: Any, push_service: PushService) -> None:
    """The push service answers the counter's phone 503 once (a bad minute): the push is
    sent again after a pause and the clerk still hears the customer arrive, once; the
    subscription stays."""
    app_client.app.state.notifier.retry_seconds = (0.2, 0.5)
    await _subscribed(app_client, "clerk", push_service.subscription("flaky-counter"))
    order_id = await _customer_arrives(db, shop, app_client, "PUSH-R")
    (push,) = await _received(push_service, 1)
    assert push.name == "flaky-counter" and push.payload["title"] == "A customer is here"
    assert push.payload["url"] == f"/collect/{order_id}"
    assert push_service.unavailable == 1 and await _subscriptions(db) == 1
    await asyncio.sleep(0.8)  # every retry's pause gone by: nothing is sent twice
    assert len(push_service.received) == 1


async def test_a_subscription_is_its_holder_s_own(
        db: Any, shop: Any, app_client: Any, push_service: PushService) -> None:
    sub = push_service.subscription("shared-phone")
    other_store = Person(app_client, "other_picker")
    await other_store.sign_in()
    assert (await app_client.post("/push/subscribe", json=sub,
                                  headers={"x-csrftoken": other_store.csrf})).status_code == 201
    picker = Person(app_client, "picker")
    await picker.sign_in()
    taken = await app_client.post("/push/subscribe", json=sub,
                                  headers={"x-csrftoken": picker.csrf})
    assert taken.status_code == 403  # another store's staff holds this endpoint
    naming = await app_client.post(
        "/push/subscribe", json={**push_service.subscription("mine"),
                                 "staff_id": shop.staff["picker2"]},
        headers={"x-csrftoken": picker.csrf})
    assert naming.status_code == 403
    bad = push_service.subscription("bad")
    bad["keys"]["p256dh"] = "AAAA"
    assert (await app_client.post("/push/subscribe", json=bad,
                                  headers={"x-csrftoken": picker.csrf})).status_code == 422
    assert (await app_client.post("/push/subscribe", json=push_service.subscription("x"))
            ).status_code == 403  # no CSRF token
    assert await _subscriptions(db) == 1


async def test_supervisors_hear_of_orders_over_their_limit_and_new_dead_letters_once(
        db: Any, shop: Any, app_client: Any, push_service: PushService, clock: Any,
        tmp_path: Path) -> None:
    from datetime import timedelta

    from app.push import Notifier, load_vapid
    from tests.integration.test_sync_dead_letters import make_dead
    from tests.support.outbox import add_events

    await _subscribed(app_client, "supervisor", push_service.subscription("board-tablet"))
    async with db.writing() as session:
        await add_order(session, shop, {"water": 1}, oms_id="PUSH-3",
                        now=NOW - timedelta(minutes=45))  # queued limit: 20 min
    (dead,) = await add_events(db, "PUSH-DEAD", 1, kind="OrderPicked")
    await make_dead(db, dead, "HTTP 409: version conflict")
    # the app's watch runs every minute on the app's own loop: here the same look, on ours
    notifier = Notifier(db, load_vapid(tmp_path / "data"), subject="mailto:it@shop.example",
                        timeout=0.5)
    assert await notifier.watch_once(clock.now) == 2
    assert await notifier.watch_once(clock.now) == 0  # told once
    pushes = await _received(push_service, 2)
    assert {p.payload["title"] for p in pushes} == {"Over the time limit",
                                                     "Events not delivered"}
    assert {p.payload["url"] for p in pushes} == {"/board/", "/sync/dead-letters/"}


async def test_a_picker_hears_the_customer_s_answer_and_a_cancellation(
        db: Any, shop: Any, app_client: Any, push_service: PushService, clock: Any) -> None:
    from app.db import tables
    from tests.integration.test_substitution_http import offer, outbox, short_order
    from tests.support.oms import OmsClient
    from tests.support.shop import kefir_unit

    picker = await _subscribed(app_client, "picker", push_service.subscription("picker-phone"))
    order_id, milk = await short_order(db, shop, picker, {"milk": 1, "water": 1}, "milk")
    assert (await offer(picker, order_id, milk, kefir_unit())).status_code == 303
    (proposed,) = await outbox(db, order_id, "SubstitutionProposed")
    customer = Customer(CookieJarSwap(app_client), proposed["customer_url"])
    await customer.open()
    assert (await customer.answer(proposed["proposal"], "approve")).status_code == 200
    (answered,) = await _received(push_service, 1)
    assert answered.payload["title"] == "The customer answered"
    assert answered.payload["url"] == f"/pick/{order_id}"

    async with db.reading() as session:
        oms_id = await session.scalar(select(tables.orders.c.oms_id).where(
            tables.orders.c.id == order_id))
    cancelled = await OmsClient(app_client, clock).cancel(str(oms_id))
    assert cancelled.status_code in (200, 202), cancelled.text[:300]
    pushes = await _received(push_service, 2)
    assert pushes[1].payload["title"] == "Order cancelled" and pushes[1].payload["url"] == "/pick/"
