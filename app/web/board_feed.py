"""The live board's feed: one listener and one render per store and change, shared by every board.

A store's feed subscribes once to ``store:<id>`` (the broker's messages name the
order that changed) and gathers the orders named in a burst of messages for
``coalesce`` seconds. It then reads the board once, renders once per language
that has an open board, and hands the same text to every board's queue. What
it sends are htmx out-of-band swaps: the changed orders' rows (moved to their
place when their status or rank changed, removed when they left the board), and
the counters, alerts, section heads and pickers' rows that now differ from what
the boards were last sent. Every ``tick`` seconds it compares all rows (minutes
in status and countdowns move with the clock) and sends those that changed.

Each change has a version; the page says which version it includes
(``since``), so a fresh load is not sent the board again; a board that comes
back after a gap gets the orders that changed meanwhile, or, when the gap is
too long or the feed restarted, the whole board once.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import logging
import re
import secrets
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from litestar import Request
from litestar.response import Stream, Template
from sqlalchemy import select

from app import board_queries, board_summary, floor_queries, i18n
from app.board_queries import Board, PickerRow
from app.db import tables
from app.web import live
from app.web.gzip import wants_gzip
from app.web.shared_gzip import Encoder, Segment, Shared, sse

Req = Request[Any, Any, Any]
log = logging.getLogger("storepick.board")
PARTS = "board/_board_parts.html"
COALESCE_SECONDS = 0.15  # a burst of scans becomes one change
TICK_SECONDS = 30.0  # minutes in status and countdowns move with the clock
LINGER_SECONDS = 60.0  # a feed nobody listens to stops after this
KEEP_VERSIONS = 200  # changes remembered for boards that come back
QUEUE_LIMIT = 64  # a board this far behind gets the whole board instead
FANOUT_STEP = 3  # boards woken per turn of the event loop when a change goes out
_SPACE = re.compile(r"\s*\n\s*")  # whitespace across lines reads as one space in HTML
FULL = "full"  # a queue item: send this board the whole board
END = "end"  # a queue item: the feed stopped; the browser reconnects to a new one


@dataclass(eq=False)
class Subscriber:
    """One open board stream: its language, a request to render with, its queue."""

    language: str
    request: Req
    # (version, html for this board alone, or a change every board gets in the same bytes)
    queue: asyncio.Queue[tuple[str, str | Segment]] = field(default_factory=asyncio.Queue)
    fresh: bool = True  # joined since the last change: gets every piece once


@dataclass
class BoardData:
    """What one read of the board gives: the rows, counters, alerts and pickers."""

    board: Board
    pickers: list[PickerRow]
    rates: dict[int, Any] = field(default_factory=dict)  # picker -> found/first-time rates
    waiting: list[Any] = field(default_factory=list)  # customers at pickup (issue 16)
    pickup: Any = None  # the store's pickup settings (its waiting limit)


@dataclass
class Memory:
    """What a feed last read of its store's orders and pickers, so that a change re-reads
    only the orders it names and their pickers; ``None`` reads everything afresh (the
    first change, the clock's tick, and after a change the feed did not follow)."""

    orders: board_queries.OrderFacts | None = None
    pickers: board_queries.PickerFacts | None = None

    def forget(self) -> None:
        self.orders = self.pickers = None


# (store, memory, the orders changed or None for everything) -> the board as of now
Loader = Callable[[int, Memory, frozenset[int] | None], Awaitable[BoardData]]


class StoreFeed:
    """The feed of one store in this process (see the module's docstring)."""

    def __init__(self, hub: BoardFeeds, store_id: int) -> None:
        self.hub, self.store_id = hub, store_id
        self.epoch = secrets.token_hex(4)  # a restarted feed does not know older versions
        self.version = 0
        self.changes: deque[tuple[int, frozenset[int] | None]] = deque(maxlen=KEEP_VERSIONS)
        self.subscribers: set[Subscriber] = set()
        self.sent: dict[str, dict[str, str]] = {}  # language -> piece id -> html last sent
        self.histories: dict[str, Shared] = {}  # language -> the boards' shared compression
        self.pending: set[int] = set()
        self.wake = asyncio.Event()
        self.subscribed = asyncio.Event()
        self.in_flight: frozenset[int] = frozenset()  # orders of the change being rendered
        self.memory = Memory()
        self.renders = 0  # delta renders (one per language and change), for tests
        self.task: asyncio.Task[None] | None = None

    @property
    def token(self) -> str:
        return f"{self.epoch}.{self.version}"

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name=f"board-feed-{self.store_id}")

    def join(self, subscriber: Subscriber) -> None:
        self.subscribers.add(subscriber)

    def leave(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    def missed(self, since: str | None) -> frozenset[int] | None:
        """Orders changed after ``since`` (a token); None when unknown (send everything)."""
        if not since:
            return None
        epoch, _dot, number = since.partition(".")
        if epoch != self.epoch or not number.isdigit() or int(number) > self.version:
            return None
        after = int(number)
        if after == self.version:
            return frozenset()
        if not self.changes or self.changes[0][0] > after + 1:
            return None  # forgotten
        ids: set[int] = set()
        for version, changed in self.changes:
            if version > after:
                if changed is None:
                    return None
                ids |= changed
        return frozenset(ids)

    async def _run(self) -> None:
        plugin = self.hub.channels
        try:
            async with plugin.start_subscription([f"store:{self.store_id}"]) as subscription:
                self.subscribed.set()
                reading = asyncio.create_task(self._read(subscription))
                try:
                    await self._loop()
                finally:
                    reading.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await reading
        finally:
            self.hub.forget(self)
            for subscriber in list(self.subscribers):
                subscriber.queue.put_nowait((END, ""))  # the browser comes back to a new feed

    async def _read(self, subscription: Any) -> None:
        async for raw in subscription.iter_events():
            message = _decode(raw)
            if message is None:
                continue
            order_id = message.get("order_id")
            if isinstance(order_id, int):
                self.pending.add(order_id)
                self.wake.set()

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        tick_at = idle_since = loop.time()
        tick_at += self.hub.tick
        while True:
            if self.subscribers:
                idle_since = loop.time()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(
                        tick_at if self.subscribers else idle_since + self.hub.linger):
                    await self.wake.wait()
            if self.wake.is_set():
                await asyncio.sleep(self.hub.coalesce)  # the rest of the burst
                self.wake.clear()
                changed, self.pending = frozenset(self.pending), set()
                await self._safely(changed, everything=False)
            elif self.subscribers and loop.time() >= tick_at:
                tick_at = loop.time() + self.hub.tick
                await self._safely(frozenset(), everything=True)
            elif not self.subscribers and loop.time() - idle_since >= self.hub.linger:
                return

    async def _safely(self, changed: frozenset[int], *, everything: bool) -> None:
        if not self.subscribers:
            self._record(changed)  # versions keep counting for pages being opened
            self.memory.forget()  # nobody read this change: the next one reads everything
            return
        self.in_flight = changed
        try:
            await self._publish(changed, everything=everything)
        except Exception:
            log.exception("board delta failed")
            self.memory.forget()
            self._record(changed)
            for subscriber in list(self.subscribers):
                self._put(subscriber, FULL, "")
        finally:
            self.in_flight = frozenset()

    def _record(self, changed: frozenset[int] | None) -> None:
        self.version += 1
        self.changes.append((self.version, changed))

    async def _publish(self, changed: frozenset[int], *, everything: bool) -> None:
        data = await self.hub.load(self.store_id, self.memory, None if everything else changed)
        # The boards this change goes to. The rendering below lets the event loop run
        # between its pieces (each a few ms: a scan waits behind one piece, not all of
        # them); a board that joins meanwhile read the board after this change, so it is
        # not sent it, as one that joined while the board was read.
        boards = list(self.subscribers)
        by_language: dict[str, list[Subscriber]] = {}
        for subscriber in boards:
            by_language.setdefault(subscriber.language, []).append(subscriber)
        texts: dict[str, tuple[str, str]] = {}
        for language, group in by_language.items():
            sent = self.sent.setdefault(language, {})
            renderer = self.hub.pieces(group[-1].request, language)
            self.renders += 1
            usual = delta(renderer, data, changed, sent, everything=everything,
                          all_pieces=False)
            complete = ""
            if any(s.fresh for s in group):
                await asyncio.sleep(0)
                complete = delta(renderer, data, changed, dict(sent), everything=everything,
                                 all_pieces=True)
            texts[language] = (usual, complete)
            await asyncio.sleep(0)
        for language in list(self.sent):
            if language not in by_language:
                del self.sent[language]  # nobody to compare with: start afresh next time
                self.histories.pop(language, None)
        self._record(None if everything else changed)
        segments = {language: self.history(language).segment(
                        sse(data=usual, event="board", id=self.token))
                    for language, (usual, _complete) in texts.items() if usual}
        for n, subscriber in enumerate(boards, 1):
            if subscriber not in self.subscribers:
                continue  # closed meanwhile
            if subscriber.fresh:
                subscriber.fresh = False
                if complete := texts[subscriber.language][1]:
                    self._put(subscriber, self.token, complete)
            elif segment := segments.get(subscriber.language):
                self._put(subscriber, self.token, segment)
            if n % FANOUT_STEP == 0:
                # Each board woken here sends at once (compressed, through the middlewares):
                # a hundred in one go held every scan waiting behind them. Let the scans in.
                await asyncio.sleep(0)

    def history(self, language: str) -> Shared:
        """The compression shared by this store's boards in ``language``."""
        return self.histories.setdefault(language, Shared())

    def _put(self, subscriber: Subscriber, token: str, text: str | Segment) -> None:
        if subscriber.queue.qsize() >= QUEUE_LIMIT:
            while not subscriber.queue.empty():
                subscriber.queue.get_nowait()
            token, text = FULL, ""
        subscriber.queue.put_nowait((token, text))


class Pieces:
    """Renders the board's pieces (board/_board_parts.html macros) in one language."""

    def __init__(self, request: Req, language: str) -> None:
        i18n.set_language(language)
        from app.web.render import base_context

        template = Template(PARTS, context=base_context(request))
        context = template.create_template_context(request)
        engine = request.app.template_engine
        assert engine is not None
        self.module = engine.get_template(PARTS).make_module(vars=context)

    def __getattr__(self, name: str) -> Callable[..., str]:
        macro = getattr(self.module, name)
        return lambda *args, **kwargs: str(macro(*args, **kwargs))


def delta(pieces: Any, data: BoardData, changed: Iterable[int], sent: dict[str, str], *,
          everything: bool = False, all_pieces: bool = False) -> str:
    """Out-of-band swaps that bring a board from ``sent`` to ``data``; updates ``sent``.

    Rows of ``changed`` orders are always sent (their change is news even when a
    burst brought a row back to how it was); with ``everything`` every row is
    compared. Counters, alerts, section heads and pickers are sent when they
    differ from ``sent``, or all of them with ``all_pieces``.
    """
    board, out = data.board, []

    def piece(key: str, html: str, *, force: bool = False) -> bool:
        if not force and not all_pieces and sent.get(key) == html:
            return False
        sent[key] = html
        return True

    counts = pieces.counts(board, oob=True)
    if piece("counts", counts):
        out.append(counts)
    alerts = pieces.alerts(board, oob=True)
    if piece("alerts", alerts):
        out.append(alerts)
    came = pieces.arrivals(data.waiting, data.pickup, oob=True)
    if piece("arrivals", came):
        out.append(came)
    by_status: dict[str, list[Any]] = {status: [] for status in board.counts}
    for row in board.rows:
        by_status.setdefault(row.status, []).append(row)
    for status, rows in by_status.items():
        head = pieces.section_head(board, status, len(rows), oob=True)
        if piece(f"head-{status}", head):
            out.append(head)
    out += _rows(pieces, by_status, set(changed), sent, everything=everything,
                 all_pieces=all_pieces)
    out += _pickers(pieces, data.pickers, data.rates, sent, all_pieces=all_pieces)
    return _SPACE.sub(" ", "".join(out))  # one line: "data:" once, and fewer bytes


def _rows(pieces: Any, by_status: dict[str, list[Any]], changed: set[int],
          sent: dict[str, str], *, everything: bool, all_pieces: bool) -> list[str]:
    """Rows to delete, then rows to (re)place, last first, each before its next neighbour."""
    on_board = {row.id for rows in by_status.values() for row in rows}
    gone = {int(key[4:]) for key in sent if key.startswith("row-")} - on_board
    deletes = [f'<template><tr id="order-row-{order_id}" hx-swap-oob="delete"></tr></template>'
               for order_id in sorted((changed - on_board) | gone)]
    for order_id in gone:
        sent.pop(f"row-{order_id}", None)
        sent.pop(f"at-{order_id}", None)
    places: list[str] = []
    for status, rows in by_status.items():
        for n in range(len(rows) - 1, -1, -1):
            row = rows[n]
            after = rows[n + 1].id if n + 1 < len(rows) else None
            where = f"{status}:{after}"
            if row.id not in changed and not everything:
                continue  # not rendered: a scan's change renders one row, not the board
            html = pieces.order_row(row)
            key = f"row-{row.id}"
            if row.id not in changed and sent.get(key) == html:
                continue
            moved = all_pieces or sent.get(f"at-{row.id}") != where
            known = all_pieces or key in sent
            sent[key], sent[f"at-{row.id}"] = html, where
            if not moved:
                places.append(f'<template><tbody hx-swap-oob="outerHTML:#order-row-{row.id}">'
                              f'{html}</tbody></template>')
                continue
            if known:
                deletes.append(f'<template><tr id="order-row-{row.id}" hx-swap-oob="delete">'
                               f'</tr></template>')
            target = (f"beforebegin:#order-row-{after}" if after is not None
                      else f"beforeend:#rows-{status}")
            places.append(f'<template><tbody hx-swap-oob="{target}">{html}</tbody></template>')
    return deletes + places


def _pickers(pieces: Any, pickers: list[PickerRow], rates: dict[int, Any],
             sent: dict[str, str], *, all_pieces: bool) -> list[str]:
    """Pickers' rows that changed (moved before their next neighbour when the order changed);
    the whole panel when someone joined or left, or for a board that just joined."""
    ids = ",".join(sorted(str(p.id) for p in pickers))
    if all_pieces or sent.get("pickers-set") != ids:
        sent["pickers-set"] = ids
        for n, p in enumerate(pickers):
            sent[f"picker-{p.id}"] = pieces.picker_row(p, rates.get(p.id))
            sent[f"picker-of-{p.id}"] = repr((p, rates.get(p.id)))
            sent[f"picker-at-{p.id}"] = str(pickers[n + 1].id if n + 1 < len(pickers) else "")
        return [pieces.pickers_panel(pickers, rates, oob=True)]
    deletes, places = [], []
    for n in range(len(pickers) - 1, -1, -1):
        p = pickers[n]
        after = str(pickers[n + 1].id) if n + 1 < len(pickers) else ""
        moved = sent.get(f"picker-at-{p.id}") != after
        # A row is drawn from its picker's figures alone: the same figures, the same row,
        # so it is not rendered again to be compared (one picker's scan, not 50 renders).
        source = repr((p, rates.get(p.id)))
        if not moved and sent.get(f"picker-of-{p.id}") == source:
            continue
        html = pieces.picker_row(p, rates.get(p.id))
        sent[f"picker-of-{p.id}"] = source
        if not moved and sent.get(f"picker-{p.id}") == html:
            continue
        sent[f"picker-{p.id}"], sent[f"picker-at-{p.id}"] = html, after
        if not moved:
            places.append(f'<template><tbody hx-swap-oob="outerHTML:#picker-row-{p.id}">'
                          f'{html}</tbody></template>')
            continue
        deletes.append(f'<template><tr id="picker-row-{p.id}" hx-swap-oob="delete">'
                       f'</tr></template>')
        target = f"beforebegin:#picker-row-{after}" if after else "beforeend:#picker-rows"
        places.append(f'<template><tbody hx-swap-oob="{target}">{html}</tbody></template>')
    return deletes + places


class BoardFeeds:
    """Every store's feed in this process."""

    def __init__(self, channels: Any, load: Loader, *, coalesce: float = COALESCE_SECONDS,
                 tick: float = TICK_SECONDS, linger: float = LINGER_SECONDS,
                 pieces: Callable[[Req, str], Any] = Pieces) -> None:
        self.channels, self.load, self.pieces = channels, load, pieces
        self.coalesce, self.tick, self.linger = coalesce, tick, linger
        self.feeds: dict[int, StoreFeed] = {}

    async def feed(self, store_id: int) -> StoreFeed:
        """The store's running feed, started if need be, once it hears the store's changes."""
        feed = self.feeds.get(store_id)
        if feed is None or feed.task is None or feed.task.done():
            feed = self.feeds[store_id] = StoreFeed(self, store_id)
            feed.start()
        async with asyncio.timeout(10):
            await feed.subscribed.wait()
        return feed

    def forget(self, feed: StoreFeed) -> None:
        if self.feeds.get(feed.store_id) is feed:
            del self.feeds[feed.store_id]


def loader(app_state: Any) -> Loader:
    """Reads one store's board (rows, counters, alerts, pickers) with the app's database:
    everything, or only the orders a change names and their pickers (the rest as the
    feed's memory has them; rows, counters and alerts are worked out afresh either way)."""

    async def load(store_id: int, memory: Memory, changed: frozenset[int] | None
                   ) -> BoardData:
        now = app_state.clock()
        async with app_state.db.reading() as session:
            timezone = str(await session.scalar(
                select(tables.stores.c.timezone).where(tables.stores.c.id == store_id)))
            since, _end = board_summary.day_bounds(now, timezone)
            if changed is None or memory.orders is None or memory.pickers is None \
                    or memory.pickers.since != since:
                memory.orders = await board_queries.read_orders(session, store_id)
                memory.pickers = await board_queries.read_pickers(session, store_id, since)
            else:
                moved = await board_queries.refresh_orders(session, memory.orders, set(changed))
                await board_queries.refresh_pickers(session, memory.pickers, moved)
            limits = await board_queries.store_limits(session, store_id)
            rates = await floor_queries.pick_rates(session, store_id, since)
            pickup = await floor_queries.pickup_settings(session, store_id)
            waiting = await floor_queries.waiting_customers(session, store_id, now,
                                                            pickup.wait_limit_minutes)
        await asyncio.sleep(0)  # working out 100 rows takes a few ms: let a scan in first
        board = board_queries.board_of(memory.orders, limits, now)
        await asyncio.sleep(0)
        return BoardData(board, board_queries.pickers_of(memory.pickers, now), rates, waiting,
                         pickup)

    return load


Full = Callable[[], Awaitable[str]]
CatchUp = Callable[[frozenset[int]], Awaitable[str]]


def board_stream(request: Req, feed: StoreFeed, since: str | None, full: Full,
                 catch_up: CatchUp) -> Stream:
    """One board's stream: the whole board or what it missed, then the feed's changes.

    Keep-alives, the stream's lifetime and the browser's reconnect delay as in
    ``app.web.live.live_stream``. Every event is named ``board`` and carries the
    feed's version as its id, which the browser sends back when it reconnects.
    The body is gzip when the browser takes it, its changes compressed once for
    every board (``app.web.shared_gzip``), so the stream sets its own encoding.
    """
    settings = request.app.state.settings
    keepalive: float = getattr(settings, "live_keepalive_seconds", live.KEEPALIVE_SECONDS)
    lifetime: float = getattr(settings, "live_max_seconds", live.MAX_SECONDS)
    subscriber = Subscriber(i18n.current_language(), request)
    encoder = Encoder(wants_gzip(request.scope), feed.history(subscriber.language))

    async def events() -> AsyncIterator[bytes]:
        feed.join(subscriber)
        try:
            missed = feed.missed(since)
            token = feed.token
            yield encoder.own(sse(comment="hello", retry=live.retry_ms()))  # open at once
            if missed is None:
                yield encoder.own(sse(data=await full(), event="board", id=token))
            elif missed or feed.in_flight:
                html = await catch_up(missed | feed.in_flight)
                if html:
                    yield encoder.own(sse(data=html, event="board", id=token))
            loop = asyncio.get_running_loop()
            ends = loop.time() + lifetime
            while (left := ends - loop.time()) > 0:
                try:
                    async with asyncio.timeout(min(keepalive, left)):
                        token, change = await subscriber.queue.get()
                except TimeoutError:
                    if left > keepalive:
                        yield encoder.own(sse(comment="keep-alive"))
                    continue
                if token == END:
                    break
                if isinstance(change, Segment):
                    yield encoder.shared(change)
                    continue
                if token == FULL:
                    subscriber.fresh = True
                    token, change = feed.token, await full()
                yield encoder.own(sse(data=change, event="board", id=token))
            if ending := encoder.end():
                yield ending
        finally:
            feed.leave(subscriber)
            give_back_memory()

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no", "Connection": "keep-alive",
               "Vary": "Accept-Encoding"}
    if encoder.gzip:
        headers["Content-Encoding"] = "gzip"
    return Stream(events(), media_type="text/event-stream", headers=headers)


_trim: dict[str, Any] = {}


def give_back_memory(after: float = 2.0) -> None:
    """Hand freed memory back to the system a little after streams close.

    A closed stream frees its buffers (about 40 KB since boards share one
    compression; 256 KB when each had its own gzip state), but glibc keeps freed
    memory in its arenas. ``malloc_trim`` returns what it can (a part: Python's own
    allocator keeps the rest for the next streams); called once per quiet spell,
    not once per stream. Elsewhere than glibc, nothing.
    """
    if _trim.get("pending"):
        return
    if "call" not in _trim:
        try:
            _trim["call"] = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _trim["call"] = None
    if _trim["call"] is None:
        return
    _trim["pending"] = True

    def trim() -> None:
        _trim["pending"] = False
        _trim["call"](0)

    asyncio.get_running_loop().call_later(after, trim)


def _decode(raw: bytes | str) -> dict[str, Any] | None:
    with contextlib.suppress(ValueError):
        value = json.loads(raw)
        if isinstance(value, dict):
            return value
    return None
