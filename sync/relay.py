"""The outbox relay: every event reaches the OMS at least once, in order per order.

A round: claim (short transaction: a fair share of many orders, at most
``events_per_order`` each) -> deliver (``sync.delivery``: orders side by side,
each order's events one after another, several orders' next events per
request when the OMS takes batches) -> record the outcomes (one short
transaction). Nothing is held open while waiting on the network. Crashing
anywhere is safe: an event whose outcome was not recorded is sent again (the
OMS deduplicates on ``event_id``), and an order's later events never
overtake an earlier one. No request starts after 75% of the lease or may
take past 90% of it, so another relay taking over an expired lease never
sends an event while this one still is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from sync import outbox
from sync.client import Backoff, Delivery, post_batch, post_event
from sync.delivery import Send, deliver
from sync.outbox import Claimed, Outcome, Transactions

log = logging.getLogger("storepick.relay")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RelayConfig:
    """``batch_url`` set: up to ``batch_size`` events of different orders per request
    (the OMS's batch endpoint, see ``sync.client``); unset: one event per request."""

    url: str
    secret: str
    batch_url: str | None = None
    batch_size: int = 100
    heads_per_round: int = 500  # orders claimed per round
    events_per_order: int = 20  # per order per round, so one round covers many orders
    events_per_round: int = 1000  # bounds how long a claim holds the SQLite writer
    concurrency: int = 8  # requests in flight (httpx costs more per request with more)
    lease_seconds: float = 60.0
    timeout_seconds: float = 10.0
    max_attempts: int = 25  # ~2 h with the default backoff, then a dead letter
    backoff: Backoff = field(default_factory=Backoff)
    idle_seconds: float = 0.5  # poll interval when there is nothing to send
    # After a wake-up from idle, wait this long before the round, so the commits of a
    # busy moment travel together: at 50 scans/s one round (two short transactions and
    # one request) carries a few scans' events instead of one. Events reach the OMS
    # this much later; 0 sends at once.
    linger_seconds: float = 0.0


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
                self._wake.clear()
                try:
                    busy = await self.round(http)
                except Exception:  # keep relaying after a database hiccup
                    log.exception("relay round failed")
                    busy = 0
                if not busy:
                    await self._idle(stop)

    async def _idle(self, stop: asyncio.Event) -> None:
        stopping = asyncio.ensure_future(stop.wait())
        waiters = [stopping, asyncio.ensure_future(self._wake.wait())]
        await asyncio.wait(waiters, timeout=self.config.idle_seconds,
                           return_when=asyncio.FIRST_COMPLETED)
        waiters[1].cancel()
        if self._wake.is_set() and not stop.is_set() and self.config.linger_seconds > 0:
            await asyncio.wait([stopping], timeout=self.config.linger_seconds)
        stopping.cancel()

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
        """One claim-deliver-record round; returns how many events were attempted.

        Raises what the database raises; the leases then simply run out.
        """
        config = self.config
        started = time.monotonic()
        async with self.transactions() as session:
            runs = await outbox.claim(session, self.name, self.clock(),
                                      lease=timedelta(seconds=config.lease_seconds),
                                      heads=config.heads_per_round,
                                      limit=config.events_per_round,
                                      per_order=config.events_per_order)
            await session.commit()
        if not runs:
            return 0
        attempts = await deliver(
            runs, self._sender(http), batch_size=config.batch_size if config.batch_url else 1,
            concurrency=config.concurrency, within=config.timeout_seconds,
            send_until=started + config.lease_seconds * 0.75,
            answer_by=started + config.lease_seconds * 0.9)
        outcomes = [self._outcome(event, delivery) for event, delivery in attempts]
        async with self.transactions() as session:
            await outbox.record(session, self.name, self.clock(), outcomes,
                                [event.id for run in runs for event in run])
            await session.commit()
        self.sent += sum(1 for x in outcomes if x.status == outbox.SENT)
        return len(outcomes)

    def _sender(self, http: httpx.AsyncClient) -> Send:
        """How ``deliver`` sends: one event per request, or a batch of distinct orders."""
        config = self.config

        async def one(events: list[Claimed], within: float) -> Sequence[Delivery]:
            event = events[0]
            return [await post_event(http, config.url, config.secret, event.event_id,
                                     event.envelope.encode(), within=within)]

        async def batch(events: list[Claimed], within: float) -> Sequence[Delivery]:
            if len(events) == 1:
                return await one(events, within)
            return await post_batch(http, config.batch_url or config.url, config.secret,
                                    [(e.event_id, e.envelope.encode()) for e in events],
                                    within=within)

        return batch if config.batch_url else one

    def _outcome(self, event: Claimed, delivery: Delivery) -> Outcome:
        if delivery.ok:
            return Outcome(event.id, outbox.SENT)
        attempt = event.attempts + 1
        if delivery.permanent or attempt >= self.config.max_attempts:
            log.warning("event %s is a dead letter: %s", event.event_id, delivery.error)
            return Outcome(event.id, outbox.DEAD, delivery.error)
        delay = self.config.backoff.delay(attempt, delivery.retry_after, self.rand)
        return Outcome(event.id, outbox.PENDING, delivery.error,
                       self.clock() + timedelta(seconds=delay))

