"""The scan's statements run straight on the driver (app/db/direct.py), on SQLite and
PostgreSQL: the same rows and types as session.execute, the same error classes, the
same transaction, and the ordinary path whenever the session has something to flush."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from app.db import direct, tables
from app.db.engine import INLINE_WRITER, PG_WRITER
from app.db.plain import INSERT_SCAN, UPDATE_LINE, _order_statement
from app.db.repositories import _probe_statement
from picking.codes import interpret
from tests.support.shop import MILK, NOW, add_order
from tests.support.statements import Statements


def _direct_taken(db: Any, session: Any) -> bool:
    """Whether the direct path ran: the pinned SQLite writer's sqlite3 connection, in a
    transaction (app.db.engine), or the asyncpg adapter it cached."""
    raw = session.info.get(INLINE_WRITER)
    if raw is not None:  # nothing for the session to flush, so _writer hands it out
        return bool(raw.in_transaction) and session.sync_session._is_clean()
    adapter = session.info.get(PG_WRITER)
    if adapter is not None:  # a kept PostgreSQL writer: the same
        return adapter._transaction is not None and session.sync_session._is_clean()
    return session.info[direct._CACHED][1] is not None


async def test_rows_and_types_are_those_of_session_execute(db: Any, shop: Any) -> None:
    async with db.writing() as session:
        order_id = await add_order(session, shop, {"milk": 2, "bread": 1})
        await session.commit()
    async with db.writing() as session:
        line = (await session.execute(select(tables.order_lines).where(
            tables.order_lines.c.order_id == order_id))).mappings().first()
        assert line is not None
        await session.execute(tables.refused_scans.insert().values(
            scan_id="refused-1", store_id=shop.store_id, order_id=order_id, staff_id=None,
            code="junk", error="UnknownCode", params={"code": "junk"}, at=NOW))
        cases = [
            (_order_statement(by_line=False), {"order_id": order_id,
                                               "store_id": shop.store_id,
                                               "which": line["product_id"]}),
            (_order_statement(by_line=True), {"order_id": order_id, "store_id": shop.store_id,
                                              "which": line["id"]}),
            (_probe_statement(True, False, True), {
                "store_id": shop.store_id, "order_id": order_id, "scan_id": "refused-1",
                "gtin": interpret(MILK).gtin, "marking_code": "0104601234567893215abc"}),
        ]
        for statement, values in cases:
            ordinary = [dict(row) for row in
                        (await session.execute(statement.statement, values)).mappings()]
            got = await direct.mappings(session, statement, values)
            assert _direct_taken(db, session)
            assert got == ordinary
            assert [{k: type(v) for k, v in row.items()} for row in got] == \
                [{k: type(v) for k, v in row.items()} for row in ordinary]
        probe = got[0]
        assert probe["r_error"] == "UnknownCode" and probe["r_params"] == {"code": "junk"}
        assert probe["order_here"] and probe["p_sku"] == "milk"
        order_rows = await direct.mappings(session, *cases[0])
        assert order_rows[0]["o_due_at"].tzinfo is not None  # aware, as the app's type gives


async def test_writes_land_in_the_same_transaction_and_errors_are_sqlalchemys(
        db: Any, shop: Any) -> None:
    async with db.writing() as session:
        order_id = await add_order(session, shop, {"milk": 2})
        await session.commit()
    async with db.writing() as session:
        line_id = (await session.execute(select(tables.order_lines.c.id).where(
            tables.order_lines.c.order_id == order_id))).scalar_one()
        heard = Statements(db.writer)
        touched = await direct.execute(session, UPDATE_LINE,
                                       {"picked_quantity": 1, "line_id": line_id})
        assert touched == 1 and _direct_taken(db, session)
        scan = {"line_id": line_id, "scan_id": "direct-1", "code": MILK, "quantity": 1,
                "scanned_at": NOW, "staff_id": None, "clock_adjusted": False}
        await direct.execute(session, INSERT_SCAN, [scan])
        assert heard.seen == ["UPDATE", "INSERT"]  # listeners hear direct statements
        # Stored exactly as the ordinary path stores the same values (dates, booleans).
        await session.execute(INSERT_SCAN.statement, {**scan, "scan_id": "ordinary-1"})
        stored = (await session.execute(text(
            "SELECT scan_id, CAST(scanned_at AS TEXT), CAST(clock_adjusted AS TEXT) "
            "FROM scans WHERE scan_id IN ('direct-1', 'ordinary-1') ORDER BY scan_id"))).all()
        assert stored[0][1:] == stored[1][1:], stored
        # The ordinary path in the same transaction sees what the direct one wrote.
        picked = (await session.execute(select(tables.order_lines.c.picked_quantity).where(
            tables.order_lines.c.id == line_id))).scalar_one()
        assert picked == 1
        with pytest.raises(IntegrityError):  # the scan id is unique (the driver's error,
            await direct.execute(session, INSERT_SCAN, scan)  # as SQLAlchemy raises it)
        assert _direct_taken(db, session)
        await session.rollback()
    async with db.reading() as session:  # rolled back together
        assert (await session.execute(select(tables.order_lines.c.picked_quantity).where(
            tables.order_lines.c.id == line_id))).scalar_one() == 0


async def test_a_session_with_something_to_flush_takes_the_ordinary_path(
        db: Any, shop: Any) -> None:
    from picking.model import Order

    async with db.writing() as session:
        order = Order(store_id=shop.store_id, store_code="MSK-001", oms_id="direct-flush",
                      due_at=NOW + timedelta(hours=2))
        session.add(order)  # pending: a direct read would not see it
        rows = await direct.mappings(session, _order_statement(by_line=False), {
            "order_id": None, "store_id": shop.store_id, "which": 0})
        assert rows == []
        assert order.id is not None  # autoflushed, as session.execute does
        rows = await direct.mappings(session, _order_statement(by_line=False), {
            "order_id": order.id, "store_id": shop.store_id, "which": 0})
        assert [row["o_oms_id"] for row in rows] == ["direct-flush"]
        await session.rollback()


async def test_a_missing_parameter_is_refused_as_session_execute_refuses_it(
        db: Any, shop: Any) -> None:
    async with db.writing() as session:
        with pytest.raises(StatementError, match="which"):
            await direct.mappings(session, _order_statement(by_line=False),
                                  {"order_id": 1, "store_id": shop.store_id})
        await session.rollback()


async def test_a_commits_writes_store_what_statements_one_by_one_store(
        db: Any, shop: Any, db_url: str) -> None:
    """write_all (one statement of CTEs on PostgreSQL) against the same writes run one
    by one: the same stored rows, the rows each touched, and a version check that
    touched nothing refused after the rest were sent, so the transaction rolls back."""
    from sqlalchemy.orm.exc import StaleDataError

    from app.db.plain import UPDATE_ORDER
    from app.db.uow import INSERT_OUTBOX

    async with db.writing() as session:
        orders = [await add_order(session, shop, {"milk": 2, "bread": 1}) for _ in range(2)]
        await session.commit()

    def writes(order_id: int, line_ids: list[int], tag: str) -> list[direct.Write]:
        scans = [{"line_id": line_ids[0], "scan_id": f"{tag}-{n}", "code": MILK,
                  "quantity": 1, "scanned_at": NOW + timedelta(seconds=n), "staff_id": None,
                  "clock_adjusted": n == 1} for n in range(2)]
        outbox = [{"event_id": f"00000000-0000-0000-0000-0000000000{n}{tag[-1]}",
                   "type": "ItemScanned", "order_id": order_id, "oms_order_id": "x",
                   "store_code": "MSK-001", "sequence": n, "occurred_at": NOW,
                   "envelope": '{"a": "б"}', "status": "pending", "attempts": 0,
                   "next_attempt_at": NOW} for n in range(2)]
        return [
            direct.Write(UPDATE_ORDER, {"version": 2, "order_id": order_id, "was": 1},
                         stale="stale"),
            direct.Write(UPDATE_LINE, {"picked_quantity": 2, "line_id": line_ids[0]}),
            direct.Write(UPDATE_LINE, {"picked_quantity": 1, "state": "picked",
                                       "line_id": line_ids[1]}),
            direct.Write(INSERT_SCAN, scans),
            direct.Write(INSERT_OUTBOX, outbox)]

    async def lines_of(session: Any, order_id: int) -> list[int]:
        return list(await session.scalars(select(tables.order_lines.c.id).where(
            tables.order_lines.c.order_id == order_id).order_by(tables.order_lines.c.id)))

    heard = Statements(db.writer)
    async with db.writing() as session:
        merged = writes(orders[0], await lines_of(session, orders[0]), "m-a")
        await direct.write_all(session, merged)
        for write in writes(orders[1], await lines_of(session, orders[1]), "s-b"):
            await session.execute(write.statement.statement, write.values)
        await session.commit()
    if db_url.startswith("postgresql"):  # one statement, a CTE a row
        assert heard.seen[1] == "WITH UPDATE+UPDATE+UPDATE+INSERT+INSERT+INSERT+INSERT"
    else:
        assert heard.seen[1:6] == ["UPDATE", "UPDATE", "UPDATE", "INSERT", "INSERT"]

    async def stored(order_id: int) -> list[Any]:
        async with db.reading() as session:
            rows = []
            for table, key in ((tables.orders, tables.orders.c.id),
                               (tables.order_lines, tables.order_lines.c.order_id)):
                rows += [{k: v for k, v in row.items() if k not in ("id", "order_id", "oms_id")}
                         for row in (await session.execute(
                             select(table).where(key == order_id).order_by(table.c.id)
                         )).mappings()]
            rows += [{k: v for k, v in row.items() if k not in ("id", "line_id", "scan_id")}
                     for row in (await session.execute(
                         select(tables.scans).join(tables.order_lines).where(
                             tables.order_lines.c.order_id == order_id)
                         .order_by(tables.scans.c.id))).mappings()]
            rows += [{k: v for k, v in row.items() if k not in ("id", "event_id", "order_id")}
                     for row in (await session.execute(
                         select(tables.outbox).where(tables.outbox.c.order_id == order_id)
                         .order_by(tables.outbox.c.id))).mappings()]
            return rows

    mine, theirs = await stored(orders[0]), await stored(orders[1])
    assert len(mine) == 1 + 2 + 2 + 2 and mine == theirs

    async with db.writing() as session:  # the version moved on: refused, nothing kept
        late = writes(orders[0], await lines_of(session, orders[0]), "late-c")
        with pytest.raises(StaleDataError, match="stale"):
            await direct.write_all(session, late)
        await session.rollback()
    assert await stored(orders[0]) == mine


async def _picked(db: Any, line_id: int) -> int:
    async with db.reading() as session:
        return int((await session.execute(select(tables.order_lines.c.picked_quantity).where(
            tables.order_lines.c.id == line_id))).scalar_one())


async def test_a_transaction_begun_by_a_direct_statement_is_committed_by_the_session(
        db: Any, shop: Any) -> None:
    """On SQLite's pinned writer a direct statement begins the transaction on the driver,
    behind the session's back: the session's commit still commits it (alone, and with
    the session's own statements after it), and leaving without a commit undoes it and
    leaves the writer free for the next transaction."""
    async with db.writing() as session:
        order_id = await add_order(session, shop, {"milk": 3, "bread": 1})
        await session.commit()
    async with db.reading() as session:
        milk, bread = (await session.execute(select(tables.order_lines.c.id).where(
            tables.order_lines.c.order_id == order_id).order_by(
            tables.order_lines.c.id))).scalars().all()

    async with db.writing() as session:  # a direct write only, then the session's commit
        await direct.execute(session, UPDATE_LINE, {"picked_quantity": 1, "line_id": milk})
        assert _direct_taken(db, session)
        await session.commit()
    assert await _picked(db, milk) == 1

    async with db.writing() as session:  # direct, then the session's own, then commit
        await direct.execute(session, UPDATE_LINE, {"picked_quantity": 2, "line_id": milk})
        await session.execute(tables.order_lines.update().where(
            tables.order_lines.c.id == bread).values(picked_quantity=1))
        await session.commit()
    assert (await _picked(db, milk), await _picked(db, bread)) == (2, 1)

    async with db.writing() as session:  # left without a commit: undone
        await direct.execute(session, UPDATE_LINE, {"picked_quantity": 3, "line_id": milk})
    async def failing_handler() -> None:
        async with db.writing() as session:
            await direct.execute(session, UPDATE_LINE, {"picked_quantity": 3, "line_id": milk})
            raise RuntimeError("the handler failed")

    with pytest.raises(RuntimeError):  # an error after a direct write: undone too
        await failing_handler()
    assert await _picked(db, milk) == 2
    async with db.writing() as session:  # and the writer is free for the next one
        await direct.execute(session, UPDATE_LINE, {"picked_quantity": 3, "line_id": milk})
        await session.commit()
    assert await _picked(db, milk) == 3


async def test_the_writer_keeps_its_connection_between_transactions(
        db: Any, shop: Any) -> None:
    """No pool checkout, BEGIN through the session and return per transaction, on SQLite
    (the pinned writer) and PostgreSQL (kept writers): four transactions one after the
    other, one connection."""
    from sqlalchemy import event

    checkouts: list[object] = []
    event.listen(db.writer.sync_engine, "checkout", lambda *a: checkouts.append(a))
    async with db.writing() as session:  # the connection, pinned on first use
        await add_order(session, shop, {"milk": 1})
        await session.commit()
    for _ in range(3):
        async with db.writing() as session:
            await direct.execute(session, UPDATE_LINE, {"picked_quantity": 0, "line_id": 1})
            await session.commit()
    assert len(checkouts) <= 1


async def _lines(db: Any, shop: Any, **items: int) -> list[int]:
    async with db.writing() as session:
        order_id = await add_order(session, shop, items)
        await session.commit()
    async with db.reading() as session:
        return list((await session.execute(select(tables.order_lines.c.id).where(
            tables.order_lines.c.order_id == order_id).order_by(
            tables.order_lines.c.id))).scalars().all())


def _postgres_only(db: Any) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite has one pinned writer; kept writers are PostgreSQL's")


async def test_writers_at_once_each_get_a_kept_connection_or_an_ordinary_session(
        db: Any, shop: Any) -> None:
    """Two writers at once on PostgreSQL hold two kept connections, and both commit;
    past ``kept_writers`` a writer takes an ordinary pooled session and commits too."""
    _postgres_only(db)
    milk, bread = await _lines(db, shop, milk=3, bread=2)
    async with db.writing() as first, db.writing() as second:
        await direct.execute(first, UPDATE_LINE, {"picked_quantity": 1, "line_id": milk})
        await direct.execute(second, UPDATE_LINE, {"picked_quantity": 1, "line_id": bread})
        assert first.info[PG_WRITER] is not second.info[PG_WRITER]
        await first.commit()
        await second.commit()
    assert (await _picked(db, milk), await _picked(db, bread)) == (1, 1)
    assert len(db._kept) == db._kept_open == 2

    db.kept_writers = 2  # both taken: a third writer is served by the pool
    async with db.writing() as first, db.writing() as second, db.writing() as third:
        assert PG_WRITER not in third.info and PG_WRITER in first.info | second.info
        await direct.execute(third, UPDATE_LINE, {"picked_quantity": 2, "line_id": milk})
        await third.commit()
    assert await _picked(db, milk) == 2 and len(db._kept) == 2


async def test_a_kept_connection_the_server_ended_is_replaced_and_a_failed_one_kept_clean(
        db: Any, shop: Any) -> None:
    """A failed statement on a kept connection raises SQLAlchemy's error and leaves the
    connection rolled back for the next writer; one the server ended (a restart, an
    admin's pg_terminate_backend) is dropped, and the next writer gets a new one."""
    import asyncio

    _postgres_only(db)
    (milk,) = await _lines(db, shop, milk=3)
    scan = {"line_id": milk, "scan_id": "kept-1", "code": MILK, "quantity": 1,
            "scanned_at": NOW, "staff_id": None, "clock_adjusted": False}
    async with db.writing() as session:
        await direct.execute(session, INSERT_SCAN, scan)
        await session.commit()
    async def the_same_scan_again() -> None:
        async with db.writing() as session:
            await direct.execute(session, UPDATE_LINE, {"picked_quantity": 1, "line_id": milk})
            await direct.execute(session, INSERT_SCAN, scan)  # the same scan id

    with pytest.raises(IntegrityError):
        await the_same_scan_again()
    assert await _picked(db, milk) == 0  # the UPDATE before it undone
    async with db.writing() as session:  # the same connection, usable
        pid = (await direct.mappings(session, _BACKEND, {}))[0]["pid"]
        await direct.execute(session, UPDATE_LINE, {"picked_quantity": 1, "line_id": milk})
        await session.commit()
    assert await _picked(db, milk) == 1 and db._kept_open == 1

    async with db.reading() as session:
        await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    adapter = db._kept[0][1]
    for _ in range(100):  # the loop hears the socket close
        if adapter._connection.is_closed():
            break
        await asyncio.sleep(0.01)
    async with db.writing() as session:
        assert (await direct.mappings(session, _BACKEND, {}))[0]["pid"] != pid
        await direct.execute(session, UPDATE_LINE, {"picked_quantity": 2, "line_id": milk})
        await session.commit()
    assert await _picked(db, milk) == 2 and db._kept_open == 1


_BACKEND = direct.Statement(select(func.pg_backend_pid().label("pid")))


async def test_the_order_lock_goes_with_the_begin_and_holds(db: Any, shop: Any) -> None:
    """On a kept PostgreSQL writer the order lock is sent with its BEGIN (one round trip)
    and holds like any row lock: another writer cannot take it until the first commits.
    A statement that fails there raises SQLAlchemy's error and leaves the connection
    rolled back for the next writer."""
    from sqlalchemy.exc import DBAPIError, ProgrammingError

    from app.db.repositories import OrderRepository

    _postgres_only(db)
    async with db.writing() as session:
        order_id = await add_order(session, shop, {"milk": 1})
        await session.commit()
    nowait = text("SELECT id FROM orders WHERE id = :id FOR UPDATE NOWAIT")
    async with db.writing() as first:
        heard = Statements(db.writer)
        await OrderRepository(first).lock(order_id)
        assert heard.seen == ["SELECT"]  # one statement, begun by it:
        assert isinstance(first.info[PG_WRITER]._transaction, direct._BegunTransaction)
        async with db.reading() as other:
            with pytest.raises(DBAPIError, match="could not obtain lock"):
                await other.execute(nowait, {"id": order_id})
        await first.commit()
    async with db.reading() as other:  # let go at the commit
        assert (await other.execute(nowait, {"id": order_id})).scalar_one() == order_id

    with pytest.raises(ProgrammingError):
        async with db.writing() as session:
            await direct.begin_with(session, "SELECT no_such_column FROM orders")
    async with db.writing() as session:  # the same connection, rolled back and usable
        await OrderRepository(session).lock(order_id)
        await session.commit()
    assert db._kept_open == 1
