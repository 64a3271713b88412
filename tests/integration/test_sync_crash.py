"""The relay process is killed with SIGKILL mid-delivery and started again:
no event is lost, none overtakes another of its order, none is applied twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.outbox import add_events, statuses
from tests.support.receiver import SECRET, Receiver

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(90)
LOG = Path(os.environ.get("STOREPICK_RELAY_TEST_LOG", os.devnull))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


def start_relay(db_url: str, events_url: str, batch: bool) -> subprocess.Popen[bytes]:
    env = {**os.environ, "STOREPICK_ENV": "development", "DATABASE_URL": db_url,
           "STOREPICK_OMS_EVENTS_URL": events_url,
           "STOREPICK_OMS_SECRET": SECRET, "STOREPICK_RELAY_BACKOFF_BASE": "0.05",
           "STOREPICK_RELAY_LEASE": "1.5",
           "STOREPICK_OMS_BATCH_URL": events_url + "/batch" if batch else ""}
    return subprocess.Popen([sys.executable, "-m", "sync"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=LOG.open("ab"))


async def wait_for(condition: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
async def test_a_relay_killed_mid_stream_resumes_without_loss_or_reordering(
        db: Any, db_url: str, receiver: Receiver, batch: bool) -> None:
    orders = {f"K-{n}": 30 for n in range(10)}
    for order, count in orders.items():
        await add_events(db, order, count)
    total = sum(orders.values())
    receiver.faults.delay = 0.02 if batch else 0.005  # slow enough to be killed mid-stream
    applied = lambda: receiver.ledger.snapshot()["applied"]  # noqa: E731
    for _ in range(2):
        relay = start_relay(db_url, receiver.url, batch)
        before = applied()
        await wait_for(lambda b=before: applied() >= b + 40, 30)  # type: ignore[misc]
        os.kill(relay.pid, signal.SIGKILL)
        relay.wait(timeout=10)
    assert applied() < total, "the kills should land mid-stream"
    relay = start_relay(db_url, receiver.url, batch)
    try:
        await wait_for(lambda: applied() == total, 60)
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(timeout=10)
    snap = receiver.ledger.snapshot()
    for order, count in orders.items():
        assert snap["sequences"][order] == list(range(1, count + 1))
    assert snap["gaps"] == [] and snap["overlaps"] == 0
    assert (await statuses(db)).get("sent", 0) >= total - 10  # the last round may be unrecorded
