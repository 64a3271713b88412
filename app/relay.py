"""The outbox relay inside the app process (the default deployment).

Started by ``app.background.running`` in the app's lifespan when
``settings.run_relay`` and ``settings.oms_events_url`` are set; it shares the
app's write transactions (on SQLite that means the app's writer lock, so the
relay never fights the pickers for the database) and is woken after every
commit that wrote events (the publisher ``app.background`` hands to the units
of work calls ``relay.wake()``). When the settings name the OMS's batch endpoint
(``oms_batch_url``), several orders' events travel per request (see ``sync.client``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from app import tasks
from app.db.engine import Database
from app.settings import Settings
from sync.client import Backoff
from sync.relay import Relay, RelayConfig


def relay_for(db: Database, settings: Settings) -> Relay | None:
    """The relay these settings ask for, or None when it is off."""
    if not (settings.run_relay and settings.oms_events_url):
        return None
    # On SQLite the relay shares the pickers' writer lock: smaller rounds keep each
    # claim short (about 7 ms at 200 events, against 34 ms at 1,000) while a backlog drains.
    per_round = 200 if settings.is_sqlite else 1000
    return Relay(db.writing, RelayConfig(url=settings.oms_events_url,
                                         secret=settings.oms_shared_secret,
                                         batch_url=settings.oms_batch_url,
                                         events_per_round=per_round,
                                         timeout_seconds=settings.relay_timeout_seconds,
                                         max_attempts=settings.relay_max_attempts,
                                         lease_seconds=settings.relay_lease_seconds,
                                         linger_seconds=settings.relay_linger_seconds,
                                         backoff=Backoff(base=settings.relay_backoff_base)))


@contextlib.asynccontextmanager
async def relay_running(relay: Relay | None) -> AsyncIterator[Relay | None]:
    """Run ``relay`` for the duration of the block (or nothing, when it is None)."""
    if relay is None:
        yield None
        return
    # a slow OMS at the end: the unrecorded events are simply sent again
    async with stopped_at_exit(relay.run, name="outbox-relay", grace=5):
        yield relay


@contextlib.asynccontextmanager
async def stopped_at_exit(run: Callable[[asyncio.Event], Coroutine[Any, Any, None]], *, name: str,
                          grace: float) -> AsyncIterator[None]:
    """``run(stop)`` as a task for the duration of the block; at its end ``stop`` is set
    and the task given ``grace`` seconds to finish before it is cancelled."""
    stop = asyncio.Event()
    task = asyncio.create_task(run(stop), name=name)
    try:
        yield
    finally:
        stop.set()
        await tasks.stop(task, wait_first=grace, grace=2)
