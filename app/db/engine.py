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
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool

from app.db import inline_sqlite
from sync.pg_pool import postgres_engine

# A pinned writer session's ``info`` key: the sqlite3 connection its transaction runs on.
INLINE_WRITER = "inline_writer"


class WriterSession(AsyncSession):
    """A write session on the pinned SQLite writer (``Database.writing``). The scan's
    statements may have opened the transaction on the driver (``app.db.direct``) without
    the session knowing; its commit and rollback finish that transaction too, so no
    caller can commit the session and leave the driver's writes behind."""

    async def commit(self) -> None:
        if _used(self):  # the session's own transaction, and what it has to flush
            await super().commit()
        raw = self.info[INLINE_WRITER]
        if raw.in_transaction:
            on_driver(raw, "COMMIT")

    async def rollback(self) -> None:
        await super().rollback()
        raw = self.info[INLINE_WRITER]
        if raw.in_transaction:
            on_driver(raw, "ROLLBACK")


def _used(session: AsyncSession) -> bool:
    """Whether the session itself began a transaction, holds objects or has changes to
    flush: otherwise committing or closing it through SQLAlchemy has nothing to do."""
    sync = session.sync_session
    return sync.in_transaction() or bool(len(sync.identity_map)) or not sync._is_clean()


def on_driver(raw: sqlite3.Connection, statement: str) -> None:
    """BEGIN IMMEDIATE, COMMIT or ROLLBACK on the pinned writer's sqlite3 connection,
    its error raised as SQLAlchemy raises the driver's."""
    try:
        raw.execute(statement)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(statement, None, exc, sqlite3.Error) from exc


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
    # SQLite's inline writer: its one connection stays checked out between transactions
    # (the write lock serialises them anyway); a checkout, a BEGIN through the session and
    # a return to the pool cost a scan more than its statements did.
    pinned_writer: bool = False
    _pinned: AsyncConnection | None = field(default=None, repr=False)
    _raw: Any = field(default=None, repr=False)  # its sqlite3 connection

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A session for one write transaction; writers are serialised on SQLite.

        With the pinned SQLite writer the session is bound to that one connection, and
        its ``info[INLINE_WRITER]`` is the driver's sqlite3 connection, on which
        ``app.db.direct`` may begin the transaction itself (``BEGIN IMMEDIATE``, no
        session round). Whatever began it, leaving without a commit rolls it back."""
        if not self.pinned_writer:
            lock = self.write_lock or contextlib.nullcontext()
            async with lock, self.write_sessions() as session:
                yield session
            return
        assert self.write_lock is not None
        async with self.write_lock:
            conn, raw = await self._pinned_connection()
            session = self.write_sessions(bind=conn)
            session.info[INLINE_WRITER] = raw
            try:
                yield session
            finally:
                try:
                    if _used(session):
                        await session.close()  # rolls back what the session began
                finally:
                    if raw.in_transaction:  # begun on the driver and never committed
                        on_driver(raw, "ROLLBACK")

    async def _pinned_connection(self) -> tuple[AsyncConnection, Any]:
        conn = self._pinned
        if conn is None or conn.closed or conn.invalidated:
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()
            conn = self._pinned = await self.writer.connect()
            driver = (await conn.get_raw_connection()).driver_connection
            assert isinstance(driver, inline_sqlite.InlineConnection)
            self._raw = driver._conn
        return conn, self._raw

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
        if self._pinned is not None:
            with contextlib.suppress(Exception):
                await self._pinned.close()
            self._pinned = None
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
            # On the loop already: no execution context for a BEGIN. Already in one when
            # app.db.direct began it on the driver: the session joins it.
            if not driver._conn.in_transaction:
                driver.begin(begin)
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
    pinned = url.startswith("sqlite") and inline_writer
    return Database(
        url=url, writer=writer, reader=reader,
        write_sessions=async_sessionmaker(writer, expire_on_commit=False,
                                          class_=WriterSession if pinned else AsyncSession),
        read_sessions=async_sessionmaker(reader, expire_on_commit=False),
        write_lock=lock,
        pinned_writer=pinned,
        quick=quick,
        quick_sessions=(None if quick is None
                        else async_sessionmaker(quick, expire_on_commit=False)),
    )
