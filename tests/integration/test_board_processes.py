"""On PostgreSQL, live updates cross app processes (LISTEN/NOTIFY channels).

Two app servers share one database: the supervisor's board is open on the
first, a picker scans on the second, and the board hears of it. With the
in-memory channel backend this could not work, which is why PostgreSQL
deployments use the asyncpg backend.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import LiveServer, start_server
from tests.support.people import Person
from tests.support.shop import MILK, add_order

pytestmark = [pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
              pytest.mark.timeout(60)]


@pytest.fixture
def two_servers(db_url: str) -> Iterator[tuple[LiveServer, LiveServer]]:
    first, second = start_server(db_url), start_server(db_url)
    yield first, second
    first.stop()
    second.stop()


async def board_events(client: httpx.AsyncClient, arrivals: asyncio.Queue[float]) -> None:
    async with client.stream("GET", "/board/live") as response:
        async for line in response.aiter_lines():
            if line == "event: board":
                arrivals.put_nowait(time.monotonic())


async def next_after(arrivals: asyncio.Queue[float], moment: float, seconds: float) -> float:
    """The first board event that arrived after ``moment``. Raises TimeoutError."""
    async with asyncio.timeout(seconds):
        while (arrived := await arrivals.get()) <= moment:
            pass
    return arrived


async def test_a_scan_on_one_process_reaches_a_board_open_on_another(
        db: Any, shop: Any, two_servers: tuple[LiveServer, LiveServer]) -> None:
    async with db.writing() as session:
        order_id = await add_order(session, shop, {"milk": 2})
    board_server, picking_server = two_servers
    async with httpx.AsyncClient(base_url=board_server.url, timeout=10) as a, \
            httpx.AsyncClient(base_url=picking_server.url, timeout=10) as b:
        supervisor, picker = Person(a, "supervisor"), Person(b, "picker")
        assert (await supervisor.sign_in()).status_code == 303
        assert (await picker.sign_in()).status_code == 303
        assert await picker.take_next() == order_id
        arrivals: asyncio.Queue[float] = asyncio.Queue()
        listening = asyncio.create_task(board_events(a, arrivals))
        try:
            await next_after(arrivals, 0.0, 10)  # the first render, sent on subscribing
            sent = time.monotonic()
            assert (await picker.scan(order_id, MILK)).status_code == 200
            await next_after(arrivals, sent, 20)  # TimeoutError: nothing crossed
        finally:
            listening.cancel()
