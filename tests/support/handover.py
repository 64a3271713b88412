"""Bring orders to the packing desk the way a picker would (through the services)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update

from app.db import tables
from app.db.uow import UnitOfWork
from app.services import picking as picking_service
from app.staff import StaffUser
from tests.support.shop import (
    BEER,
    BREAD,
    MILK,
    NOW,
    PIZZA,
    WATER_UPC,
    Shop,
    add_order,
    marking_code,
)

CODES = {"milk": MILK, "pizza": PIZZA, "water": WATER_UPC, "bread": BREAD}


def staff_user(shop: Shop, key: str) -> StaffUser:
    role = {"picker": "picker", "courier": "courier", "supervisor": "supervisor"}.get(key, "picker")
    return StaffUser(id=shop.staff[key], store_id=shop.store_id, store_code="MSK-001",
                     store_name="Москва", personnel_no=key, name=key.title(), role=role,
                     language="en")


async def picked_order(db: Any, shop: Shop, lines: dict[str, int], *,
                       fulfilment: str = "delivery", oms_id: str | None = None) -> int:
    """An order picked in full by the test picker; milk is scanned 5 minutes before NOW."""
    async with db.writing() as session:
        order_id = await add_order(session, shop, lines, oms_id=oms_id,
                                   now=NOW - timedelta(minutes=30))
        await session.execute(update(tables.orders).where(tables.orders.c.id == order_id).values(
            fulfilment=fulfilment, address="Тверская 7, кв. 12" if fulfilment == "delivery"
            else None, customer_phone="+7 900 123-45-67"))
        await session.commit()
    picker = staff_user(shop, "picker")
    start = NOW - timedelta(minutes=20)
    await picking_service.start_order(UnitOfWork(db), picker, order_id, start)
    for n, (sku, quantity) in enumerate(lines.items()):
        for unit in range(quantity):
            code = marking_code(BEER, f"beer{order_id}x{unit}") if sku == "beer" else CODES[sku]
            when = NOW - timedelta(minutes=5) if sku == "milk" else start + timedelta(minutes=n)
            await picking_service.scan(UnitOfWork(db), picker, order_id, code,
                                       scan_id=f"scan-{order_id}-{sku}-{unit}", now=when)
    await picking_service.finish_picking(UnitOfWork(db), picker, order_id, NOW)
    return order_id


async def outbox_events(db: Any, order_id: int) -> list[str]:
    async with db.reading() as session:
        rows = await session.execute(select(tables.outbox.c.type).where(
            tables.outbox.c.order_id == order_id).order_by(tables.outbox.c.sequence))
        return [r[0] for r in rows]


async def outbox_payload(db: Any, order_id: int, event_type: str) -> dict[str, Any]:
    import json
    async with db.reading() as session:
        envelope = await session.scalar(select(tables.outbox.c.envelope).where(
            tables.outbox.c.order_id == order_id, tables.outbox.c.type == event_type))
    payload: dict[str, Any] = json.loads(envelope)["payload"]
    return payload


async def customer_link(db: Any, order_id: int) -> str:
    """The path of the order's customer link, as the OMS would have sent it."""
    from app.db.tables_substitutions import customer_links
    from app.services.substitutions import link_hash, new_link

    token, _url = new_link("http://testserver.local")
    async with db.writing() as session:
        await session.execute(insert(customer_links).values(
            token_hash=link_hash(token), order_id=order_id, created_at=NOW))
        await session.commit()
    return f"/c/{token}"
