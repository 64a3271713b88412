"""Ending the app's background tasks, every time and within a bound.

Python 3.11's ``asyncio.wait_for`` returns the awaited result, instead of raising
``CancelledError``, when the task running it is cancelled in the same turn of the
event loop as the awaited thing completes (a NOTIFY that arrives as the server
stops; gh-86296, fixed by the rewrite in 3.12). The cancellation is then spent and
the task loops on, so ``task.cancel(); await task`` waits forever. That is how a
test server once hung at shutdown for two minutes.

Two rules close it: loops that wait with a time limit use ``asyncio.timeout`` (it
never eats a cancellation that is not its own), and every task the app starts is
ended with ``stop`` below, which cancels until the task is done, at most ``grace``
seconds, whatever its code does with a cancellation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger("storepick.tasks")

RECANCEL_SECONDS = 0.05  # a swallowed cancellation is repeated this often


async def stop(tasks: Iterable[asyncio.Future[Any]] | asyncio.Future[Any], *,
               grace: float = 5.0, wait_first: float = 0.0) -> bool:
    """End ``tasks``. Those asked to stop another way (an event) get ``wait_first``
    seconds to finish on their own; then every one still running is cancelled, and
    cancelled again every ``RECANCEL_SECONDS`` until it is done, for at most ``grace``
    seconds. Returns False, and logs which, if any is still running after that. What
    a task raised is logged, never raised here: shutdown goes on."""
    pending = {tasks} if isinstance(tasks, asyncio.Future) else set(tasks)
    every = set(pending)
    if wait_first > 0 and pending:
        _, pending = await asyncio.wait(pending, timeout=wait_first)
    deadline = asyncio.get_running_loop().time() + grace
    while pending:
        for task in pending:
            task.cancel()
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            break
        _, pending = await asyncio.wait(pending, timeout=min(RECANCEL_SECONDS, left))
    for task in every - pending:
        if not task.cancelled() and task.exception() is not None \
                and not isinstance(task.exception(), StopAsyncIteration):
            log.warning("%s ended with an error", _name(task), exc_info=task.exception())
    if pending:
        log.warning("left running at shutdown after %.1f s: %s", grace,
                    ", ".join(sorted(_name(task) for task in pending)))
    return not pending


def _name(task: asyncio.Future[Any]) -> str:
    return task.get_name() if isinstance(task, asyncio.Task) else repr(task)
