"""The scan's few statements run straight on the driver, inside the unit of work.

A scan sends five or six small indexed statements. Through ``AsyncSession.execute``
each costs about 150 µs of Python (a greenlet, the ORM session's execute, cache-key
lookup, an execution context, result metadata) around 20-30 µs of SQLite: more than
the database and the page fragment together. Here a statement built once is
compiled once per dialect into its SQL text, the order of its parameters and the
type processors of its parameters and columns (the same processors SQLAlchemy
would apply), and run in the session's own transaction on the inline SQLite writer's
``sqlite3`` connection (``app.db.inline_sqlite``), on the loop, as every writer
statement runs anyway.

The ordinary ``session.execute`` is used whenever this would not be the same: a
session with ORM changes to flush first, a statement with expanding (IN-list)
parameters or Python-side defaults, and PostgreSQL. (Awaiting SQLAlchemy's asyncpg
adapter directly was tried: an app's shutdown then hung now and then on closing a
connection, once in 37 runs of one test and once in a full suite, so PostgreSQL keeps
the session.) Listeners of ``before_cursor_execute`` still hear every statement, and
driver errors are raised as SQLAlchemy's (IntegrityError, ...).
``tests/integration/test_direct.py`` holds both paths to the same rows, types and stored
values, and PostgreSQL to the ordinary one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from app.db.inline_sqlite import InlineConnection

_CACHED = "_direct_sqlite"


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: tuple[tuple[str, Any, Callable[[Any], Any] | None], ...]  # key, fixed, processor
    keys: tuple[str, ...]  # result columns
    results: tuple[Callable[[Any], Any] | None, ...]


_NOT_FIXED = object()


class Statement:
    """A statement built once (bound parameters only), with its compiled plans."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._plans: dict[tuple[str, frozenset[str] | None], _Plan | None] = {}

    def plan(self, dialect: Any, keys: frozenset[str] | None) -> _Plan | None:
        """The compiled plan for this dialect and parameter names, or None when the
        statement needs what only ``session.execute`` does."""
        try:
            return self._plans[dialect.name, keys]
        except KeyError:
            pass
        compiled: Any = self.statement.compile(  # type: ignore[attr-defined]
            dialect=dialect, column_keys=sorted(keys) if keys is not None else None)
        plan: _Plan | None = None
        if (dialect.paramstyle == "qmark"
                and not any(b.expanding for b in compiled.binds.values())
                and not getattr(compiled, "insert_prefetch", None)
                and not getattr(compiled, "update_prefetch", None)):
            processors = compiled._bind_processors
            params = []
            for name in compiled.positiontup:
                bind = compiled.binds[name]
                if bind.key in (keys or ()):
                    params.append((bind.key, _NOT_FIXED, processors.get(name)))
                elif bind.required:  # missing: session.execute says so
                    break
                else:
                    params.append((bind.key, bind.effective_value, processors.get(name)))
            else:
                columns = compiled._result_columns
                plan = _Plan(
                    sql=compiled.string, params=tuple(params),
                    keys=tuple(c[0] for c in columns),
                    results=tuple(c[3]._cached_result_processor(dialect, None)
                                  for c in columns))
        self._plans[dialect.name, keys] = plan
        return plan


async def _writer(session: AsyncSession) -> sqlite3.Connection | None:
    """The inline writer's sqlite3 connection of this session's transaction, when
    statements may run on it directly."""
    sync = session.sync_session
    if not sync._is_clean():  # something to flush first: the ordinary path does it
        return None
    transaction = sync.get_transaction()
    cached = session.info.get(_CACHED)
    if transaction is not None and cached is not None and cached[0] is transaction:
        conn: sqlite3.Connection | None = cached[1]
        return conn
    connection = await session.connection()  # begins the transaction if need be
    fairy = await connection.get_raw_connection()
    raw = fairy.driver_connection
    conn = raw._conn if isinstance(raw, InlineConnection) else None
    session.info[_CACHED] = (sync.get_transaction(), conn)
    return conn


def _dialect(session: AsyncSession) -> Any:
    return session.bind.dialect  # type: ignore[union-attr]


def _bound(plan: _Plan, values: Mapping[str, Any]) -> tuple[Any, ...]:
    out = []
    for key, fixed, processor in plan.params:
        value = values[key] if fixed is _NOT_FIXED else fixed
        out.append(processor(value) if processor is not None else value)
    return tuple(out)


def _announce(session: AsyncSession, sql: str, params: Any, many: bool) -> None:
    engine = session.bind.sync_engine  # type: ignore[union-attr]
    listeners = engine.dispatch.before_cursor_execute
    if listeners:
        for listener in listeners:
            listener(None, None, sql, params, None, many)


async def mappings(session: AsyncSession, statement: Statement,
                   values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows of a SELECT as dicts keyed by column name."""
    conn = await _writer(session)
    plan = statement.plan(_dialect(session), frozenset(values)) if conn is not None else None
    if conn is None or plan is None:
        result = await session.execute(statement.statement, dict(values))
        return [dict(row) for row in result.mappings()]
    params = _bound(plan, values)
    _announce(session, plan.sql, params, False)
    try:
        rows = conn.execute(plan.sql, params).fetchall()
    except sqlite3.Error as exc:
        raise DBAPIError.instance(plan.sql, params, exc, sqlite3.Error) from exc
    keys, results = plan.keys, plan.results
    return [{key: (value if process is None else process(value))
             for key, process, value in zip(keys, results, row, strict=True)}
            for row in rows]


async def execute(session: AsyncSession, statement: Statement,
                  values: Mapping[str, Any] | list[dict[str, Any]]) -> int:
    """Run an INSERT or UPDATE with one set of values or several; the rows it touched."""
    many = not isinstance(values, Mapping)
    rows: list[Mapping[str, Any]] = list(values) if not isinstance(values, Mapping) \
        else [values]
    conn = await _writer(session)
    shape = frozenset(rows[0])
    plan = statement.plan(_dialect(session), shape) if conn is not None else None
    if many and plan is not None and any(frozenset(v) != shape for v in rows):
        plan = None  # rows of different shapes: the ordinary path sorts them out
    if conn is None or plan is None:
        result = await session.execute(statement.statement,
                                       [dict(v) for v in rows] if many else dict(rows[0]))
        return int(result.rowcount)  # type: ignore[attr-defined]
    try:
        if many:
            bound = [_bound(plan, v) for v in rows]
            _announce(session, plan.sql, bound, True)
            return int(conn.executemany(plan.sql, bound).rowcount)
        params = _bound(plan, rows[0])
        _announce(session, plan.sql, params, False)
        return int(conn.execute(plan.sql, params).rowcount)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(plan.sql, None, exc, sqlite3.Error) from exc
