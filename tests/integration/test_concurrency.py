"""Two pickers, one queue: nobody ever gets an order someone else has."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.db import tables
from app.db.uow import UnitOfWork
from app.services import picking as service
from app.staff import StaffUser
from picking import errors
from tests.support.shop import MILK, NOW, add_order


def staff(shop: Any, key: str) -> StaffUser:
    return StaffUser(id=shop.staff[key], store_id=shop.store_id, store_code="MSK-001",
                     store_name="", personnel_no="", name=key, role="picker", language="en")


async def test_two_pickers_pressing_take_next_at_once_get_different_orders(
        db: Any, shop: Any) -> None:
    async with db.writing() as session:
        for minutes in (30, 40, 50):
            await add_order(session, shop, {"milk": 1}, due_in=timedelta(minutes=minutes))
    for _ in range(3):  # repeat: a race that loses rarely must still be caught
        async with db.writing() as session:
            await session.execute(tables.orders.update().values(
                status="queued", picker_id=None))
            await session.commit()
        first, second = await asyncio.gather(
            service.take_next_order(UnitOfWork(db), staff(shop, "picker"), NOW),
            service.take_next_order(UnitOfWork(db), staff(shop, "picker2"), NOW))
        assert first != second
        async with db.reading() as session:
            owners = dict((await session.execute(
                select(tables.orders.c.id, tables.orders.c.picker_id)
                .where(tables.orders.c.status == "picking"))).all())
        assert owners == {first: shop.staff["picker"], second: shop.staff["picker2"]}


async def test_when_one_order_is_left_only_one_of_two_pickers_gets_it(db: Any, shop: Any) -> None:
    async with db.writing() as session:
        only = await add_order(session, shop, {"milk": 1})
    results = await asyncio.gather(
        service.take_next_order(UnitOfWork(db), staff(shop, "picker"), NOW),
        service.take_next_order(UnitOfWork(db), staff(shop, "picker2"), NOW),
        return_exceptions=True)
    assert sorted(map(type, results), key=str) == sorted([int, errors.NoOrderWaiting], key=str)
    assert only in results


async def test_simultaneous_scans_of_one_order_are_both_counted(db: Any, shop: Any) -> None:
    async with db.writing() as session:
        order_id = await add_order(session, shop, {"milk": 5})
    picker = staff(shop, "picker")
    await service.take_next_order(UnitOfWork(db), picker, NOW)
    outcomes = await asyncio.gather(*[
        service.scan(UnitOfWork(db), picker, order_id, MILK, scan_id=f"scan-{i:04d}", now=NOW)
        for i in range(5)], return_exceptions=True)
    async with db.reading() as session:
        picked = await session.scalar(select(tables.order_lines.c.picked_quantity)
                                      .where(tables.order_lines.c.order_id == order_id))
    # Writers queue on the order (BEGIN IMMEDIATE / FOR UPDATE): none fails, none is lost.
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    assert picked == 5


async def test_the_outbox_has_one_row_per_event_with_gapless_sequences(
        db: Any, shop: Any) -> None:
    async with db.writing() as session:
        order_id = await add_order(session, shop, {"milk": 3})
    picker = staff(shop, "picker")
    await service.take_next_order(UnitOfWork(db), picker, NOW)
    for i in range(3):
        await service.scan(UnitOfWork(db), picker, order_id, MILK, scan_id=f"s-{i:06d}", now=NOW)
    async with db.reading() as session:
        sequences = list(await session.scalars(
            select(tables.outbox.c.sequence).where(tables.outbox.c.order_id == order_id)
            .order_by(tables.outbox.c.sequence)))
    assert sequences == [1, 2, 3, 4]
