"""One board render shared by every open board that is waiting for it.

A message says "something changed after commit". A board that hears it needs
a render that *started after* it heard it, so the render reads that commit.
When fifty boards of one store hear the same message, the first starts a
render; the others arrive while it runs, cannot trust it (it may predate
their message), and so all wait for the one next render, started as soon as
the running one ends. A burst of N boards costs two renders, not N.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable

Make = Callable[[], Awaitable[str]]


class SharedRender:
    """Per-key coalescing of renders (one process, one event loop)."""

    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Future[str]] = {}
        self._next: dict[Hashable, tuple[asyncio.Future[str], Make]] = {}

    async def render(self, key: Hashable, make: Make) -> str:
        """A render of ``key`` that started no earlier than this call.

        Raises whatever ``make`` raises, to every caller sharing that render.
        """
        if key not in self._running:
            return await asyncio.shield(self._start(key, make))
        if key not in self._next:
            self._next[key] = (asyncio.get_running_loop().create_future(), make)
        return await asyncio.shield(self._next[key][0])

    def _start(self, key: Hashable, make: Make) -> asyncio.Future[str]:
        task = asyncio.ensure_future(make())
        self._running[key] = task
        task.add_done_callback(lambda done: self._finished(key, done))
        return task

    def _finished(self, key: Hashable, done: asyncio.Future[str]) -> None:
        if self._running.get(key) is done:
            del self._running[key]
        waiting = self._next.pop(key, None)
        if waiting is None:
            return
        future, make = waiting
        self._start(key, make).add_done_callback(lambda task: _copy(task, future))


def _copy(source: asyncio.Future[str], target: asyncio.Future[str]) -> None:
    if target.done():
        return
    if source.cancelled():
        target.cancel()
    elif source.exception() is not None:
        target.set_exception(source.exception())  # type: ignore[arg-type]
    else:
        target.set_result(source.result())
