"""The outbox relay: every event reaches the OMS at least once, in order per order.

A round: claim (short transaction) -> post the events over HTTP, orders side
by side, each order's events one after another, stopping at an order's first
failure -> record the outcomes (short transaction). Nothing is held open
while waiting on the network. Crashing anywhere is safe: an event whose
outcome was not recorded is sent again (the OMS deduplicates on
``event_id``), and an order's later events never overtake an earlier one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import groupby

import httpx

from sync import outbox
from sync.client import Backoff, post_event
from sync.outbox import Claimed, Outcome, Transactions

log = logging.getLogger("storepick.relay")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RelayConfig:
    url: str
    secret: str
    heads_per_round: int = 200  # orders claimed per round
    events_per_round: int = 2000
    concurrency: int = 32  # orders delivered side by side
    lease_seconds: float = 60.0
    timeout_seconds: float = 10.0
    max_attempts: int = 25  # ~2 h with the default backoff, then a dead letter
    backoff: Backoff = field(default_factory=Backoff)
    idle_seconds: float = 0.5  # poll interval when there is nothing to send


class Relay:
    """Delivers the outbox. ``transactions()`` opens one write transaction."""

    def __init__(self, transactions: Transactions, config: RelayConfig, *,
                 http: httpx.AsyncClient | None = None, name: str | None = None,
                 clock: Callable[[], datetime] = utc_now,
                 rand: Callable[[], float] = random.random) -> None:
        self.transactions = transactions
        self.config = config
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:64]
        self.clock = clock
        self.rand = rand
        self._http = http
        self._wake = asyncio.Event()
        self.sent = 0

    def wake(self) -> None:
        """Something was committed: look now instead of after the idle pause."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Rounds until ``stop`` is set; errors are logged and the loop goes on."""
        async with self._client() as http:
            while not stop.is_set():
                try:
                    busy = await self.round(http)
                except Exception:  # keep relaying after a database hiccup
                    log.exception("relay round failed")
                    busy = 0
                if not busy:
                    await self._idle(stop)

    async def _idle(self, stop: asyncio.Event) -> None:
        self._wake.clear()
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        await asyncio.wait(waiters, timeout=self.config.idle_seconds,
                           return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()

    @contextlib.asynccontextmanager
    async def _client(self) -> AsyncIterator[httpx.AsyncClient]:
        if self._http is not None:
            yield self._http
            return
        limits = httpx.Limits(max_connections=self.config.concurrency,
                              max_keepalive_connections=self.config.concurrency)
        async with httpx.AsyncClient(timeout=self.config.timeout_seconds,
                                     limits=limits) as http:
            yield http

    async def round(self, http: httpx.AsyncClient) -> int:
        """One claim-deliver-record round; returns how many events were attempted."""
        lease = timedelta(seconds=self.config.lease_seconds)
        async with self.transactions() as session:
            claimed = await outbox.claim(session, self.name, self.clock(), lease=lease,
                                         heads=self.config.heads_per_round,
                                         limit=self.config.events_per_round)
            await session.commit()
        if not claimed:
            return 0
        deadline = time.monotonic() + self.config.lease_seconds * 0.8
        outcomes = await self._deliver_all(http, claimed, deadline)
        async with self.transactions() as session:
            await outbox.record(session, self.name, self.clock(), outcomes)
            await session.commit()
        self.sent += sum(1 for x in outcomes if x.status == outbox.SENT)
        return len(outcomes)

    async def _deliver_all(self, http: httpx.AsyncClient, claimed: list[Claimed],
                           deadline: float) -> list[Outcome]:
        gate = asyncio.Semaphore(self.config.concurrency)

        async def one_order(events: list[Claimed]) -> list[Outcome]:
            async with gate:
                return await self._deliver_order(http, events, deadline)

        groups = [list(g) for _, g in groupby(claimed, key=lambda c: c.order_id)]
        results = await asyncio.gather(*(one_order(g) for g in groups))
        return [outcome for result in results for outcome in result]

    async def _deliver_order(self, http: httpx.AsyncClient, events: list[Claimed],
                             deadline: float) -> list[Outcome]:
        """In sequence order; the first event that fails stops the rest of the order."""
        outcomes = []
        for event in events:
            if time.monotonic() > deadline:
                break  # our lease is running out: leave the rest to the next round
            delivery = await post_event(http, self.config.url, self.config.secret,
                                        event.event_id, event.envelope.encode())
            if delivery.ok:
                outcomes.append(Outcome(event.id, outbox.SENT))
                continue
            outcomes.append(self._failed(event, delivery.error, delivery.permanent,
                                         delivery.retry_after))
            break
        return outcomes

    def _failed(self, event: Claimed, error: str, permanent: bool,
                retry_after: float | None) -> Outcome:
        attempt = event.attempts + 1
        if permanent or attempt >= self.config.max_attempts:
            log.warning("event %s is a dead letter: %s", event.event_id, error)
            return Outcome(event.id, outbox.DEAD, error)
        delay = self.config.backoff.delay(attempt, retry_after, self.rand)
        return Outcome(event.id, outbox.PENDING, error, self.clock() + timedelta(seconds=delay))

