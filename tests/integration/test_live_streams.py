"""Live streams stay open across keep-alives (issue #18, item 7).

Every board, customer and picker stream used to end at its first keep-alive:
the keep-alive timeout cancelled the read of the subscription, which finished
it. Here the keep-alive comes every 0.1 s; the board stream must outlive many
of them and still deliver the next change. The stream also tells the browser
when to reconnect (``retry:``) should the connection drop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import LiveServer, start_server
from tests.support.people import Person
from tests.support.shop import MILK, add_order

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def server(db_url: str, shop: Any) -> Iterator[LiveServer]:
    live = start_server(db_url, live_keepalive_seconds=0.1)
    yield live
    live.stop()


async def test_the_board_stream_survives_keepalives_and_still_delivers(
        db: Any, shop: Any, server: LiveServer) -> None:
    async with db.writing() as session:
        order_id = await add_order(session, shop, {"milk": 2})
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as a, \
            httpx.AsyncClient(base_url=server.url, timeout=10) as b:
        supervisor, picker = Person(a, "supervisor"), Person(b, "picker")
        assert (await supervisor.sign_in()).status_code == 303
        assert (await picker.sign_in()).status_code == 303
        assert await picker.take_next() == order_id
        lines: asyncio.Queue[str] = asyncio.Queue()

        async def listen() -> None:
            async with a.stream("GET", "/board/live") as response:
                assert response.status_code == 200
                async for line in response.aiter_lines():
                    lines.put_nowait(line)
            lines.put_nowait("<closed>")

        async def wait_for(wanted: str, seconds: float = 5) -> list[str]:
            seen = []
            async with asyncio.timeout(seconds):
                while (line := await lines.get()) != wanted:
                    assert line != "<closed>", f"the stream closed after {seen[-5:]}"
                    seen.append(line)
            return seen

        listening = asyncio.create_task(listen())
        try:
            head = await wait_for("event: board")  # the first render, sent on subscribing
            retry = [int(ln.split(":")[1]) for ln in head if ln.startswith("retry:")]
            assert retry and 2000 <= retry[0] <= 6000
            keepalives = 0
            while keepalives < 8:  # 0.8 s: eight keep-alives, the stream still open
                keepalives += (await wait_for(": keep-alive")) is not None
            assert (await picker.scan(order_id, MILK)).status_code == 200
            await wait_for("event: board")  # a change after the keep-alives arrives
        finally:
            listening.cancel()
