"""A small, memorable store for tests: milk, bananas, a frozen pizza, beer...

``seed_shop`` writes it through the real schema; ``add_order`` adds orders.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import hash_password
from app.db import tables
from picking.gtin import complete

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
_order_numbers = itertools.count(1)


@dataclass(frozen=True)
class Item:
    sku: str
    name_ru: str
    name_en: str
    unit: str
    price_minor: int
    zone: str
    aisle: int
    sequence: int
    gtins: tuple[str, ...] = ()
    plu: str | None = None
    marked: bool = False
    age_restricted: bool = False
    category: str = "grocery"


MILK = complete("460123456789")           # EAN-13, 4601234567893
KEFIR = complete("460765432101")          # marked dairy
WATER_UPC = complete("01234567890")       # UPC-A 12 digits
CHOCOLATE_EAN8 = complete("4600123")      # EAN-8
PIZZA = complete("460555000111")
BEER = complete("460999888777")
BREAD = complete("460222333444")
NOT_IN_ANY_ORDER = complete("460777000123")  # rye bread: in the catalog, never ordered here

ITEMS = (
    Item("milk", "Молоко 3,2% 930 мл", "Milk 3.2% 930 ml", "piece", 9990, "chilled", 14, 140,
         (MILK,), category="dairy"),
    Item("kefir", "Кефир 1% 900 мл", "Kefir 1% 900 ml", "piece", 8990, "chilled", 14, 141,
         (KEFIR,), marked=True, category="dairy"),
    Item("water", "Вода 1,5 л", "Still water 1.5 l", "piece", 4990, "ambient", 3, 30,
         (WATER_UPC,), category="drinks"),
    Item("chocolate", "Шоколад молочный", "Milk chocolate", "piece", 12990, "ambient", 5, 50,
         (CHOCOLATE_EAN8,), category="sweets"),
    Item("pizza", "Пицца замороженная", "Frozen pizza", "piece", 34990, "frozen", 17, 170,
         (PIZZA,), category="frozen"),
    Item("beer", "Пиво светлое 0,5 л", "Lager 0.5 l", "piece", 11990, "ambient", 8, 80,
         (BEER,), marked=True, age_restricted=True, category="alcohol"),
    Item("bread", "Хлеб белый", "White bread", "piece", 5990, "ambient", 1, 10, (BREAD,),
         category="bakery"),
    Item("rye", "Хлеб ржаной", "Rye bread", "piece", 6990, "ambient", 1, 11,
         (NOT_IN_ANY_ORDER,), category="bakery"),
    Item("bananas", "Бананы", "Bananas", "weight", 12990, "ambient", 2, 20, plu="10101",
         category="fruit"),
)


@dataclass
class Shop:
    store_id: int
    other_store_id: int
    staff: dict[str, int] = field(default_factory=dict)
    products: dict[str, int] = field(default_factory=dict)
    prices: dict[str, int] = field(default_factory=dict)


PEOPLE = {  # key -> (store, personnel_no, role, pin, language)
    "picker": ("MSK-001", "1001", "picker", "1111", "en"),
    "picker2": ("MSK-001", "1002", "picker", "2222", "en"),
    "supervisor": ("MSK-001", "5001", "supervisor", "super-5001", "en"),
    "courier": ("MSK-001", "3001", "courier", "4444", "en"),
    "packer": ("MSK-001", "3101", "packer", "5555", "en"),
    "clerk": ("MSK-001", "3201", "clerk", "6666", "en"),
    "admin": ("MSK-001", "9001", "admin", "admin-9001", "en"),
    "other_picker": ("SPB-002", "1001", "picker", "9999", "en"),
}


# A chain's stores beyond the shop's two: past 8, the sign-in page asks for the store in a
# field with suggestions instead of a row per store. Two share a street ("Малышева 5" names
# both), a part of a name that must be refused as ambiguous.
CHAIN = [(f"NSK-{i:03d}", f"Новосибирск, Красный проспект {i}") for i in range(1, 8)] + [
    ("EKB-001", "Екатеринбург, улица Малышева 5"),
    ("EKB-002", "Екатеринбург, улица Малышева 51")]


async def add_chain_stores(session: AsyncSession) -> None:
    for code, name in CHAIN:
        await session.execute(insert(tables.stores).values(
            code=code, name=name, timezone="Asia/Novosibirsk", locale="ru_RU",
            currency="RUB", scale_layout="2P IIIII WWWWW C", scale_prefixes="20-29",
            soft_tolerance_pct=10, hard_tolerance_pct=30, time_limits={}))
    await session.commit()


@functools.cache
def _stored_hash(pin: str) -> str:
    """Each test person's Argon2id hash, made once per test process: eight hashes of
    about 22 ms each were a fifth of a shop's setup, in every test that has one. Every
    sign-in still verifies the PIN against it for real."""
    return hash_password(pin)


async def seed_shop(session: AsyncSession) -> Shop:
    stores = {}
    for code, name in (("MSK-001", "Москва, Тверская 12"), ("SPB-002", "СПб, Невский 40")):
        result = await session.execute(insert(tables.stores).values(
            code=code, name=name, timezone="Europe/Moscow", locale="ru_RU", currency="RUB",
            scale_layout="2P IIIII WWWWW C", scale_prefixes="20-29", soft_tolerance_pct=10,
            hard_tolerance_pct=30, time_limits={}).returning(tables.stores.c.id))
        stores[code] = result.scalar_one()
    shop = Shop(store_id=stores["MSK-001"], other_store_id=stores["SPB-002"])
    for key, (store, number, role, pin, language) in PEOPLE.items():
        result = await session.execute(insert(tables.staff).values(
            store_id=stores[store], personnel_no=number, name=key.title(), role=role,
            password_hash=_stored_hash(pin), language=language, active=True,
            failed_logins=0).returning(tables.staff.c.id))
        shop.staff[key] = result.scalar_one()
    for store_id in stores.values():
        for item in ITEMS:
            await _insert_item(session, shop, store_id, item)
    await session.commit()
    return shop


async def _insert_item(session: AsyncSession, shop: Shop, store_id: int, item: Item) -> None:
    result = await session.execute(insert(tables.products).values(
        store_id=store_id, sku=item.sku, name_ru=item.name_ru, name_en=item.name_en,
        unit=item.unit, price_minor=item.price_minor, zone=item.zone, aisle=item.aisle,
        shelf="A1", sequence=item.sequence, category=item.category, plu=item.plu,
        marked=item.marked, age_restricted=item.age_restricted, stock=50,
    ).returning(tables.products.c.id))
    product_id = result.scalar_one()
    if store_id == shop.store_id:
        shop.products[item.sku] = product_id
        shop.prices[item.sku] = item.price_minor
    for gtin in item.gtins:
        await session.execute(insert(tables.product_barcodes).values(
            store_id=store_id, gtin=gtin.zfill(14), product_id=product_id))


async def add_order(session: AsyncSession, shop: Shop, lines: dict[str, int], *,
                    due_in: timedelta = timedelta(hours=1), store_id: int | None = None,
                    oms_id: str | None = None, now: datetime = NOW) -> int:
    """An order in the queue; ``lines`` maps sku to pieces (grams for bananas)."""
    store = store_id or shop.store_id
    result = await session.execute(insert(tables.orders).values(
        store_id=store, store_code="MSK-001" if store == shop.store_id else "SPB-002",
        oms_id=oms_id or f"T-{next(_order_numbers):05d}", oms_version=1, status="queued",
        due_at=now + due_in, fulfilment="delivery", customer_name="Анна", customer_phone="+7",
        priority=0, created_at=now, event_seq=0, version=1).returning(tables.orders.c.id))
    order_id = result.scalar_one()
    products = shop.products if store == shop.store_id else await _skus(session, store)
    for position, (sku, quantity) in enumerate(lines.items()):
        await session.execute(insert(tables.order_lines).values(
            order_id=order_id, product_id=products[sku], position=position, quantity=quantity,
            unit_price_minor=shop.prices[sku], picked_quantity=0, state="open",
            substitution="best_match"))
    await session.commit()
    return int(order_id)


async def _skus(session: AsyncSession, store_id: int) -> dict[str, int]:
    from sqlalchemy import select
    rows = await session.execute(select(tables.products.c.sku, tables.products.c.id)
                                 .where(tables.products.c.store_id == store_id))
    return {str(sku): int(pid) for sku, pid in rows.all()}


def marking_code(gtin13: str, serial: str) -> str:
    """A Честный ЗНАК code as a scanner sends it: 01 GTIN, 21 serial, GS, 93 tail."""
    return f"01{gtin13.zfill(14)}21{serial}\x1d93AbCd"


def kefir_unit(serial: str = "SUB0001") -> str:
    """One bottle of kefir (marked) as the scanner reads its Честный ЗНАК code."""
    return marking_code(KEFIR, serial)


def kefir_label(serial: str = "SUB0001") -> str:
    """The same code typed from the label, as a browser test types it (no GS)."""
    return f"(01){KEFIR.zfill(14)}(21){serial}(93)AbCd"
