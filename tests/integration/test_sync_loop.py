"""The whole loop over real HTTP: the simulator pushes orders, the app's own relay
sends the resulting events back, and the simulator applies each once, in order."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select

from app.db import tables
from app.factory import create_app
from app.settings import Settings
from sync.simulator import SIM_CUSTOMERS, OrderPusher, simulator_app
from tests.support.postgres import free_port

pytestmark = pytest.mark.timeout(60)


def serve(app: Any) -> tuple[uvicorn.Server, int]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on", timeout_graceful_shutdown=0.3))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return server, port


async def test_orders_pushed_by_the_simulator_come_back_as_events(db_url: str, shop: Any,
                                                                  db: Any) -> None:
    oms_port = free_port()
    app = create_app(Settings(environment="development", database_url=db_url, run_relay=True,
                              oms_events_url=f"http://127.0.0.1:{oms_port}/events"))
    app_server, app_port = serve(app)
    pusher = OrderPusher(f"http://127.0.0.1:{app_port}", "MSK-001", "dev-oms-secret",
                         every=0.05, rand=random.Random(7))
    receiver = simulator_app(pusher, "dev-oms-secret")
    oms_server = uvicorn.Server(uvicorn.Config(receiver, host="127.0.0.1", port=oms_port,
                                               log_level="warning", lifespan="on"))
    threading.Thread(target=oms_server.run, daemon=True).start()
    try:
        deadline = time.monotonic() + 30
        while receiver.ledger.snapshot()["applied"] < 3:
            assert time.monotonic() < deadline, dict(pusher.answers)
            await asyncio.sleep(0.1)
    finally:
        oms_server.should_exit = app_server.should_exit = True
    snap = receiver.ledger.snapshot()
    assert pusher.answers["PUT created"] >= 3
    assert pusher.answers["PUT 422"] == 0, dict(pusher.answers)  # it follows the sale policy
    assert snap["gaps"] == [] and snap["duplicates"] == 0
    assert set(snap["types"]) <= {"OrderRevised", "OrderCancelled"}
    assert all(seqs == list(range(1, len(seqs) + 1)) for seqs in snap["sequences"].values())
    pushed = snap["customers"]  # whom each pushed order is for, ready for their messages
    assert len(pushed) >= 3 and all(c["customer"].endswith("+7 999 000-00-00")
                                    for c in pushed.values())
    async with db.reading() as session:  # its customers come back under their ids
        refs = set(await session.scalars(select(tables.orders.c.customer_ref)))
    assert refs and refs <= set(SIM_CUSTOMERS.values())
