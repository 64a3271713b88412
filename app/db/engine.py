"""Engines and session factories, made in the app's lifespan (never at import).

SQLite: one writer connection whose transactions start with ``BEGIN IMMEDIATE``
(so read-modify-write never loses an update), guarded by an asyncio lock so
writers queue in Python instead of in SQLite's sleep-based busy handler; and a
pool of reader connections with a plain ``BEGIN`` so screens never wait on
writers (WAL). PostgreSQL: one pooled engine for both.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool

from app.db import inline_sqlite
from sync.pg_pool import postgres_engine


@dataclass
class Database:
    url: str
    writer: AsyncEngine
    reader: AsyncEngine
    write_sessions: async_sessionmaker[AsyncSession]
    read_sessions: async_sessionmaker[AsyncSession]
    write_lock: asyncio.Lock | None = field(default=None)
    # SQLite: small indexed reads on the loop (no thread hop), for the screens a
    # picker waits on after every scan; None elsewhere (``reading`` serves).
    quick: AsyncEngine | None = field(default=None)
    quick_sessions: async_sessionmaker[AsyncSession] | None = field(default=None)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A session for one write transaction; writers are serialised on SQLite."""
        lock = self.write_lock or contextlib.nullcontext()
        async with lock, self.write_sessions() as session:
            yield session

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        async with self.read_sessions() as session:
            yield session

    @contextlib.asynccontextmanager
    async def quick_reading(self) -> AsyncIterator[AsyncSession]:
        """A read session for a few indexed statements that answer a picker's action
        (the pick list after a scan). On SQLite it runs sqlite3 on the loop, as the
        writer does: WAL readers never wait for the writer, and these reads take
        tens of microseconds where a thread hop per statement takes a millisecond
        under load. Reports and boards keep ``reading`` (a thread per statement),
        so nothing slow ever runs on the loop."""
        factory = self.quick_sessions or self.read_sessions
        async with factory() as session:
            yield session

    async def dispose(self) -> None:
        if self.quick is not None:
            await self.quick.dispose()
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


def _sqlite_pragmas(immediate: bool) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "busy_timeout=5000", "foreign_keys=ON",
                       "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    def on_begin(conn: Any) -> None:
        driver = conn.connection.driver_connection
        if isinstance(driver, inline_sqlite.InlineConnection):
            driver.begin(begin)  # on the loop already: no execution context for a BEGIN
        else:
            conn.exec_driver_sql(begin)

    return on_connect, on_begin


def _sqlite_engine(url: str, *, immediate: bool, pool_size: int,
                   inline: bool = False) -> AsyncEngine:
    extra: dict[str, Any] = {}
    if inline:
        extra["async_creator"] = inline_sqlite.creator(url.split(":///", 1)[1])
    engine = create_async_engine(url, poolclass=AsyncAdaptedQueuePool, pool_size=pool_size,
                                 max_overflow=0, **extra)
    on_connect, on_begin = _sqlite_pragmas(immediate)
    event.listen(engine.sync_engine, "connect", on_connect)
    event.listen(engine.sync_engine, "begin", on_begin)
    return engine


def open_database(url: str, *, pool_size: int = 16, inline_writer: bool = True) -> Database:
    """Create engines and session factories for ``url`` (sqlite+aiosqlite or postgresql+asyncpg)."""
    if url.startswith("sqlite"):
        # The writer runs sqlite3 on the loop (see app.db.inline_sqlite); readers
        # keep aiosqlite's thread so a slow report never stalls a scan.
        writer = _sqlite_engine(url, immediate=True, pool_size=1, inline=inline_writer)
        reader = _sqlite_engine(url, immediate=False, pool_size=4)
        quick: AsyncEngine | None = (
            _sqlite_engine(url, immediate=False, pool_size=2, inline=True)
            if inline_writer else None)
        lock: asyncio.Lock | None = asyncio.Lock()
    else:
        # Sized for a busy process (16 requests at once in benchmarks.scale) so that a
        # burst does not open and close overflow sessions over and over: 10 + 5 opened
        # 47 sessions in one benchmark run (a fork and a type lookup each on the server).
        writer = reader = postgres_engine(url, pool_size=pool_size, max_overflow=4)
        quick = None
        lock = None
    return Database(
        url=url, writer=writer, reader=reader,
        write_sessions=async_sessionmaker(writer, expire_on_commit=False),
        read_sessions=async_sessionmaker(reader, expire_on_commit=False),
        write_lock=lock,
        quick=quick,
        quick_sessions=(None if quick is None
                        else async_sessionmaker(quick, expire_on_commit=False)),
    )
