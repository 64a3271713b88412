"""Server-sent events: a live fragment per subscriber, rendered after each change.

State changes publish small messages (ids only) on ``store:<id>`` and
``order:<id>`` after commit (see UnitOfWork). A live endpoint subscribes to the
channels it cares about and, for each message, asks ``render`` for the
fragments to send; htmx's SSE extension swaps them in by event name. A comment
line every ``keepalive`` seconds keeps proxies and phones from closing the
stream. Without SSE, the pages still work by reload.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

from litestar import Request
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage

KEEPALIVE_SECONDS = 15.0

# render(message) -> [(event_name, html), ...]; an empty list sends nothing.
Renderer = Callable[[dict[str, Any]], Awaitable[list[tuple[str, str]]]]


def live_stream(request: Request[Any, Any, Any], channels: Iterable[str], render: Renderer, *,
                keepalive: float = KEEPALIVE_SECONDS,
                initial: dict[str, Any] | None = None) -> ServerSentEvent:
    """An SSE response that re-renders on every message on ``channels``.

    ``initial``, when given, is rendered once right after subscribing, so a
    client that reconnects after a gap catches up at once.
    """
    plugin = request.app.state.channels
    names = list(channels)

    async def events() -> AsyncIterator[ServerSentEventMessage]:
        async with plugin.start_subscription(names) as subscriber:
            if initial is not None:
                for name, html in await render(initial):
                    yield ServerSentEventMessage(data=html, event=name)
            stream = subscriber.iter_events().__aiter__()
            while True:
                try:
                    raw = await asyncio.wait_for(stream.__anext__(), timeout=keepalive)
                except TimeoutError:
                    yield ServerSentEventMessage(comment="keep-alive")
                    continue
                except StopAsyncIteration:
                    return
                message = _decode(raw)
                if message is None:
                    continue
                for name, html in await render(message):
                    yield ServerSentEventMessage(data=html, event=name)

    return ServerSentEvent(events(), headers={"Cache-Control": "no-store",
                                              "X-Accel-Buffering": "no"})


def _decode(raw: bytes | str) -> dict[str, Any] | None:
    with contextlib.suppress(ValueError):
        value = json.loads(raw)
        if isinstance(value, dict):
            return value
    return None
