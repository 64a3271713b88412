"""One outbox relay across every app process of a PostgreSQL deployment.

Each process that would run the relay first asks PostgreSQL for a session
advisory lock on a connection of its own (``pg_try_advisory_lock``). The one
that gets it runs the relay for as long as that connection lives; the others
ask again every ``retry_seconds``. When the leader stops or dies, PostgreSQL
releases its lock with its session and another process takes over within one
retry. (The relay's own claim leases keep two relays from sending the same
event anyway; the lock keeps N processes from polling the outbox N times.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg

from app.relay import stopped_at_exit
from sync.relay import Relay

log = logging.getLogger("storepick.relay")

LOCK_KEY = 0x5354_5245_4C41  # "STRELA": one number for the whole database
RETRY_SECONDS = 5.0


class Leadership:
    """Runs ``relay`` only while this process holds the advisory lock."""

    def __init__(self, relay: Relay, connect: Callable[[], Awaitable[asyncpg.Connection]], *,
                 retry_seconds: float = RETRY_SECONDS) -> None:
        self.relay = relay
        self._connect = connect
        self._retry = retry_seconds
        self.leading = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._term(stop)
            except Exception as exc:  # any failure: reconnect, never stop
                log.warning("relay leadership: %s", exc)
            self.leading.clear()
            with contextlib.suppress(TimeoutError):  # jitter: not all at the same moment
                async with asyncio.timeout(self._retry * (0.5 + random.random())):
                    await stop.wait()

    async def _term(self, stop: asyncio.Event) -> None:
        conn = await self._connect()
        try:
            if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY):
                return
            log.info("this process runs the outbox relay")
            self.leading.set()
            # a slow OMS at the end: the unrecorded events are simply sent again
            async with stopped_at_exit(self.relay.run, name="outbox-relay", grace=5):
                while not stop.is_set():  # lead while the lock's session lives
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self._retry):
                            await stop.wait()
                    await conn.fetchval("SELECT 1", timeout=5)
        finally:
            conn.terminate()  # the lock goes with the session


@contextlib.asynccontextmanager
async def leading_relay(relay: Relay, dsn: str, *, retry_seconds: float = RETRY_SECONDS
                        ) -> AsyncIterator[Leadership]:
    """Compete for the relay for the duration of the block."""
    leadership = Leadership(relay, lambda: asyncpg.connect(
                                dsn=dsn, timeout=10,
                                server_settings={"application_name": "storepick-relay"}),
                            retry_seconds=retry_seconds)
    async with stopped_at_exit(leadership.run, name="relay-leadership", grace=8):
        yield leadership
