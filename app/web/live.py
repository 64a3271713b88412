"""Server-sent events: a live fragment per subscriber, rendered after each change.

State changes publish small messages (ids only) on ``store:<id>`` and
``order:<id>`` after commit (see UnitOfWork). A live endpoint subscribes to the
channels it cares about and, for each message, asks ``render`` for the
fragments to send; htmx's SSE extension swaps them in by event name. A comment
line every ``keepalive`` seconds keeps proxies and phones from closing the
stream; the stream itself stays open for an hour (``live_max_seconds``), then
ends so that the browser reconnects and its session is checked again. The
first message carries ``retry:``, the delay before the browser reconnects when
the connection drops; htmx's SSE extension adds its own growing backoff when
the server refuses a reconnect. Without SSE, the pages still work by reload.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

from litestar import Request
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage

KEEPALIVE_SECONDS = 15.0
MAX_SECONDS = 3600.0  # then the browser reconnects: a session ended since is noticed
RETRY_MS = (2_000, 6_000)  # the browser's reconnect delay, drawn per stream


def retry_ms() -> int:
    return random.randint(*RETRY_MS)  # jitter, not a secret

# render(message) -> [(event_name, html), ...]; an empty list sends nothing.
Renderer = Callable[[dict[str, Any]], Awaitable[list[tuple[str, str]]]]


def live_stream(request: Request[Any, Any, Any], channels: Iterable[str], render: Renderer, *,
                keepalive: float | None = None,
                initial: dict[str, Any] | None = None) -> ServerSentEvent:
    """An SSE response that re-renders on every message on ``channels``.

    ``initial``, when given, is rendered once right after subscribing, so a
    client that reconnects after a gap catches up at once.
    """
    plugin = request.app.state.channels
    names = list(channels)
    settings = request.app.state.settings
    if keepalive is None:
        keepalive = getattr(settings, "live_keepalive_seconds", KEEPALIVE_SECONDS)
    lifetime: float = getattr(settings, "live_max_seconds", MAX_SECONDS)

    async def events() -> AsyncIterator[ServerSentEventMessage]:
        async with plugin.start_subscription(names) as subscriber:
            # The first message tells the browser how long to wait before it
            # reconnects (EventSource's ``retry``), spread so that a restart
            # does not bring every phone back in the same second.
            yield ServerSentEventMessage(comment="hello", retry=retry_ms())
            if initial is not None:
                for name, html in await render(initial):
                    yield ServerSentEventMessage(data=html, event=name)
            stream = subscriber.iter_events().__aiter__()
            # One pending read, carried across keep-alives. Cancelling an async
            # generator's __anext__ (what wait_for does on timeout) finishes the
            # generator, which ended every stream at its first keep-alive.
            pending: asyncio.Future[bytes] | None = None
            loop = asyncio.get_running_loop()
            ends = loop.time() + lifetime
            try:
                while True:
                    left = ends - loop.time()
                    if left <= 0:
                        return  # the browser reconnects, and its session is checked again
                    if pending is None:
                        pending = asyncio.ensure_future(stream.__anext__())
                    done, _ = await asyncio.wait({pending}, timeout=min(keepalive, left))
                    if not done:
                        if left > keepalive:
                            yield ServerSentEventMessage(comment="keep-alive")
                        continue
                    read, pending = pending, None
                    try:
                        raw = read.result()
                    except StopAsyncIteration:
                        return
                    message = _decode(raw)
                    if message is None:
                        continue
                    for name, html in await render(message):
                        yield ServerSentEventMessage(data=html, event=name)
            finally:
                if pending is not None:
                    pending.cancel()
                    with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                        await pending

    return ServerSentEvent(events(), headers={"Cache-Control": "no-store",
                                              "X-Accel-Buffering": "no"})


def _decode(raw: bytes | str) -> dict[str, Any] | None:
    with contextlib.suppress(ValueError):
        value = json.loads(raw)
        if isinstance(value, dict):
            return value
    return None
