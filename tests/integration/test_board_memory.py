"""The live board re-reads only what a change names (issue #17, item 2).

A store's board feed keeps what it last read of the open orders and the pickers'
day; a burst of changes re-reads only the orders it names and the pickers they
were and are given to. Whatever the changes, the board and the pickers panel it
then shows must be exactly what a fresh read of everything shows: checked here on
both databases after scans, an undo, a refused scan, a new order, an order taken
by a picker, one handed from one picker to another, and one that left the board.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update

from app import board_queries as bq
from app.db import tables
from app.db.tables_board import scan_errors
from tests.support.shop import NOW, add_order

o, ln, sc = tables.orders.c, tables.order_lines.c, tables.scans.c
SINCE = NOW - timedelta(hours=8)
LATER = NOW + timedelta(minutes=20)


async def _line(session: Any, order_id: int) -> int:
    return int((await session.execute(
        select(ln.id).where(ln.order_id == order_id).order_by(ln.position))).scalars().first())


async def _scan(session: Any, line_id: int, staff_id: int, at: Any, number: int) -> int:
    result = await session.execute(insert(tables.scans).values(
        line_id=line_id, scan_id=f"mem-{number}", code="4600000000001", quantity=1,
        scanned_at=at, staff_id=staff_id).returning(sc.id))
    await session.execute(update(tables.order_lines).where(ln.id == line_id)
                          .values(picked_quantity=ln.picked_quantity + 1))
    return int(result.scalar_one())


def _seen(board: bq.Board, pickers: list[bq.PickerRow]) -> tuple[str, str]:
    return repr(board), repr(pickers)


async def _everything(db: Any, store_id: int) -> tuple[str, str]:
    async with db.reading() as session:
        orders = await bq.read_orders(session, store_id)
        pickers = await bq.read_pickers(session, store_id, SINCE)
        limits = await bq.store_limits(session, store_id)
    return _seen(bq.board_of(orders, limits, LATER), bq.pickers_of(pickers, LATER))


async def test_a_change_read_alone_shows_the_same_board_as_reading_everything(
        db: Any, shop: Any) -> None:
    picker, picker2 = shop.staff["picker"], shop.staff["picker2"]
    async with db.writing() as session:
        a, b, c, d = [await add_order(session, shop, {"milk": 2, "bread": 1}) for _ in range(4)]
        await session.execute(update(tables.orders).where(o.id.in_([a, b, c])).values(
            status="picking", picker_id=picker, picking_started_at=NOW))
        await _scan(session, await _line(session, a), picker, NOW, 1)
        await session.commit()

    async with db.reading() as session:  # what the feed remembers
        orders = await bq.read_orders(session, shop.store_id)
        pickers = await bq.read_pickers(session, shop.store_id, SINCE)
    before = _seen(bq.board_of(orders, {}, LATER), bq.pickers_of(pickers, LATER))

    async with db.writing() as session:  # what happened since, each naming its order
        line_a = await _line(session, a)
        await _scan(session, line_a, picker, NOW + timedelta(minutes=5), 2)
        undone = await _scan(session, line_a, picker, NOW + timedelta(minutes=6), 3)
        await session.execute(update(tables.scans).where(sc.id == undone)
                              .values(undone_at=NOW + timedelta(minutes=7)))
        await session.execute(insert(scan_errors).values(
            store_id=shop.store_id, staff_id=picker, order_id=a, code="123", kind="wrong_product",
            at=NOW + timedelta(minutes=8)))
        await session.execute(update(tables.orders).where(o.id == b)
                              .values(picker_id=picker2))  # handed to another picker
        await session.execute(update(tables.orders).where(o.id == c)
                              .values(status="cancelled"))  # leaves the board
        await session.execute(update(tables.orders).where(o.id == d).values(
            status="picking", picker_id=picker2, picking_started_at=NOW))
        await _scan(session, await _line(session, d), picker2, NOW + timedelta(minutes=9), 4)
        e = await add_order(session, shop, {"water": 1})  # a new order
        await session.commit()

    async with db.reading() as session:
        moved = await bq.refresh_orders(session, orders, {a, b, c, d, e})
        await bq.refresh_pickers(session, pickers, moved)
        limits = await bq.store_limits(session, shop.store_id)
    assert moved == {picker, picker2}
    after = _seen(bq.board_of(orders, limits, LATER), bq.pickers_of(pickers, LATER))

    assert after == await _everything(db, shop.store_id)
    assert after != before  # the changes did show
    assert c not in orders.orders and e in orders.orders


async def test_an_order_no_change_names_is_left_as_it_was_read(db: Any, shop: Any) -> None:
    """The memory is what makes a change cheap: only the named orders are read again
    (the clock's tick every 30 s reads everything, for what no change names)."""
    async with db.writing() as session:
        a, b = [await add_order(session, shop, {"milk": 1}) for _ in range(2)]
    async with db.reading() as session:
        orders = await bq.read_orders(session, shop.store_id)
    async with db.writing() as session:
        await session.execute(update(tables.orders).where(o.id.in_([a, b])).values(priority=5))
        await session.commit()
    async with db.reading() as session:
        await bq.refresh_orders(session, orders, {a})
    assert orders.orders[a].priority == 5
    assert orders.orders[b].priority == 0
