"""SQLite for the writer connection without a thread hop per statement.

aiosqlite runs every statement in a helper thread and hands the result back
through the event loop: about a millisecond per statement under load, while
SQLite itself needs tens of microseconds (STACK.md measured the same). A scan
is eight statements in one short transaction, so the hops dominated.

This shim gives SQLAlchemy's aiosqlite dialect (``async_creator``) an object
with aiosqlite's interface whose coroutines call ``sqlite3`` directly. It is
used for the one writer connection only, where it is safe:
- every in-process write goes through ``Database.writing()``'s asyncio lock,
  so no other writer in this process can hold SQLite's lock while this one
  waits (a wait here would block the loop the holder needs);
- write transactions are a handful of indexed statements, so running them on
  the loop costs less than the hops did.
Readers keep aiosqlite's thread: a heavy report must not stall scanning. A
writer in another process (a separate relay) can make this one wait up to
``busy_timeout``; run one app process per SQLite file, as DESIGN.md says.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any


class _RunNow:
    """Stands in for aiosqlite's task queue: SQLAlchemy's isolation-level
    setter puts ``(future, function)`` on it; run the function at once."""

    def put_nowait(self, item: tuple[Any, Any]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:  # handed to the awaiting caller
            future.set_exception(exc)


class InlineCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> InlineCursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> InlineCursor:
        self._cursor.executemany(sql, rows)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class InlineConnection:
    """The parts of ``aiosqlite.Connection`` SQLAlchemy's dialect uses."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection = connection  # the dialect checks it is still open
        self._tx = _RunNow()

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    def begin(self, statement: str) -> None:
        self._conn.execute(statement)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self._conn.close()
        self._connection = None  # type: ignore[assignment]

    def stop(self) -> None:
        self._conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)


def creator(path: str) -> Any:
    """An ``async_creator`` for ``create_async_engine`` on the file at ``path``."""

    async def connect() -> InlineConnection:
        return InlineConnection(sqlite3.connect(path, check_same_thread=False))

    return connect
