"""The app's background work, started from one place: the lifespan in ``app.factory``.

``running`` starts the outbox relay (when the settings turn it on) and the
substitution expiry loop, each with its dependencies passed in (database,
settings, clock, publisher), and stops both when the block ends. It yields the
publisher the units of work should use: the live updates, plus a nudge that
wakes the relay after every commit that wrote events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app import push, tasks
from app.db.engine import Database
from app.db.uow import Publisher, UnitOfWork
from app.relay import relay_for, relay_running
from app.services import substitutions
from app.settings import Settings
from sync.relay import Relay

log = logging.getLogger("storepick.substitutions")  # the expiry loop's messages
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Background:
    publish: Publisher  # live updates, and a wake-up for the relay
    relay: Relay | None
    notifier: push.Notifier | None = None  # staff Web Push


@contextlib.asynccontextmanager
async def running(*, db: Database, settings: Settings, clock: Clock,
                  publish: Publisher) -> AsyncIterator[Background]:
    """Run the background work for the duration of the block."""
    relay = relay_for(db, settings)
    async with push.notifying(db, settings.data_dir, subject=settings.push_subject,
                              send_seconds=settings.push_timeout_seconds,
                              clock=clock) as notifier:

        async def publish_and_wake(messages: list[dict[str, Any]]) -> None:
            if relay is not None:
                relay.wake()
            await notifier.notice(messages)  # only queued: sent by the push task
            await publish(messages)

        async with expiring_substitutions(db, settings, clock, publish_and_wake), \
                _one_relay(relay, settings):
            yield Background(publish_and_wake, relay, notifier)


def _one_relay(relay: Relay | None, settings: Settings
               ) -> contextlib.AbstractAsyncContextManager[object]:
    """On PostgreSQL several processes may run: the relay runs in the one that holds
    the database's relay lock (app.leader); on SQLite, in the one process."""
    if relay is None or settings.is_sqlite:
        return relay_running(relay)
    from app.leader import leading_relay
    from app.live_pg import dsn_of

    return leading_relay(relay, dsn_of(settings.database_url))


@contextlib.asynccontextmanager
async def expiring_substitutions(db: Database, settings: Settings, clock: Clock,
                                 publish: Publisher) -> AsyncIterator[None]:
    """Every ``substitution_expiry_seconds``, time out the proposals whose window ran
    out (the services apply the same expiry lazily, so outcomes are right without it)."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(settings.substitution_expiry_seconds)
            try:
                await substitutions.expire_due(lambda: UnitOfWork(db, publish), clock())
            except Exception:  # the next round tries again; never kill the loop
                log.exception("substitution expiry failed")

    task = asyncio.create_task(loop(), name="substitution-expiry")
    try:
        yield
    finally:
        await tasks.stop(task, grace=5)
