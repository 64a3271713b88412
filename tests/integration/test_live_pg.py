"""Live updates on PostgreSQL: one listening and one publishing connection per process,
whatever the number of messages; big messages; connections that drop."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from app.live_pg import PgChannelsBackend, dsn_of

pytestmark = pytest.mark.postgres


@pytest.fixture
async def backend(pg_url: str) -> AsyncIterator[PgChannelsBackend]:
    live = PgChannelsBackend(dsn_of(pg_url))
    await live.on_startup()
    try:
        yield live
    finally:
        await live.on_shutdown()


async def received(live: PgChannelsBackend, count: int) -> list[tuple[str, Any]]:
    got: list[tuple[str, Any]] = []

    async def read() -> None:
        async for channel, data in live.stream_events():
            got.append((channel, json.loads(data)))
            if len(got) == count:
                return

    async with asyncio.timeout(10):
        await read()
    return got


async def sessions(pg_url: str) -> int:
    conn = await asyncpg.connect(dsn_of(pg_url))
    try:
        return int(await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"))
    finally:
        await conn.close()


async def test_three_hundred_changes_travel_over_the_same_two_connections(
        backend: PgChannelsBackend, pg_url: str) -> None:
    await backend.subscribe(["store:1"])
    for n in range(300):  # one unit of work after another, as scans come
        backend.enqueue([(json.dumps({"n": n}), ["store:1", f"order:{n}"])])
        if n % 50 == 0:
            await asyncio.sleep(0)
    got = await received(backend, 300)
    assert [data["n"] for _, data in got] == list(range(300))  # all, in order
    assert {channel for channel, _ in got} == {"store:1"}  # nobody listens to orders here
    assert backend.connects == {"listener": 1, "publisher": 1}
    assert await sessions(pg_url) == 2


async def test_identical_messages_are_all_delivered(backend: PgChannelsBackend) -> None:
    """NOTIFY folds identical payloads of one transaction: each message is numbered."""
    await backend.subscribe(["store:1"])
    backend.enqueue([('{"order_id": 7}', ["store:1"])] * 3)
    assert len(await received(backend, 3)) == 3


async def test_a_message_over_notifys_limit_arrives_whole(backend: PgChannelsBackend,
                                                           pg_url: str) -> None:
    await backend.subscribe(["store:1"])
    big = {"html": "<tr>" + "x" * 20_000 + "</tr>"}
    backend.enqueue([(json.dumps({"n": 1}), ["store:1"]), (json.dumps(big), ["store:1"]),
                     (json.dumps({"n": 3}), ["store:1"])])
    got = [data for _, data in await received(backend, 3)]
    assert got == [{"n": 1}, big, {"n": 3}]
    conn = await asyncpg.connect(dsn_of(pg_url))
    try:
        assert await conn.fetchval("SELECT count(*) FROM live_payloads") == 1
    finally:
        await conn.close()


async def test_dropped_connections_come_back_and_nothing_queued_is_lost(
        backend: PgChannelsBackend, pg_url: str) -> None:
    await backend.subscribe(["store:1"])
    backend.enqueue([(json.dumps({"n": 0}), ["store:1"])])
    await received(backend, 1)
    admin = await asyncpg.connect(dsn_of(pg_url))
    try:  # a restart, a proxy's idle cut, an admin: both sessions end
        await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    finally:
        await admin.close()
    for _ in range(100):  # the listener notices and listens again (backoff from 0.2 s)
        await asyncio.sleep(0.05)
        if backend.connects["listener"] == 2 and backend.listening():
            break
    assert backend.connects["listener"] == 2 and backend.listening()
    backend.enqueue([(json.dumps({"n": 1}), ["store:1"])])  # the publisher finds out here
    assert [data for _, data in await received(backend, 1)] == [{"n": 1}]
    assert backend.connects["publisher"] == 2


class CountingRows:
    """Stands in for a store's settings rows (app.services.stores.StoreRows): counts reads."""

    address = "postgresql://test-live-gap"

    def __init__(self) -> None:
        self.reads = 0

    async def read(self, store_id: int) -> Any:
        self.reads += 1
        return f"settings of store {store_id}, read {self.reads}"


async def test_after_a_gap_in_listening_cached_sessions_and_settings_are_read_again(
        backend: PgChannelsBackend, pg_url: str) -> None:
    """A sign-out or a settings change announced while this process was not listening
    never reaches it: once it listens again it must not trust what it cached."""
    from datetime import UTC, datetime, timedelta

    from app.auth import SessionCache
    from app.services import stores

    cache, rows, woken = SessionCache(ttl=600), CountingRows(), []
    backend.session_cache, backend.on_message = cache, lambda: woken.append(1)
    now = datetime.now(UTC)
    cache.put("token-of-a-picker", "the picker", now + timedelta(hours=1))
    await stores.load_store(rows, 7)
    await stores.load_store(rows, 7)
    assert rows.reads == 1 and cache.get("token-of-a-picker", now) == "the picker"  # cached
    admin = await asyncpg.connect(dsn_of(pg_url))
    try:  # the listener's session ends (a restart, an idle cut)
        await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE application_name = 'storepick-live-listen'")
    finally:
        await admin.close()
    for _ in range(100):
        await asyncio.sleep(0.05)
        if backend.connects["listener"] == 2 and backend.listening():
            break
    assert backend.connects["listener"] == 2 and backend.listening()
    assert cache.get("token-of-a-picker", now) is None  # read from the database again
    await stores.load_store(rows, 7)
    assert rows.reads == 2
    assert woken  # the relay looks for events other processes committed meanwhile
    stores.forget_all_stores()


class CountingRelay:
    """Stands in for the relay (sync.relay.Relay.run): records that it runs."""

    def __init__(self) -> None:
        self.running = 0

    async def run(self, stop: asyncio.Event) -> None:
        self.running += 1
        try:
            await stop.wait()
        finally:
            self.running -= 1


async def test_one_relay_runs_across_processes_and_another_takes_over_when_it_stops(
        pg_url: str) -> None:
    from app.leader import leading_relay

    first, second = CountingRelay(), CountingRelay()
    async with contextlib.AsyncExitStack() as stack:
        a = await stack.enter_async_context(
            leading_relay(first, dsn_of(pg_url), retry_seconds=0.2))  # type: ignore[arg-type]
        async with asyncio.timeout(5):
            await a.leading.wait()
        await stack.enter_async_context(
            leading_relay(second, dsn_of(pg_url), retry_seconds=0.2))  # type: ignore[arg-type]
        await asyncio.sleep(1)  # several tries of the second
        assert (first.running, second.running) == (1, 0)
        admin = await asyncpg.connect(dsn_of(pg_url))
        try:  # the leader's session dies (a crash, a cut): its lock goes with it
            held_by = "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            old = await admin.fetchval(held_by)
            await admin.execute("SELECT pg_terminate_backend($1)", old)
            for _ in range(100):  # a new session holds it, and one relay runs: only one
                await asyncio.sleep(0.1)
                if await admin.fetchval(held_by) not in (None, old) and \
                        first.running + second.running == 1:
                    break
            assert await admin.fetchval(held_by) not in (None, old)
            assert first.running + second.running == 1
        finally:
            await admin.close()


async def test_an_update_postgresql_refuses_is_dropped_and_the_next_ones_still_arrive(
        backend: PgChannelsBackend, pg_url: str) -> None:
    """Sent again, a refused batch would be refused forever and block every later update."""
    await backend.subscribe(["store:1"])
    admin = await asyncpg.connect(dsn_of(pg_url))
    try:  # a database whose migration went missing: big bodies have nowhere to go
        await admin.execute("DROP TABLE live_payloads")
    finally:
        await admin.close()
    backend.enqueue([(json.dumps({"html": "x" * 20_000}), ["store:1"])])
    await asyncio.sleep(0.3)
    backend.enqueue([(json.dumps({"n": 2}), ["store:1"])])
    assert [data for _, data in await received(backend, 1)] == [{"n": 2}]
    assert backend.connects["publisher"] == 1  # the connection was fine all along
