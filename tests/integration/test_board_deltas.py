"""Board deltas (issue #17, item 2): a change sends only what it changed, rendered once.

A real server (uvicorn in a thread, both databases) with several board streams
open: a picker's change reaches every board as one ``board`` event holding
out-of-band swaps of that order's row and the counters it moved, the same text
for every board and rendered once; a fresh page is not sent the board again; a
board that comes back gets what it missed, or the whole board once when its
version is unknown; a burst of changes becomes one event.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from app.web import board_feed
from tests.e2e.conftest import LiveServer, start_server
from tests.support.people import Person, unwrapped
from tests.support.shop import BREAD, MILK, add_order

pytestmark = pytest.mark.timeout(90)
SINCE = re.compile(r'sse-connect="/board/live\?since=([^"]+)"')


@pytest.fixture
def server(db_url: str, shop: Any) -> Iterator[LiveServer]:
    live = start_server(db_url)
    yield live
    live.stop()


def hub(server: LiveServer, coalesce: float = 0.05) -> board_feed.BoardFeeds:
    """The server's board feeds, made here so the test chooses how long a burst lasts."""
    state = server.server.config.app.state
    state.board_feeds = board_feed.BoardFeeds(state.channels, board_feed.loader(state),
                                              coalesce=coalesce)
    feeds: board_feed.BoardFeeds = state.board_feeds
    return feeds


@dataclass
class Event:
    name: str
    id: str
    data: str


@dataclass
class Stream:
    events: asyncio.Queue[Event] = field(default_factory=asyncio.Queue)
    opened: asyncio.Event = field(default_factory=asyncio.Event)

    async def next(self, seconds: float = 5) -> Event:
        async with asyncio.timeout(seconds):
            return await self.events.get()

    async def nothing_for(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        assert self.events.empty(), repr(await self.events.get())[:400]


@asynccontextmanager
async def board_stream(client: httpx.AsyncClient, url: str,
                       headers: dict[str, str] | None = None) -> AsyncIterator[Stream]:
    stream = Stream()

    async def listen() -> None:
        async with client.stream("GET", url, headers=headers) as response:
            assert response.status_code == 200
            event: dict[str, Any] = {"data": []}
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    stream.opened.set()
                elif line == "":
                    if event.get("event"):  # not the hello, nor a keep-alive
                        stream.events.put_nowait(Event(event.get("event", ""), event.get("id", ""),
                                                       "\n".join(event["data"])))
                    event = {"data": []}
                else:
                    key, _colon, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if key == "data":
                        event["data"].append(value)
                    else:
                        event[key] = value

    task = asyncio.create_task(listen())
    try:
        async with asyncio.timeout(5):
            await stream.opened.wait()
        yield stream
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def heard(feed: board_feed.StoreFeed, version: int) -> None:
    """Wait until the feed has taken in a change after ``version`` (PostgreSQL's are slower)."""
    async with asyncio.timeout(5):
        while feed.version <= version:  # noqa: ASYNC110 (another thread's loop: no Event to share)
            await asyncio.sleep(0.02)


def order_rows(html: str) -> set[str]:
    return set(re.findall(r'id="order-row-(\d+)"', html))


async def signed_in(a: httpx.AsyncClient, b: httpx.AsyncClient) -> tuple[Person, Person]:
    supervisor, picker = Person(a, "supervisor"), Person(b, "picker")
    assert (await supervisor.sign_in()).status_code == 303
    assert (await picker.sign_in()).status_code == 303
    return supervisor, picker


async def test_a_change_sends_only_its_row_and_counters_rendered_once_for_every_board(
        db: Any, shop: Any, server: LiveServer) -> None:
    feeds = hub(server)
    async with db.writing() as session:
        first = await add_order(session, shop, {"milk": 2, "bread": 1})
        others = {await add_order(session, shop, {"water": 1}) for _ in range(3)}
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as a, \
            httpx.AsyncClient(base_url=server.url, timeout=10) as b:
        supervisor, picker = await signed_in(a, b)
        page = await supervisor.get("/board/")
        assert order_rows(page.text) == {str(first), *map(str, others)}
        since = SINCE.search(page.text).group(1)  # type: ignore[union-attr]
        async with board_stream(a, f"/board/live?since={since}") as s1, \
                board_stream(a, f"/board/live?since={since}") as s2, \
                board_stream(a, f"/board/live?since={since}") as s3:
            boards = (s1, s2, s3)
            await s1.nothing_for(0.3)  # a fresh page: the board is not sent again
            renders = feeds.feeds[shop.store_id].renders

            assert await picker.take_next() == first  # queued -> picking: moves the counters
            taken = [await s.next() for s in boards]
            assert len({e.data for e in taken}) == 1  # the same text for every board
            html = taken[0].data
            assert order_rows(html) == {str(first)}  # that order's row, no other
            assert re.search(r'<ul id="board-counts"[^>]*hx-swap-oob="true"', html)
            assert re.search(r'data-count="picking">1<', html)
            assert re.search(r'data-count="queued">3<', html)
            assert 'hx-swap-oob="delete"' in html  # moved: out of "queued"...
            assert 'hx-swap-oob="beforeend:#rows-picking"' in html  # ...into "picking"
            assert 'id="board"' not in html  # never the whole board
            assert feeds.feeds[shop.store_id].renders == renders + 1  # once, not once a board

            assert (await picker.scan(first, MILK)).status_code == 200  # progress only
            scanned = (await s2.next()).data
            assert order_rows(scanned) == {str(first)}
            assert 'data-label="Items today">1<' in scanned  # the picker's row
            assert 'hx-swap-oob="outerHTML:#order-row-' in scanned  # replaced in place
            assert "board-counts" not in scanned and "board-alerts" not in scanned  # unchanged
            assert len(scanned.encode()) < 4000
            assert [(await s.next()).data for s in (s1, s3)] == [scanned, scanned]
            await s3.nothing_for(0.2)
            assert feeds.feeds[shop.store_id].renders == renders + 2


async def test_a_returning_board_gets_what_it_missed_and_an_unknown_one_the_whole_board_once(
        db: Any, shop: Any, server: LiveServer) -> None:
    feeds = hub(server)
    async with db.writing() as session:
        first = await add_order(session, shop, {"milk": 2})
        second = await add_order(session, shop, {"water": 1})
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as a, \
            httpx.AsyncClient(base_url=server.url, timeout=10) as b:
        _supervisor, picker = await signed_in(a, b)
        async with board_stream(a, "/board/live") as plain:  # no version: the whole board
            whole = await plain.next()
            assert whole.name == "board" and 'id="board"' in whole.data
            assert 'hx-swap-oob="true"' in whole.data.split(">", 1)[0]
            assert order_rows(whole.data) == {str(first), str(second)}
            await plain.nothing_for(0.3)  # once
            seen = whole.id
            assert await picker.take_next() == first
            assert order_rows((await plain.next()).data) == {str(first)}

        # Gone while the picker scanned: back with the last version it saw (Last-Event-ID).
        feed = feeds.feeds[shop.store_id]
        version = feed.version
        assert (await picker.scan(first, MILK)).status_code == 200
        await heard(feed, version)
        async with board_stream(a, "/board/live?since=stale.1",
                                headers={"Last-Event-ID": seen}) as back:
            missed = await back.next()
            assert order_rows(missed.data) == {str(first)}  # what changed meanwhile, no more
            assert 'data-label="Items today">1<' in missed.data and 'id="board"' not in missed.data
            await back.nothing_for(0.3)

        async with board_stream(a, "/board/live?since=gone.7") as unknown:  # restarted feed
            again = await unknown.next()
            assert 'id="board"' in again.data and order_rows(again.data) == {str(first),
                                                                             str(second)}
            await unknown.nothing_for(0.3)


async def test_a_burst_of_scans_reaches_the_boards_as_one_change(
        db: Any, shop: Any, server: LiveServer) -> None:
    feeds = hub(server)
    async with db.writing() as session:
        first = await add_order(session, shop, {"milk": 2, "bread": 1})
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as a, \
            httpx.AsyncClient(base_url=server.url, timeout=10) as b:
        supervisor, picker = await signed_in(a, b)
        assert (await supervisor.get("/board/")).status_code == 200  # the store's feed starts
        feed = feeds.feeds[shop.store_id]
        assert await picker.take_next() == first
        await heard(feed, 0)  # taken: a change of its own, before the burst
        page = await supervisor.get("/board/")
        since = SINCE.search(page.text).group(1)  # type: ignore[union-attr]
        # from now on a burst lasts long enough for three scans on a busy machine
        feeds.coalesce = 3.0
        async with board_stream(a, f"/board/live?since={since}") as board:
            renders = feeds.feeds[shop.store_id].renders
            for code in (MILK, MILK, BREAD):
                assert (await picker.scan(first, code)).status_code == 200
            burst = await board.next(seconds=20)
            assert "Picked 2 of 2" in unwrapped(burst.data)
            assert order_rows(burst.data) == {str(first)}
            await board.nothing_for(1.3)
            assert feeds.feeds[shop.store_id].renders == renders + 1


async def test_boards_with_and_without_gzip_read_the_same_changes(
        db: Any, shop: Any, server: LiveServer) -> None:
    """Changes are compressed once for every gzip board (app.web.shared_gzip); a board
    that opened later, and one that does not take gzip, read exactly the same events."""
    hub(server)
    async with db.writing() as session:
        first = await add_order(session, shop, {"milk": 2})
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as a, \
            httpx.AsyncClient(base_url=server.url, timeout=10) as b:
        _supervisor, picker = await signed_in(a, b)
        async with a.stream("GET", "/board/live") as response:
            assert response.headers["content-encoding"] == "gzip"
        async with a.stream("GET", "/board/live",
                            headers={"accept-encoding": "identity"}) as response:
            assert "content-encoding" not in response.headers
        async with board_stream(a, "/board/live") as early, \
                board_stream(a, "/board/live", {"accept-encoding": "identity"}) as plain:
            await early.next()
            await plain.next()  # the whole board, each its own
            assert await picker.take_next() == first
            taken = [await early.next(), await plain.next()]
            async with board_stream(a, "/board/live") as late:
                await late.next()
                for n in range(2):
                    assert (await picker.scan(first, MILK)).status_code == 200
                    got = [await early.next(), await plain.next(), await late.next()]
                    assert got[0] == got[1]
                    assert order_rows(got[0].data) == order_rows(got[2].data) == {str(first)}
                    if n:  # the late board's first change had every piece (it was new)
                        assert got[2] == got[0]
            assert taken[0] == taken[1]
        # the line is picked: both scans came through
        assert "Picked 1 of 1" in unwrapped(got[0].data)
