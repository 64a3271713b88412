"""Delivering a claim: orders side by side, each order strictly in sequence, and
what a batch answer means for each of its events."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence

import httpx

from sync.client import Delivery, post_batch
from sync.delivery import deliver
from sync.outbox import Claimed, runs_of

OK, FAIL = Delivery(ok=True), Delivery(ok=False, error="HTTP 503")


def event(order: int, sequence: int) -> Claimed:
    return Claimed(id=order * 100 + sequence, event_id=f"{order}-{sequence}", order_id=order,
                   sequence=sequence, attempts=0, envelope="{}")


def runs(orders: int, length: int) -> list[list[Claimed]]:
    return [[event(o, s) for s in range(1, length + 1)] for o in range(1, orders + 1)]


class Recorder:
    """A fake OMS that checks the ordering rule as the relay sends."""

    def __init__(self, fail: set[str] | None = None) -> None:
        self.acked: dict[int, int] = {}
        self.requests: list[list[str]] = []
        self.fail = fail or set()
        self.violations: list[str] = []

    async def __call__(self, events: list[Claimed], within: float) -> Sequence[Delivery]:
        self.requests.append([e.event_id for e in events])
        if len({e.order_id for e in events}) != len(events):
            self.violations.append(f"two events of one order in {self.requests[-1]}")
        for e in events:
            if e.sequence != self.acked.get(e.order_id, 0) + 1:
                self.violations.append(f"{e.event_id} before its predecessor was acked")
        await asyncio.sleep(0.001)
        out = []
        for e in events:
            ok = e.event_id not in self.fail
            if ok:
                self.acked[e.order_id] = e.sequence
            out.append(OK if ok else FAIL)
        return out


async def run(claim: list[list[Claimed]], oms: Recorder, batch_size: int,
              send_for: float = 60) -> list[tuple[Claimed, Delivery]]:
    now = time.monotonic()
    return await deliver(claim, oms, batch_size=batch_size, concurrency=4, within=1.0,
                         send_until=now + send_for, answer_by=now + send_for + 1)


async def test_batches_hold_one_event_per_order_and_orders_stay_in_sequence() -> None:
    oms = Recorder()
    attempts = await run(runs(30, 5), oms, batch_size=8)
    assert oms.violations == []
    assert len(attempts) == 150 and all(d.ok for _, d in attempts)
    assert oms.acked == dict.fromkeys(range(1, 31), 5)
    assert max(len(r) for r in oms.requests) == 8


async def test_one_event_per_request_keeps_the_same_rules() -> None:
    oms = Recorder()
    await run(runs(10, 4), oms, batch_size=1)
    assert oms.violations == [] and all(len(r) == 1 for r in oms.requests)
    assert len(oms.requests) == 40


async def test_a_failed_event_ends_its_order_but_not_the_others() -> None:
    oms = Recorder(fail={"2-2"})
    attempts = await run(runs(3, 4), oms, batch_size=3)
    sent = [c.event_id for c, d in attempts if d.ok]
    assert "2-2" not in sent and "2-3" not in [c.event_id for c, _ in attempts]
    assert oms.acked == {1: 4, 2: 1, 3: 4} and oms.violations == []


async def test_nothing_is_sent_once_the_lease_is_running_out() -> None:
    oms = Recorder()
    assert await run(runs(3, 4), oms, batch_size=3, send_for=-1) == []
    assert oms.requests == []


def test_a_claim_never_skips_a_sequence() -> None:
    claimed = [event(1, 3), event(1, 4), event(1, 6), event(2, 1)]
    assert [[c.sequence for c in r] for r in runs_of(claimed)] == [[3, 4], [1]]


def answering(status: int, payload: object, headers: dict[str, str] | None = None
              ) -> httpx.AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=json.dumps(payload).encode(), headers=headers)
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


EVENTS = [("a", b'{"event_id":"a"}'), ("b", b'{"event_id":"b"}'), ("c", b'{"event_id":"c"}')]


async def test_each_event_of_a_batch_gets_its_own_outcome() -> None:
    results = {"results": [{"event_id": "a", "status": 200}, {"event_id": "b", "status": 409},
                           {"event_id": "c", "status": 503}]}
    async with answering(200, results) as http:
        a, b, c = await post_batch(http, "http://oms/events/batch", "s", EVENTS)
    assert a.ok and not b.ok and b.permanent and not c.ok and not c.permanent


async def test_an_event_missing_from_the_answer_is_not_taken_as_delivered() -> None:
    async with answering(200, {"results": [{"event_id": "a", "status": 200}]}) as http:
        a, b, c = await post_batch(http, "http://oms/events/batch", "s", EVENTS)
    assert a.ok and not b.ok and not c.ok and not b.permanent


async def test_a_malformed_answer_is_retried_for_every_event() -> None:
    async with answering(200, ["applied"]) as http:
        out = await post_batch(http, "http://oms/events/batch", "s", EVENTS)
    assert [d.ok or d.permanent for d in out] == [False] * 3


async def test_a_refused_batch_refuses_every_event_with_its_retry_after() -> None:
    async with answering(429, {"detail": "slow down"}, {"Retry-After": "7"}) as http:
        out = await post_batch(http, "http://oms/events/batch", "s", EVENTS)
    assert all(not d.ok and d.retry_after == 7.0 for d in out)
