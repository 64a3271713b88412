"""Several relays on one outbox (PostgreSQL: FOR UPDATE SKIP LOCKED plus leases;
SQLite: claims serialised by BEGIN IMMEDIATE): no event is ever sent by two of
them, at once or at all, and together they deliver everything in order."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.db.engine import open_database
from sync.relay import Relay, RelayConfig
from sync.signing import signed_headers
from tests.support.outbox import add_events, statuses
from tests.support.receiver import SECRET, Receiver

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
async def test_two_relays_at_once_never_send_the_same_event_and_deliver_all_in_order(
        db: Any, db_url: str, receiver: Receiver, batch: bool) -> None:
    orders = {f"C-{n}": 12 for n in range(40)}
    for n, (order, count) in enumerate(orders.items()):
        await add_events(db, order, count, order_id=n + 1)
    total = sum(orders.values())
    receiver.faults.delay = 0.002  # keep requests open long enough to overlap if they could
    config = RelayConfig(url=receiver.url, secret=SECRET, lease_seconds=30,
                         batch_url=receiver.url + "/batch" if batch else None, batch_size=6,
                         heads_per_round=7, events_per_order=4, idle_seconds=0.01)
    databases = [open_database(db_url), open_database(db_url)]  # like two processes
    relays = [Relay(d.writing, config, name=f"relay-{i}") for i, d in enumerate(databases)]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(r.run(stop)) for r in relays]
    try:
        deadline = time.monotonic() + 60
        while receiver.ledger.snapshot()["applied"] < total:
            assert time.monotonic() < deadline, receiver.ledger.stats()
            assert not any(t.done() for t in tasks)
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        for d in databases:
            await d.dispose()
    snap = receiver.ledger.snapshot()
    assert snap["overlaps"] == 0, "two relays had the same event in flight"
    assert snap["duplicates"] == 0, "an event was sent twice"
    assert snap["gaps"] == []
    for order, count in orders.items():
        assert snap["sequences"][order] == list(range(1, count + 1)), order
    assert all(r.sent > 0 for r in relays), [r.sent for r in relays]
    assert sum(r.sent for r in relays) == total
    assert await statuses(db) == {"sent": total}


async def test_a_batch_with_two_events_of_one_order_is_refused(receiver: Receiver) -> None:
    events = [{"event_id": f"e-{s}", "order_id": "W-1", "sequence": s, "type": "ItemScanned"}
              for s in (1, 2)]
    body = json.dumps({"events": events}).encode()
    headers = signed_headers(SECRET, int(time.time()), body)
    async with httpx.AsyncClient() as http:
        response = await http.post(receiver.url + "/batch", content=body, headers=headers)
    assert response.status_code == 400 and "one event per order" in response.text
    assert receiver.ledger.snapshot()["applied"] == 0
