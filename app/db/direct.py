"""The scan's few statements run straight on the driver, inside the unit of work.

A scan sends four or five small indexed statements. Through ``AsyncSession.execute``
each costs about 150 µs of Python (a greenlet, the ORM session's execute, cache-key
lookup, an execution context, result metadata) around 20-30 µs of SQLite: more than
the database and the page fragment together. Here a statement built once is
compiled once per dialect into its SQL text, the order of its parameters and the
type processors of its parameters and columns (the same processors SQLAlchemy
would apply), and run in the session's own transaction:

- SQLite: on the inline writer's ``sqlite3`` connection (``app.db.inline_sqlite``),
  on the loop, as every writer statement runs anyway.
- PostgreSQL: on asyncpg, the way SQLAlchemy's asyncpg adapter runs a statement (its
  lock, the transaction it began, its prepared-statement cache, its translation of
  errors), which ties this path to that adapter's private methods: SQLAlchemy is
  pinned, and ``tests/integration/test_direct.py`` holds the rows, types, stored
  values and errors to the ordinary path's on both databases. Measured with
  callgrind (instructions, repeatable on a busy machine): 10.1 million instructions
  per scan through the session, 8.5 million direct, where SQLite takes 7.8.
  There a round trip to the server, not Python, is what a statement costs, so
  ``write_all`` sends a commit's UPDATEs and INSERTs as one statement
  (data-modifying CTEs): one round trip instead of one per statement.

The ordinary ``session.execute`` is used whenever this would not be the same: a
session with ORM changes to flush first, a statement with expanding (IN-list)
parameters or Python-side defaults, several rows at once on PostgreSQL, and a
reader's aiosqlite thread. Listeners of ``before_cursor_execute`` still hear every
statement, and driver errors are raised as SQLAlchemy's (IntegrityError, ...).
"""

from __future__ import annotations

import functools
import operator
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, Update, bindparam, func, literal_column, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql import Executable, visitors
from sqlalchemy.sql.elements import BindParameter

from app.db.engine import INLINE_WRITER, PG_WRITER, on_driver, raise_translated
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
        self._pg_text: str | None = None

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
        if (dialect.paramstyle in ("qmark", "numeric_dollar")
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

    def postgresql_text(self, **values: int) -> str:
        """This statement as PostgreSQL's simple-query text with ``values`` written in
        as literals: what ``begin_with`` sends in one message with its BEGIN, where a
        bound parameter cannot go. Integers only (``operator.index`` of each: a
        string, a float or None raises, so nothing else can reach the text);
        compiled once, from the same statement the bound path runs, so the two
        cannot drift apart."""
        text = self._pg_text
        if text is None:
            from sqlalchemy.dialects import postgresql

            dialect = postgresql.dialect(paramstyle="pyformat")  # type: ignore[no-untyped-call]
            text = self._pg_text = str(self.statement.compile(  # type: ignore[attr-defined]
                dialect=dialect))
        return text % {name: operator.index(value) for name, value in values.items()}


async def _writer(session: AsyncSession) -> Any:
    """The driver connection statements of this session's transaction may run on
    directly: the inline SQLite writer's ``sqlite3`` connection, SQLAlchemy's asyncpg
    adapter on PostgreSQL, or None (a reader's aiosqlite thread: the ordinary path)."""
    sync = session.sync_session
    if not sync._is_clean():  # something to flush first: the ordinary path does it
        return None
    raw = session.info.get(INLINE_WRITER)
    if raw is not None:  # the pinned SQLite writer (Database.writing): begin on it
        if not raw.in_transaction:
            on_driver(raw, "BEGIN IMMEDIATE")
        return raw
    adapter = session.info.get(PG_WRITER)
    if adapter is not None:  # a kept PostgreSQL writer: _pg_run begins on it
        return adapter
    transaction = sync.get_transaction()
    cached = session.info.get(_CACHED)
    if transaction is not None and cached is not None and cached[0] is transaction:
        return cached[1]
    connection = await session.connection()  # begins the transaction if need be
    fairy = await connection.get_raw_connection()
    raw = fairy.driver_connection
    conn: Any = None
    if isinstance(raw, InlineConnection):
        conn = raw._conn
    elif _dialect(session).driver == "asyncpg":
        conn = fairy.dbapi_connection
    session.info[_CACHED] = (sync.get_transaction(), conn)
    return conn


async def _pg_run(session: AsyncSession, adapter: Any, sql: str,
                  params: tuple[Any, ...]) -> tuple[list[Any], int]:
    """One statement on asyncpg as SQLAlchemy's adapter runs it (its lock, its
    transaction, its prepared-statement cache, its error translation), without
    the session, the execution context and the result objects around it: the rows
    and the rows touched."""
    async with adapter._execute_mutex:
        if adapter._transaction is None:
            await adapter._start_transaction()
        try:
            prepared, _ = await adapter._prepare(
                sql, _dialect(session)._invalidate_schema_cache_asof)
            rows = await prepared.fetch(*params)
            status = prepared.get_statusmsg() or ""
        except Exception as error:
            raise_translated(adapter, sql, params, error)
    touched = status.rsplit(" ", 1)[-1]
    return rows, int(touched) if touched.isdigit() else -1


class _BegunTransaction:
    """The adapter's transaction when ``begin_with`` sent its BEGIN: finished by COMMIT or
    ROLLBACK on the connection, as asyncpg's own transaction object would finish it."""

    __slots__ = ("_connection",)

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    async def commit(self) -> None:
        await self._connection.execute("COMMIT")

    async def rollback(self) -> None:
        await self._connection.execute("ROLLBACK")


async def begin_with(session: AsyncSession, sql: str) -> bool:
    """On a kept PostgreSQL writer whose transaction has not begun, send ``BEGIN`` and
    ``sql`` (a statement with no parameters and no rows wanted: a row lock) as one
    simple query, one round trip instead of two; the transaction then goes on as if
    the adapter had begun it. False, having sent nothing, anywhere else: the caller
    runs its statement the ordinary way."""
    adapter = session.info.get(PG_WRITER)
    if (adapter is None or adapter._transaction is not None
            or adapter.isolation_level is not None or adapter.readonly
            or adapter.deferrable or not session.sync_session._is_clean()):
        return False
    _announce(session, sql, (), False)
    connection = adapter._connection
    async with adapter._execute_mutex:
        failed: Exception | None = None
        try:
            await connection.execute("BEGIN;" + sql)
        except Exception as error:
            failed = error
        # Begun, even when the statement after the BEGIN failed: the session's
        # rollback ends it, on the same connection.
        if failed is None or connection.is_in_transaction():
            adapter._transaction = _BegunTransaction(connection)
        if failed is not None:
            raise_translated(adapter, sql, (), failed)
    return True


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
    rows: Any
    if isinstance(conn, sqlite3.Connection):
        try:
            rows = conn.execute(plan.sql, params).fetchall()
        except sqlite3.Error as exc:
            raise DBAPIError.instance(plan.sql, params, exc, sqlite3.Error) from exc
    else:
        rows, _ = await _pg_run(session, conn, plan.sql, params)
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
    if many and conn is not None and not isinstance(conn, sqlite3.Connection):
        plan = None  # asyncpg's executemany says nothing of the rows touched
    if conn is None or plan is None:
        result = await session.execute(statement.statement,
                                       [dict(v) for v in rows] if many else dict(rows[0]))
        return int(result.rowcount)  # type: ignore[attr-defined]
    if not isinstance(conn, sqlite3.Connection):
        params = _bound(plan, rows[0])
        _announce(session, plan.sql, params, False)
        return (await _pg_run(session, conn, plan.sql, params))[1]
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


@dataclass(frozen=True)
class Write:
    """One INSERT or UPDATE of a commit: a statement built once and its values (one
    set or several rows). ``stale``: touching no row means another writer changed the
    row first (an optimistic version check); StaleDataError says this."""
    statement: Statement
    values: Mapping[str, Any] | list[dict[str, Any]]
    stale: str | None = None


# A merged statement carries every value as a parameter; past these it is split up.
_MERGED_ROWS = 16
_MERGED_PARAMETERS = 2000


async def write_all(session: AsyncSession, writes: list[Write]) -> None:
    """Run ``writes`` in order in the session's transaction, raising StaleDataError
    for a version check that touched nothing.

    SQLite runs them one by one on the inline writer (microseconds each, and a failed
    version check stops the rest). PostgreSQL runs them as one statement, each a
    data-modifying CTE returning what it touched: a scan's order, line, scan and
    outbox rows in one round trip instead of four. They touch different rows, so
    seeing one snapshot together changes nothing; a failed version check raises
    after the statement, and the caller's rollback undoes the rest."""
    if _dialect(session).name == "postgresql" and len(writes) > 1:
        rows = [_rows(w) for w in writes]
        if _mergeable(writes, rows):
            counts = await _merged(session, writes, rows)
            for write, touched in zip(writes, counts, strict=True):
                if write.stale is not None and touched != 1:
                    raise StaleDataError(write.stale)
            return
    for write in writes:
        touched = await execute(session, write.statement, write.values)
        if write.stale is not None and touched != 1:
            raise StaleDataError(write.stale)


def _rows(write: Write) -> list[Mapping[str, Any]]:
    return [write.values] if isinstance(write.values, Mapping) else list(write.values)


def _mergeable(writes: list[Write], rows: list[list[Mapping[str, Any]]]) -> bool:
    return (all(isinstance(w.statement.statement, Insert | Update) for w in writes)
            and all(len(r) <= _MERGED_ROWS for r in rows)
            and sum(len(row) for r in rows for row in r) <= _MERGED_PARAMETERS
            and not any(isinstance(w.statement.statement, Update) and len(r) != 1
                        for w, r in zip(writes, rows, strict=True)))


async def _merged(session: AsyncSession, writes: list[Write],
                  rows: list[list[Mapping[str, Any]]]) -> list[int]:
    statement = _merged_statement(
        tuple(w.statement for w in writes),
        tuple(tuple(tuple(sorted(row)) for row in r) for r in rows))
    params: dict[str, Any] = {}
    for i, write_rows in enumerate(rows):
        for j, row in enumerate(write_rows):
            for key, value in row.items():
                params[f"w{i}_{j}_{key}"] = value
    touched = iter((await mappings(session, statement, params))[0].values())
    return [sum(int(next(touched)) for _ in r) for r in rows]


@functools.lru_cache(maxsize=256)
def _merged_statement(statements: tuple[Statement, ...],
                      keys: tuple[tuple[tuple[str, ...], ...], ...]) -> Statement:
    """One SELECT whose CTEs are ``statements`` with rows of these ``keys``, one CTE per
    row (SQLAlchemy caches no multi-row VALUES), returning how many rows each touched.
    Built once per shape, with named parameters, so SQLAlchemy and asyncpg reuse its
    compiled and prepared forms."""
    ctes = []
    for i, (statement, rows) in enumerate(zip(statements, keys, strict=True)):
        dml: Any = statement.statement
        table = dml.table
        where = _binds(dml) if isinstance(dml, Update) else set()
        for j, row_keys in enumerate(rows):
            prefix = f"w{i}_{j}_"
            values = {key: bindparam(prefix + key, type_=table.c[key].type)
                      for key in row_keys if key not in where}
            if isinstance(dml, Insert):
                built = dml.values(values)
            else:
                built = visitors.replacement_traverse(dml, {}, _renamed(prefix)).values(values)
            ctes.append(built.returning(literal_column("1")).cte(f"w{i}_{j}"))
    return Statement(select(*(select(func.count()).select_from(cte).scalar_subquery()
                              .label(cte.name) for cte in ctes)))


def _renamed(prefix: str) -> Any:
    """For ``replacement_traverse``: each bound parameter again, named with ``prefix``
    (two UPDATEs of one statement must not share a parameter's name)."""
    def renamed(element: Any, **_: Any) -> Any:
        if isinstance(element, BindParameter):
            return bindparam(prefix + element.key, type_=element.type)
        return None
    return renamed


def _binds(dml: Any) -> set[str]:
    """The names of the parameters an UPDATE's WHERE clause takes."""
    return {element.key for element in visitors.iterate(dml)
            if isinstance(element, BindParameter)}
