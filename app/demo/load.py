"""Put the demo stores, staff, catalog and a shift of orders into a database."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import hash_password
from app.db import tables
from app.db.tables_arrive import store_pickup
from app.demo import catalog
from picking.gtin import to_gtin14

DEFAULT_TIME_LIMITS = {"queued": 20, "picking": 30, "picked": 10, "packed": 30}


async def load_demo(session: AsyncSession, now: datetime, *, orders: int = 40) -> bool:
    """Load the demo data unless a store exists already. Returns True if it loaded."""
    if await session.scalar(select(tables.stores.c.id).limit(1)) is not None:
        return False
    first = await _store(session, catalog.DEMO_STORE)
    second = await _store(session, catalog.SECOND_STORE)
    products = catalog.demo_products()
    skus = await _products(session, first, products)
    await _products(session, second, catalog.second_store_products())
    await _staff(session, first, catalog.demo_staff())
    await _staff(session, second, catalog.second_store_staff())
    # The shift starts now: a few orders are already late (the generator makes about
    # one in eight overdue), the rest fill the coming hours, so the board has something
    # to say without everything being red.
    shift_start = now.replace(second=0, microsecond=0)
    await add_orders(session, first, catalog.DEMO_STORE["code"], skus,
                     catalog.demo_orders(products, shift_start, count=orders), now)
    await session.commit()
    return True


async def _store(session: AsyncSession, data: dict[str, Any]) -> int:
    result = await session.execute(insert(tables.stores).values(
        **data, time_limits=DEFAULT_TIME_LIMITS).returning(tables.stores.c.id))
    store_id = int(result.scalar_one())
    await session.execute(insert(store_pickup).values(  # what a collect customer's link shows
        store_id=store_id, place="Стойка выдачи у входа", hours="08:00–22:00",
        bays="1,2,3", wait_limit_minutes=10, pace_target_per_hour=60))
    return store_id


async def _products(session: AsyncSession, store_id: int,
                    products: list[catalog.DemoProduct]) -> dict[str, tuple[int, int]]:
    """Insert products and their barcodes; returns sku -> (product id, price)."""
    skus: dict[str, tuple[int, int]] = {}
    for p in products:
        result = await session.execute(insert(tables.products).values(
            store_id=store_id, sku=p.sku, name_ru=p.name_ru, name_en=p.name_en,
            category=p.category, unit=p.unit, price_minor=p.price_minor, zone=p.zone,
            aisle=p.aisle, shelf=p.shelf, sequence=p.sequence, plu=p.plu,
            size_text=p.size_text, size_amount=p.size_ml_or_g, marked=p.marked,
            age_restricted=p.age_restricted, stock=p.stock, tolerance_pct=p.tolerance_pct,
            brand=p.brand, attributes=list(p.attributes) or None,
        ).returning(tables.products.c.id))
        product_id = int(result.scalar_one())
        skus[p.sku] = (product_id, p.price_minor)
        if p.gtins:
            await session.execute(insert(tables.product_barcodes), [
                {"store_id": store_id, "gtin": to_gtin14(g), "product_id": product_id}
                for g in p.gtins])
    return skus


async def _staff(session: AsyncSession, store_id: int, people: list[catalog.DemoStaff]) -> None:
    await session.execute(insert(tables.staff), [
        {"store_id": store_id, "personnel_no": s.personnel_no, "name": s.name, "role": s.role,
         "password_hash": hash_password(s.pin, s.role), "language": s.language, "active": True,
         "failed_logins": 0}
        for s in people])


async def add_orders(session: AsyncSession, store_id: int, store_code: str,
                     skus: dict[str, tuple[int, int]], orders: list[catalog.DemoOrder],
                     now: datetime) -> None:
    for order in orders:
        result = await session.execute(insert(tables.orders).values(
            store_id=store_id, store_code=store_code, oms_id=order.oms_id, oms_version=1,
            status="queued", due_at=order.due_at, fulfilment=order.fulfilment,
            customer_name=order.customer_name, customer_phone=order.customer_phone,
            address=order.address, priority=0, created_at=now - timedelta(minutes=5),
            event_seq=0, version=1,
        ).returning(tables.orders.c.id))
        order_id = int(result.scalar_one())
        await session.execute(insert(tables.order_lines), [
            {"order_id": order_id, "product_id": skus[line.sku][0], "position": i,
             "quantity": line.quantity, "unit_price_minor": skus[line.sku][1],
             "picked_quantity": 0, "state": "open", "substitution": line.substitution,
             "specific_sku": line.specific_sku}
            for i, line in enumerate(order.lines)])
