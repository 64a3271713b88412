"""Delivering one claim: orders side by side, each order's events one after another.

``deliver`` takes the claim as *runs* (one list per order, in sequence order)
and keeps up to ``concurrency`` requests in flight. Each request carries the
next event of up to ``batch_size`` different orders (``batch_size`` 1: one
event per request), so an order's event N+1 is handed to ``send`` only after
N came back delivered; the first event of an order that is not delivered
ends that order's run for this claim. No request starts after ``send_until``
and none may take longer than ``answer_by`` (both ``time.monotonic()``
values): the relay derives them from its lease, so a request never outlives
the claim it was sent under.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

from sync.client import Delivery
from sync.outbox import Claimed

# send(events of distinct orders, seconds to answer within) -> one Delivery per event, in order
Send = Callable[[list[Claimed], float], Awaitable[Sequence[Delivery]]]
Attempt = tuple[Claimed, Delivery]


class _Dispatch:
    def __init__(self, runs: list[list[Claimed]], send: Send, *, batch_size: int,
                 within: float, send_until: float, answer_by: float) -> None:
        self.ready: deque[deque[Claimed]] = deque(deque(run) for run in runs if run)
        self.active = len(self.ready)
        self.send, self.batch_size, self.within = send, max(batch_size, 1), within
        self.send_until, self.answer_by = send_until, answer_by
        self.changed = asyncio.Event()
        self.attempts: list[Attempt] = []

    async def worker(self) -> None:
        """Take the ready orders' next events, send them, put the orders back in line."""
        while True:
            if not self.ready:
                if self.active == 0:
                    return
                self.changed.clear()
                await self.changed.wait()
                continue
            take = [self.ready.popleft() for _ in range(min(self.batch_size, len(self.ready)))]
            now = time.monotonic()
            if now > self.send_until or self.answer_by - now <= 0:
                self._finish(len(take))  # the lease is running out: next claim's job
                continue
            within = min(self.within, self.answer_by - now)
            deliveries = await self.send([run[0] for run in take], within)
            for run, delivery in zip(take, deliveries, strict=True):
                self.attempts.append((run.popleft(), delivery))
                if delivery.ok and run:
                    self.ready.append(run)
                else:
                    self.active -= 1
            self.changed.set()

    def _finish(self, runs: int) -> None:
        self.active -= runs
        self.changed.set()


async def deliver(runs: list[list[Claimed]], send: Send, *, batch_size: int, concurrency: int,
                  within: float, send_until: float, answer_by: float) -> list[Attempt]:
    """Send the runs; returns every attempted event with its Delivery.

    ``within`` bounds each request (seconds), further cut to ``answer_by``.

    Events never attempted (a run ended early, or time ran out) are not in the
    result. ``send`` must not raise for network trouble (see ``sync.client``);
    if it raises anyway, the exception propagates and nothing is recorded as
    sent for this claim, which only causes re-sends.
    """
    dispatch = _Dispatch(runs, send, batch_size=batch_size, within=within,
                         send_until=send_until, answer_by=answer_by)
    per_request = max(batch_size, 1)
    workers = max(1, min(concurrency, -(-len(runs) // per_request) if per_request > 1
                         else len(runs)))
    async with asyncio.TaskGroup() as group:  # one failing worker stops the others
        for _ in range(workers):
            group.create_task(dispatch.worker())
    return dispatch.attempts
