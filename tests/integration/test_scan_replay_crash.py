"""A phone replays its offline queue while the server is killed with SIGKILL, then
replays it all again once the server is back (issue #11.5): every scan is counted
exactly once and the OMS gets each ``ItemScanned`` once, in order, on both databases."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from app.db import tables
from benchmarks.common import wait_for_http
from tests.integration.test_picker_http import order_with
from tests.support.people import Person
from tests.support.postgres import free_port
from tests.support.shop import MILK

ROOT = Path(__file__).resolve().parents[2]
UNITS = 40


def start(db_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "STOREPICK_ENV": "development", "DATABASE_URL": db_url,
           "STOREPICK_RUN_RELAY": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "benchmarks.apps:storepick_app",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=180)
    return proc


async def replay(person: Person, order_id: int) -> list[str]:
    async def one(n: int) -> str:
        try:
            response = await person.scan(order_id, MILK, scan_id=f"queued-{n:03d}")
        except httpx.HTTPError:
            return "lost"  # the answer never came: the phone keeps the scan and sends it again
        return response.headers.get("x-scan-outcome", str(response.status_code))
    return list(await asyncio.gather(*(one(n) for n in range(UNITS))))


async def test_a_replay_cut_by_sigkill_and_sent_again_counts_every_scan_once(
        db_url: str, db: Any, shop: Any) -> None:
    order_id = await order_with(db, shop, {"milk": UNITS})
    port = free_port()
    server = start(db_url, port)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            person = Person(client, "picker")
            await person.sign_in()
            assert await person.take_next() == order_id
            burst = asyncio.create_task(replay(person, order_id))
            for _ in range(200):  # kill it once some scans are in
                await asyncio.sleep(0.01)
                async with db.reading() as session:
                    if await session.scalar(select(func.count()).select_from(tables.scans)):
                        break
            server.send_signal(signal.SIGKILL)
            server.wait(10)
            first = await burst
            assert "lost" in first  # the kill did cut the replay
            server = start(db_url, port)
            second = await replay(person, order_id)
            assert second == ["accepted"] * UNITS, second
    finally:
        server.kill()
        server.wait(10)
    async with db.reading() as session:
        picked = await session.scalar(select(tables.order_lines.c.picked_quantity).where(
            tables.order_lines.c.order_id == order_id))
        scans = await session.scalar(select(func.count()).select_from(tables.scans))
        sequences = list(await session.scalars(
            select(tables.outbox.c.sequence).where(tables.outbox.c.order_id == order_id,
                                                   tables.outbox.c.type == "ItemScanned")
            .order_by(tables.outbox.c.id)))
    assert (picked, scans) == (UNITS, UNITS)
    assert len(sequences) == UNITS and sequences == sorted(sequences)
