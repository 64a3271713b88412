"""The relay against a real OMS receiver over HTTP: outages, errors, slowness,
refusals. Whatever happens: nothing lost, in order per order, applied once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from sync.client import Backoff
from sync.outbox import retry_dead_letter
from sync.relay import Relay, RelayConfig
from tests.support.outbox import add_events, row, statuses
from tests.support.receiver import SECRET, Receiver

pytestmark = pytest.mark.timeout(60)


SENDING = {"batch": False}


@pytest.fixture(autouse=True, params=["single", "batch"])
def sending(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every test runs twice: one event per request, and batches of several orders."""
    SENDING["batch"] = request.param == "batch"
    yield request.param
    SENDING["batch"] = False


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


def relay_for(db: Any, url: str, **config: Any) -> Relay:
    settings = {"backoff": Backoff(base=0.02, cap=0.2), "timeout_seconds": 2.0,
                "batch_url": url + "/batch" if SENDING["batch"] else None, **config}
    return Relay(db.writing, RelayConfig(url=url, secret=SECRET, **settings))


async def relay_until(relay: Relay, done: Callable[[], bool], seconds: float = 20) -> None:
    """Run rounds the way the relay's loop does until ``done()`` or time runs out."""
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=relay.config.timeout_seconds) as http:
        while not done():
            assert time.monotonic() < deadline, "the relay did not get there in time"
            if not await relay.round(http):
                await asyncio.sleep(0.02)


def everything_arrived_once_in_order(receiver: Receiver, orders: dict[str, int]) -> None:
    snap = receiver.ledger.snapshot()
    for order, count in orders.items():
        assert snap["sequences"][order] == list(range(1, count + 1)), order
    assert snap["applied"] == sum(orders.values())
    assert snap["gaps"] == []
    assert snap["overlaps"] == 0


async def test_events_of_many_orders_arrive_once_and_in_order(db: Any, receiver: Receiver
                                                              ) -> None:
    orders = {f"W-{n}": 5 + n for n in range(8)}
    for order, count in orders.items():
        await add_events(db, order, count)
    await relay_until(relay_for(db, receiver.url),
                      lambda: receiver.ledger.snapshot()["applied"] == sum(orders.values()))
    everything_arrived_once_in_order(receiver, orders)
    assert await statuses(db) == {"sent": sum(orders.values())}
    assert receiver.ledger.duplicates == 0


async def test_an_oms_that_is_down_for_a_while_gets_everything_when_it_returns(
        db: Any) -> None:
    receiver = Receiver()  # not started yet: connections are refused
    await add_events(db, "W-DOWN", 6)
    relay = relay_for(db, receiver.url)
    async with httpx.AsyncClient() as http:
        for _ in range(3):
            await relay.round(http)
            await asyncio.sleep(0.05)
    first = await statuses(db)
    assert first == {"pending": 6}
    receiver.start()
    try:
        await relay_until(relay, lambda: len(receiver.sequences("W-DOWN")) == 6)
        everything_arrived_once_in_order(receiver, {"W-DOWN": 6})
    finally:
        receiver.stop()


async def test_server_errors_are_retried_with_backoff_and_order_is_kept(
        db: Any, receiver: Receiver) -> None:
    ids = await add_events(db, "W-500", 4)
    await add_events(db, "W-OK", 3)
    receiver.faults.statuses.extend([500, 502, 503])
    await relay_until(relay_for(db, receiver.url),
                      lambda: receiver.ledger.snapshot()["applied"] == 7)
    everything_arrived_once_in_order(receiver, {"W-500": 4, "W-OK": 3})
    assert (await row(db, ids[0])).attempts >= 1


async def test_a_slow_oms_times_out_and_the_retry_is_deduplicated(
        db: Any, receiver: Receiver) -> None:
    await add_events(db, "W-SLOW", 3)
    receiver.faults.delay = 0.6
    relay = relay_for(db, receiver.url, timeout_seconds=0.2)
    async with httpx.AsyncClient(timeout=0.2) as http:
        await relay.round(http)  # times out, but the OMS applies it afterwards
    await asyncio.sleep(0.7)
    assert (await statuses(db)) == {"pending": 3}
    receiver.faults.delay = 0
    await relay_until(relay, lambda: len(receiver.sequences("W-SLOW")) == 3)
    everything_arrived_once_in_order(receiver, {"W-SLOW": 3})
    assert receiver.ledger.duplicates >= 1  # sent twice, applied once


async def test_retry_after_is_honoured(db: Any, receiver: Receiver) -> None:
    ids = await add_events(db, "W-BUSY", 1)
    receiver.faults.statuses.append(429)
    receiver.faults.retry_after = "30"
    relay = relay_for(db, receiver.url)
    async with httpx.AsyncClient() as http:
        await relay.round(http)
    waiting = await row(db, ids[0])
    assert waiting.status == "pending" and "429" in waiting.last_error
    due_in = waiting.next_attempt_at.replace(tzinfo=UTC) - datetime.now(UTC)
    assert timedelta(seconds=25) < due_in <= timedelta(seconds=30)
    async with httpx.AsyncClient() as http:
        assert await relay.round(http) == 0  # not before Retry-After


async def test_a_refused_event_becomes_a_dead_letter_and_its_order_waits_behind_it(
        db: Any, receiver: Receiver) -> None:
    await add_events(db, "W-409", 2)
    refused = await add_events(db, "W-409", 1, start=3, kind="OrderPicked")
    later = await add_events(db, "W-409", 2, start=4)
    await add_events(db, "W-FINE", 3)
    receiver.faults.refuse_types["OrderPicked"] = 409
    relay = relay_for(db, receiver.url)
    await relay_until(relay, lambda: len(receiver.sequences("W-FINE")) == 3)
    await relay_until(relay, lambda: len(receiver.sequences("W-409")) == 2)
    async with httpx.AsyncClient() as http:
        await relay.round(http)
    dead = await row(db, refused[0])
    assert dead.status == "dead" and "409" in dead.last_error
    assert (await row(db, later[0])).status == "pending"
    assert receiver.sequences("W-409") == [1, 2]
    receiver.faults.refuse_types.clear()
    async with db.writing() as session:
        assert await retry_dead_letter(session, refused[0], relay.clock())
        await session.commit()
    await relay_until(relay, lambda: len(receiver.sequences("W-409")) == 5)
    everything_arrived_once_in_order(receiver, {"W-409": 5, "W-FINE": 3})


async def test_a_bad_request_is_a_dead_letter_at_once(db: Any, receiver: Receiver) -> None:
    ids = await add_events(db, "W-400", 1)
    receiver.faults.statuses.append(400)
    async with httpx.AsyncClient() as http:
        await relay_for(db, receiver.url).round(http)
    assert (await row(db, ids[0])).status == "dead"


async def test_after_the_last_attempt_an_event_becomes_a_dead_letter(
        db: Any, receiver: Receiver) -> None:
    ids = await add_events(db, "W-FLAKY", 1)
    receiver.faults.statuses.extend([500] * 10)
    relay = relay_for(db, receiver.url, max_attempts=3)
    await relay_until(relay, lambda: receiver.app.requests >= 3)
    async with httpx.AsyncClient() as http:
        await relay.round(http)
    assert (await row(db, ids[0])).status == "dead"
