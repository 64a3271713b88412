"""Engines and session factories, made in the app's lifespan (never at import).

SQLite: one writer connection whose transactions start with ``BEGIN IMMEDIATE``
(so read-modify-write never loses an update), guarded by an asyncio lock so
writers queue in Python instead of in SQLite's sleep-based busy handler; and a
pool of reader connections with a plain ``BEGIN`` so screens never wait on
writers (WAL). PostgreSQL: one pooled engine for both, of which up to three quarters
stay checked out for writers between transactions (kept writers).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
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

# A kept writer session's ``info`` keys: the driver connection its transaction may be
# begun on directly (``app.db.direct``). SQLite: the pinned writer's sqlite3 connection;
# PostgreSQL: SQLAlchemy's asyncpg adapter of a kept write connection.
INLINE_WRITER = "inline_writer"
PG_WRITER = "pg_writer"


class WriterSession(AsyncSession):
    """A write session on a kept writer connection (``Database.writing``). The scan's
    statements may have opened the transaction on the driver (``app.db.direct``) without
    the session knowing; its commit and rollback finish that transaction too, so no
    caller can commit the session and leave the driver's writes behind."""

    async def commit(self) -> None:
        if _used(self):  # the session's own transaction, and what it has to flush
            await super().commit()
        await _finish(self, "COMMIT")

    async def rollback(self) -> None:
        await super().rollback()
        await _finish(self, "ROLLBACK")


def _used(session: AsyncSession) -> bool:
    """Whether the session itself began a transaction, holds objects or has changes to
    flush: otherwise committing or closing it through SQLAlchemy has nothing to do."""
    sync = session.sync_session
    return sync.in_transaction() or bool(len(sync.identity_map)) or not sync._is_clean()


async def _finish(session: AsyncSession, statement: str) -> None:
    """COMMIT or ROLLBACK whatever transaction was begun on the session's driver."""
    raw = session.info.get(INLINE_WRITER)
    if raw is not None:
        if raw.in_transaction:
            on_driver(raw, statement)
        return
    adapter = session.info.get(PG_WRITER)
    if adapter is not None and adapter._transaction is not None:
        await on_adapter(adapter, statement)


def on_driver(raw: sqlite3.Connection, statement: str) -> None:
    """BEGIN IMMEDIATE, COMMIT or ROLLBACK on the pinned writer's sqlite3 connection,
    its error raised as SQLAlchemy raises the driver's."""
    try:
        raw.execute(statement)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(statement, None, exc, sqlite3.Error) from exc


async def on_adapter(adapter: Any, statement: str) -> None:
    """COMMIT or ROLLBACK of the transaction begun on SQLAlchemy's asyncpg adapter, as
    the adapter's own commit and rollback do it (the transaction is let go whatever
    happens), without the greenlet round the session's would take."""
    transaction = adapter._transaction
    finish = transaction.commit if statement == "COMMIT" else transaction.rollback
    try:
        await adapter._call_and_discard(finish)
    except Exception as error:
        raise_translated(adapter, statement, (), error)


def raise_translated(adapter: Any, statement: str, params: Any, error: Exception) -> None:
    """Raise asyncpg's ``error`` as SQLAlchemy raises it (IntegrityError, ...)."""
    try:
        adapter._handle_exception(error)
    except Exception as translated:
        raise DBAPIError.instance(statement, params, translated, adapter.dbapi.Error,
                                  ismulti=False) from error
    raise error


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
    # PostgreSQL: up to this many write connections stay checked out between
    # transactions, each with its asyncpg adapter, for the same reason; a writer that
    # finds none free takes an ordinary pooled session.
    kept_writers: int = 0
    _kept: list[tuple[AsyncConnection, Any]] = field(default_factory=list, repr=False)
    _kept_open: int = field(default=0, repr=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A session for one write transaction; writers are serialised on SQLite.

        With the pinned SQLite writer the session is bound to that one connection, and
        its ``info[INLINE_WRITER]`` is the driver's sqlite3 connection, on which
        ``app.db.direct`` may begin the transaction itself (``BEGIN IMMEDIATE``, no
        session round); on PostgreSQL a kept writer's ``info[PG_WRITER]`` is its asyncpg
        adapter, the same way. Whatever began it, leaving without a commit rolls it back."""
        if self.kept_writers:
            kept = await self._take_kept()
            if kept is not None:
                conn, adapter = kept
                async with self._bound(conn, PG_WRITER, adapter,
                                       functools.partial(self._give_back, conn, adapter)
                                       ) as session:
                    yield session
                return
        if not self.pinned_writer:
            lock = self.write_lock or contextlib.nullcontext()
            async with lock, self.write_sessions() as session:
                yield session
            return
        assert self.write_lock is not None
        async with self.write_lock:
            conn, raw = await self._pinned_connection()
            async with self._bound(conn, INLINE_WRITER, raw) as session:
                yield session

    @contextlib.asynccontextmanager
    async def _bound(self, conn: AsyncConnection, key: str, driver: Any,
                     then: Callable[[bool], Awaitable[None]] | None = None,
                     ) -> AsyncIterator[AsyncSession]:
        """A write session on a kept connection, its driver in ``info[key]``: SQLite's
        pinned writer or a kept PostgreSQL writer, on which ``app.db.direct`` may begin the
        transaction itself. Leaving without a commit rolls back whatever began it;
        ``then`` hears whether that rollback went through (the connection is clean)."""
        session = self.write_sessions(bind=conn)
        session.info[key] = driver
        clean = False
        try:
            yield session
        finally:
            try:
                if _used(session):
                    await session.close()  # rolls back what the session began
                await _finish(session, "ROLLBACK")  # begun on the driver, not committed
                clean = True
            finally:
                if then is not None:
                    await then(clean)

    async def _give_back(self, conn: AsyncConnection, adapter: Any, clean: bool) -> None:
        """A kept PostgreSQL writer back to the free list, or dropped: one whose rollback
        failed or whose server ended it is never handed out again."""
        if clean and not self._closed(conn, adapter):
            self._kept.append((conn, adapter))
        else:
            await self._drop_kept(conn)

    async def _take_kept(self) -> tuple[AsyncConnection, Any] | None:
        """A free kept write connection, a new one while fewer than ``kept_writers`` are
        open, or None. One the server has closed is dropped, not handed out."""
        while self._kept:
            conn, adapter = self._kept.pop()
            if not self._closed(conn, adapter):
                return conn, adapter
            await self._drop_kept(conn)
        if self._kept_open >= self.kept_writers:
            return None
        self._kept_open += 1
        try:
            conn = await self.writer.connect()
            adapter = (await conn.get_raw_connection()).dbapi_connection
        except BaseException:
            self._kept_open -= 1
            raise
        return conn, adapter

    @staticmethod
    def _closed(conn: AsyncConnection, adapter: Any) -> bool:
        return bool(conn.closed or conn.invalidated or adapter._connection.is_closed())

    async def _drop_kept(self, conn: AsyncConnection) -> None:
        self._kept_open -= 1
        with contextlib.suppress(Exception):
            await conn.invalidate()
        with contextlib.suppress(Exception):
            await conn.close()

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
        while self._kept:
            await self._drop_kept(self._kept.pop()[0])
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
    kept = 0 if url.startswith("sqlite") else max(1, pool_size * 3 // 4)
    return Database(
        url=url, writer=writer, reader=reader,
        write_sessions=async_sessionmaker(writer, expire_on_commit=False,
                                          class_=WriterSession if pinned or kept
                                          else AsyncSession),
        kept_writers=kept,
        read_sessions=async_sessionmaker(reader, expire_on_commit=False),
        write_lock=lock,
        pinned_writer=pinned,
        quick=quick,
        quick_sessions=(None if quick is None
                        else async_sessionmaker(quick, expire_on_commit=False)),
    )
