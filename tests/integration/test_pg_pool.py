"""Pooled PostgreSQL connections the server ended are never handed out.

The pool used to ping every connection it handed out (``pool_pre_ping``: BEGIN, an
empty query and ROLLBACK, three round trips, on every request). It now asks asyncpg
whether the server has closed the session, which costs nothing; these tests hold
that a restart or an admin's cut still costs no request."""

from __future__ import annotations

import asyncio
import itertools

import asyncpg
import pytest
from sqlalchemy import text

from app.db.engine import open_database
from app.live_pg import dsn_of

pytestmark = pytest.mark.postgres


async def end_every_other_session(url: str) -> int:
    admin = await asyncpg.connect(dsn_of(url))
    try:
        return int(await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    finally:
        await admin.close()


async def test_sessions_the_server_ended_are_replaced_without_a_failed_request(
        pg_url: str) -> None:
    db = open_database(pg_url, pool_size=3)
    try:
        async with db.reading() as a, db.reading() as b, db.writing() as c:  # three pooled
            for session in (a, b, c):
                await session.execute(text("SELECT 1"))
        assert await end_every_other_session(pg_url) == 3
        await asyncio.sleep(0.2)  # asyncpg reads the server's goodbye
        for _ in range(4):  # every pooled connection is taken again, one after another
            async with db.writing() as session:
                assert (await session.execute(text("SELECT 1"))).scalar() == 1
                await session.commit()
        async with db.reading() as a, db.reading() as b, db.reading() as c:
            for session in (a, b, c):
                assert (await session.execute(text("SELECT 2"))).scalar() == 2
    finally:
        await db.dispose()


async def test_handing_out_a_pooled_connection_sends_nothing(pg_url: str) -> None:
    """No ping: between two requests on one pooled session, no other transaction runs
    (a ping is one of its own). PostgreSQL numbers each session's transactions."""
    local_number = text("SELECT split_part(virtualtransaction, '/', 2)::bigint FROM pg_locks "
                        "WHERE locktype = 'virtualxid' AND pid = pg_backend_pid()")
    db = open_database(pg_url, pool_size=1)
    try:
        numbers = []
        for _ in range(5):
            async with db.reading() as session:
                numbers.append((await session.execute(local_number)).scalar())
        assert [b - a for a, b in itertools.pairwise(numbers)] == [1, 1, 1, 1]
    finally:
        await db.dispose()


async def test_the_relay_process_pool_replaces_ended_sessions_without_a_ping(
        pg_url: str) -> None:
    """``python -m sync`` builds its own engine (sync may not import app): the same
    check, no ping, and a session the server ended is replaced."""
    from sync.__main__ import engine_for

    local_number = text("SELECT split_part(virtualtransaction, '/', 2)::bigint FROM pg_locks "
                        "WHERE locktype = 'virtualxid' AND pid = pg_backend_pid()")
    engine = engine_for(pg_url)
    try:
        numbers = []
        for _ in range(3):
            async with engine.connect() as conn:
                numbers.append((await conn.execute(local_number)).scalar())
        assert [b - a for a, b in itertools.pairwise(numbers)] == [1, 1]
        assert await end_every_other_session(pg_url) == 1
        await asyncio.sleep(0.2)
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT 3"))).scalar() == 3
    finally:
        await engine.dispose()
