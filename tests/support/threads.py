"""Run set-up work away from the current thread.

Playwright's sync API keeps an event loop running in the test thread, so once a
browser is open ``asyncio.run`` (ours, or Alembic's) cannot be called there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def in_a_thread(work: Callable[[], T]) -> T:
    """Call ``work`` in a fresh thread and return its result (or raise its error)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(work).result()


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion on a new loop in a fresh thread."""
    return in_a_thread(lambda: asyncio.run(make()))
