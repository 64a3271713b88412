"""The demo OMS shows, per order, what it would send the customer: the link to answer
a substitute and the pickup code. The whole loop runs over real HTTP: the store's relay
sends the events to the simulator, whose page and ``/state`` are read like a browser."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from app.db import tables
from app.db.uow import UnitOfWork
from app.factory import create_app
from app.services import handover, picking, substitutions
from app.settings import Settings
from sync.simulator import OrderPusher, simulator_app
from tests.integration.test_sync_loop import serve
from tests.support.handover import picked_order, staff_user
from tests.support.postgres import free_port
from tests.support.shop import NOW, add_order, kefir_unit

pytestmark = pytest.mark.timeout(60)
PLACES = {"ambient": "Shelf 1", "chilled": "Fridge 1", "frozen": "Freezer 1"}


async def an_offer_and_a_packed_collect_order(db: Any, shop: Any) -> str:
    """Milk is out, kefir offered on one order; another (click & collect) is packed.
    Returns the pickup code the store made."""
    picker = staff_user(shop, "picker")
    async with db.writing() as session:
        offer_id = await add_order(session, shop, {"milk": 1}, oms_id="SIM-OFFER")
    await picking.start_order(UnitOfWork(db), picker, offer_id, NOW)
    line_id = await _line(db, offer_id)
    await picking.short_line(UnitOfWork(db), picker, offer_id, line_id, "out_of_stock", NOW)
    await substitutions.propose(UnitOfWork(db), picker, offer_id, line_id, kefir_unit(), now=NOW,
                                window_minutes=10, base_url="http://192.168.1.20:9000")
    collect_id = await picked_order(db, shop, {"water": 1}, oms_id="SIM-COLLECT",
                                    fulfilment="collect")
    _order, code = await handover.pack_order(UnitOfWork(db), picker, collect_id,
                                             {"ambient": 1}, PLACES, NOW)
    assert code is not None
    return code


async def _line(db: Any, order_id: int) -> int:
    async with db.reading() as session:
        return int(await session.scalar(select(tables.order_lines.c.id).where(
            tables.order_lines.c.order_id == order_id)))


async def test_the_simulator_shows_each_order_s_customer_link_and_pickup_code(
        db: Any, db_url: str, shop: Any) -> None:
    code = await an_offer_and_a_packed_collect_order(db, shop)
    oms = simulator_app(None, "dev-oms-secret")
    oms_server, oms_port = serve(oms)
    app = create_app(Settings(environment="development", database_url=db_url, run_relay=True,
                              oms_events_url=f"http://127.0.0.1:{oms_port}/events"))
    app_server, _ = serve(app)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{oms_port}") as browser:
            deadline = time.monotonic() + 30
            while len((await browser.get("/state")).json()["customers"]) < 2:
                assert time.monotonic() < deadline, "the relay did not deliver"
                await asyncio.sleep(0.1)
            state = (await browser.get("/state")).json()["customers"]
            page = (await browser.get("/")).text
    finally:
        oms_server.should_exit = app_server.should_exit = True

    link = state["SIM-OFFER"]["link"]
    assert re.fullmatch(r"http://192\.168\.1\.20:9000/c/[A-Za-z0-9_-]{43}", link)
    assert state["SIM-OFFER"]["pickup_code"] is None
    assert state["SIM-COLLECT"]["pickup_code"] == code and state["SIM-COLLECT"]["link"] is None
    (sms,) = state["SIM-COLLECT"]["messages"]
    assert code in sms["text_ru"] and code in sms["text_en"]

    offer_row = page.split("<tr data-order='SIM-OFFER'>", 1)[1].split("</tr>", 1)[0]
    assert f"<a href='{link}'>{link}</a>" in offer_row  # tappable, in the SMS text as well
    assert "Approve or reject:" in offer_row and "Согласуйте или откажитесь:" in offer_row
    collect_row = page.split("<tr data-order='SIM-COLLECT'>", 1)[1].split("</tr>", 1)[0]
    assert f"<b class='code'>{code}</b>" in collect_row
    assert "Your pickup code: " + code in collect_row


async def test_the_demo_oms_cancels_an_order_the_store_found_nothing_of(
        db: Any, db_url: str, shop: Any) -> None:
    picker = staff_user(shop, "picker")
    async with db.writing() as session:
        order_id = await add_order(session, shop, {"milk": 1}, oms_id="SIM-EMPTY")
    await picking.start_order(UnitOfWork(db), picker, order_id, NOW)
    await picking.short_line(UnitOfWork(db), picker, order_id, await _line(db, order_id),
                             "not_found", NOW)
    await picking.finish_picking(UnitOfWork(db), picker, order_id, NOW)
    oms_port = free_port()
    app = create_app(Settings(environment="development", database_url=db_url, run_relay=True,
                              oms_events_url=f"http://127.0.0.1:{oms_port}/events"))
    app_server, app_port = serve(app)
    pusher = OrderPusher(f"http://127.0.0.1:{app_port}", "MSK-001", "dev-oms-secret",
                         every=3600)
    oms_server = uvicorn.Server(uvicorn.Config(simulator_app(pusher, "dev-oms-secret"),
                                               host="127.0.0.1", port=oms_port,
                                               log_level="warning", lifespan="on"))
    threading.Thread(target=oms_server.run, daemon=True).start()
    try:
        async with httpx.AsyncClient() as http:
            # The pusher's own first round cancels what it has heard of by then (on a busy
            # machine OrderPicked may arrive before it); else the test asks it to.
            deadline = time.monotonic() + 30
            while not pusher.answers["cancel (nothing picked) cancelled"]:
                assert time.monotonic() < deadline, "the relay did not deliver OrderPicked"
                await pusher.cancel_nothing_picked(http)
                await asyncio.sleep(0.1)
    finally:
        oms_server.should_exit = app_server.should_exit = True
    async with db.reading() as session:
        status = await session.scalar(select(tables.orders.c.status).where(
            tables.orders.c.id == order_id))
    assert status == "cancelled"
    assert pusher.answers["cancel (nothing picked) cancelled"] == 1
