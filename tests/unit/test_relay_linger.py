"""The relay lingers a moment after a wake-up, so a busy moment's events travel in one
round (sync.relay.RelayConfig.linger_seconds), and never lingers through a stop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from sync.relay import Relay, RelayConfig


@contextlib.asynccontextmanager
async def _no_database() -> AsyncIterator[Any]:
    raise AssertionError("the idle wait never opens a transaction")
    yield  # pragma: no cover


def _relay(linger: float) -> Relay:
    return Relay(_no_database, RelayConfig(url="http://oms.invalid/events", secret="s",
                                           idle_seconds=5.0, linger_seconds=linger))


async def test_after_a_wake_the_relay_waits_the_linger_then_goes() -> None:
    relay, stop = _relay(0.15), asyncio.Event()
    idle = asyncio.create_task(relay._idle(stop))
    await asyncio.sleep(0.02)
    loop = asyncio.get_running_loop()
    woken = loop.time()
    relay.wake()  # a commit
    await asyncio.sleep(0.05)
    relay.wake()  # another, within the linger: the same round takes it
    assert not idle.done()
    await asyncio.wait({idle}, timeout=1.0)
    assert idle.done() and loop.time() - woken >= 0.14


async def test_without_a_linger_a_wake_starts_the_round_at_once() -> None:
    relay, stop = _relay(0.0), asyncio.Event()
    idle = asyncio.create_task(relay._idle(stop))
    await asyncio.sleep(0.02)
    relay.wake()
    await asyncio.wait({idle}, timeout=0.05)
    assert idle.done()


async def test_a_stop_during_the_linger_ends_the_wait_at_once() -> None:
    relay, stop = _relay(5.0), asyncio.Event()
    idle = asyncio.create_task(relay._idle(stop))
    await asyncio.sleep(0.02)
    relay.wake()
    await asyncio.sleep(0.02)
    assert not idle.done()  # lingering
    stop.set()
    await asyncio.wait({idle}, timeout=0.2)
    assert idle.done()
