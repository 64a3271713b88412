"""A believable Russian supermarket's demo data: catalog, staff and a shift of orders.

Pure and deterministic: no I/O, no clock, no randomness but the ``random.Random(seed)``
that `demo_orders` creates. The assortment lives as tables in `app.demo.catalog_data`;
this module turns it into products (names in both languages, barcodes, PLUs, the store
plan), draws orders from it, and names the people who sign in.

Store plan: aisles 1-12 ambient, 13-16 chilled, 17-18 frozen, walked in number order
(frozen last, as the cold chain asks). Shelves are "<bay><level>"; bays are lettered
from the front of the store, and the route snakes, so even aisles are walked from
their last bay back to A. ``sequence`` counts along that route in steps of 10.
"""

from __future__ import annotations

import math
import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from app.demo.catalog_data import (
    AISLES,
    ATTRIBUTES_BY_GROUP,
    ATTRIBUTES_BY_KIND,
    ATTRIBUTES_BY_WORD,
    BRANDS,
    CATALOG,
    FIRST_NAMES_FEMALE,
    FIRST_NAMES_MALE,
    KINDS,
    MOSCOW_STREETS,
    ORIGIN_PREFIXES,
    SPB_LOCAL,
    SURNAMES,
    Family,
    Loose,
)
from picking.gtin import complete
from picking.sale_policy import SalePolicy, sale_policy


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    name_ru: str
    name_en: str
    category: str
    unit: str                  # "piece" | "weight"
    price_minor: int           # kopecks, per piece or per kg
    zone: str                  # "ambient" | "chilled" | "frozen"
    aisle: int
    shelf: str
    sequence: int
    gtins: tuple[str, ...]     # may be empty for weighed goods
    plu: str | None            # weighed goods only
    size_text: str             # "930 ml", "400 g", "10 pcs", "per kg"
    size_ml_or_g: int | None   # None for weighed goods and counted packs
    marked: bool
    age_restricted: bool
    stock: int                 # pieces, or grams for weighed goods
    tolerance_pct: int | None  # soft weight tolerance override
    brand: str = ""            # Latin spelling; loose goods have none
    attributes: tuple[str, ...] = ()  # what a substitute must keep (picking.attributes)


@dataclass(frozen=True)
class DemoLine:
    sku: str
    quantity: int              # pieces, or grams for weighed goods
    substitution: str          # "none" | "best_match" | "specific"
    specific_sku: str | None


@dataclass(frozen=True)
class DemoOrder:
    oms_id: str
    due_at: datetime
    fulfilment: str            # "delivery" | "collect"
    customer_name: str
    customer_phone: str
    address: str | None
    lines: tuple[DemoLine, ...]


@dataclass(frozen=True)
class DemoStaff:
    personnel_no: str
    name: str
    role: str                  # one of app.staff.ROLES
    pin: str                   # PIN for pickers and couriers, password otherwise
    language: str


DEMO_STORE = {"code": "MSK-001", "name": "Москва, Тверская 12", "timezone": "Europe/Moscow",
              "locale": "ru_RU", "currency": "RUB"}
SECOND_STORE = {"code": "SPB-002", "name": "Санкт-Петербург, Невский 40",
                "timezone": "Europe/Moscow", "locale": "ru_RU", "currency": "RUB"}


# ---------------------------------------------------------------- catalog

def demo_products() -> list[DemoProduct]:
    """The Moscow store's catalog (about 400 products) in walking order."""
    drafts, _ = _drafts()
    return _lay_out(drafts, aisle_for=lambda aisle: aisle)


# St Petersburg is smaller: the same departments folded into 6 + 2 + 1 aisles.
_SPB_AISLE = {1: 1, 2: 1, 3: 2, 4: 3, 5: 3, 6: 4, 7: 4, 8: 5, 9: 5, 10: 6, 11: 6, 12: 6,
              13: 7, 14: 7, 15: 8, 16: 8, 17: 9, 18: 9}


def second_store_products() -> list[DemoProduct]:
    """About 40 products for SPB-002: every tenth Moscow product (same barcodes and PLUs,
    the store's own SKUs, prices, stock and plan) plus two local brands."""
    drafts, local = _drafts()
    chosen = drafts[::10] + local
    spb = [replace(p, sku=_sku("S", i), price_minor=_spb_price(p.price_minor),
                   stock=_stock(i + 5, p.unit))
           for i, p in enumerate(chosen, start=1)]
    return _lay_out(spb, aisle_for=_SPB_AISLE.__getitem__)


def _spb_price(price_minor: int) -> int:
    """About 3% cheaper, still ending in ,90."""
    return max(990, round(price_minor * 0.97 / 100) * 100 - 10)


def _drafts() -> tuple[list[DemoProduct], list[DemoProduct]]:
    """Products before layout (aisle from the data, no shelf or sequence yet); the
    Moscow catalog and SPB's local products share one barcode allocator."""
    barcodes = _Barcodes()
    plus: dict[int, int] = defaultdict(int)
    main = [_draft(i, item, barcodes, plus) for i, item in enumerate(_expand(CATALOG), start=1)]
    local = [_draft(i, item, barcodes, plus)
             for i, item in enumerate(_expand(SPB_LOCAL), start=len(main) + 1)]
    return main, local


Row = tuple[Any, ...]  # a family's row: brand, variant, size, price


def _expand(entries: Iterable[Family | Loose]) -> Iterable[tuple[Family | Loose, Row | None]]:
    for entry in entries:
        if isinstance(entry, Loose):
            yield entry, None
        else:
            for row in entry.rows:
                yield entry, row


def category_of(entry: Family | Loose) -> str:
    """``group/kind``: the aisle group, then the kind of product (``KINDS``)."""
    kind = entry.name_ru if isinstance(entry, Loose) else entry.type_ru
    return f"{entry.category}/{KINDS.get(kind, kind)}"


def group_of(p: DemoProduct) -> str:
    """The broad group ("dairy", "drinks") of a product's ``group/kind`` category."""
    return p.category.partition("/")[0]


def _draft(i: int, item: tuple[Family | Loose, Row | None], barcodes: _Barcodes,
           plus: dict[int, int]) -> DemoProduct:
    entry, row = item
    common: dict[str, Any] = {"sku": _sku("P", i), "category": category_of(entry),
              "zone": AISLES[entry.aisle][0], "aisle": entry.aisle, "shelf": "", "sequence": 0}
    if isinstance(entry, Loose):
        plus[entry.aisle] += 1
        plu = f"{10000 + entry.aisle * 100 + plus[entry.aisle]:05d}"
        return DemoProduct(
            **common, name_ru=f"{entry.name_ru}, кг", name_en=f"{entry.name_en}, per kg",
            unit="weight", price_minor=round(entry.price_per_kg * 100),
            gtins=barcodes.variable_measure() if "V" in entry.flags else (),
            plu=plu, size_text="per kg", size_ml_or_g=None, marked="M" in entry.flags,
            age_restricted="A" in entry.flags, stock=_stock(i, "weight"),
            tolerance_pct=entry.tolerance_pct, attributes=attributes_of(entry, ""))
    assert row is not None  # a family's entries always come with their row
    brand, variant, size, price = row
    brand_en, origin = BRANDS[brand]
    variant_ru, _, variant_en = variant.partition("|")
    variant_en = variant_en or _decimal_point(variant_ru)
    if "{v}" in entry.type_en:
        kind_en = entry.type_en.replace("{v}", variant_en)
    else:
        kind_en = f"{entry.type_en} {variant_en}"
    return DemoProduct(
        **common,
        name_ru=_words(entry.type_ru, brand, variant_ru, _size_ru(size)),
        name_en=_capitalised(_words(brand_en, kind_en, size)),
        unit="piece", price_minor=round(price * 100),
        gtins=barcodes.piece(brand, origin, entry.flags, i),
        plu=None, size_text=size, size_ml_or_g=_size_amount(size),
        marked="M" in entry.flags, age_restricted="A" in entry.flags,
        stock=_stock(i, "piece"), tolerance_pct=None, brand=brand_en,
        attributes=attributes_of(entry, variant_ru))


def attributes_of(entry: Family | Loose, variant_ru: str) -> tuple[str, ...]:
    """The product's attributes from its aisle group, its kind and its variant's words."""
    kind = entry.name_ru if isinstance(entry, Loose) else entry.type_ru
    found = [*ATTRIBUTES_BY_GROUP.get(entry.category, ()), *ATTRIBUTES_BY_KIND.get(kind, ())]
    found += [a for word, names in ATTRIBUTES_BY_WORD if word in variant_ru.lower()
              for a in names]
    return tuple(dict.fromkeys(found))


def _sku(prefix: str, i: int) -> str:
    """Chain product ids look arbitrary, as real ones do, yet never repeat."""
    return f"{prefix}{10000 + (i * 7919) % 90000:05d}"


def _stock(i: int, unit: str) -> int:
    if unit == "weight":
        return ((i * 13) % 40 + 5) * 1000
    if i % 31 == 17:
        return 0  # sold out: demo of short picks and substitutions
    if i % 17 == 5:
        return 2
    return (i * 37 + 11) % 60 + 4


_UNITS_RU = {"ml": "мл", "l": "л", "g": "г", "kg": "кг", "pc": "шт", "pcs": "шт", "m": "м"}
_UNIT_FACTOR = {"ml": 1, "l": 1000, "g": 1, "kg": 1000}


def _size_ru(size: str) -> str:
    amount, unit = size.split()
    return f"{_decimal_comma(amount)} {_UNITS_RU[unit]}"


def _size_amount(size: str) -> int | None:
    amount, unit = size.split()
    factor = _UNIT_FACTOR.get(unit)
    return None if factor is None else round(float(amount) * factor)


def _decimal_point(text: str) -> str:
    return re.sub(r"(\d),(\d)", r"\1.\2", text)


def _decimal_comma(text: str) -> str:
    return re.sub(r"(\d)\.(\d)", r"\1,\2", text)


def _words(*parts: str) -> str:
    text = " ".join(p for p in parts if p)
    return re.sub(r"\s+", " ", text).replace(" ,", ",").strip(" ,")


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Barcodes:
    """Hands out GTINs the way GS1 does: one company prefix per brand, item numbers
    within it. EAN-13 for most, EAN-8 for small packs, UPC-A for US brands, a second
    EAN-13 (another plant's packaging) for every seventh product, GTIN-14 case codes
    for shrink-wrapped packs and variable-measure GTIN-14s for pre-packed counter goods."""

    def __init__(self) -> None:
        self._companies: dict[str, int] = {}
        self._items: dict[str, int] = defaultdict(int)
        self._ean8 = 0
        self._variable = 0

    def _company(self, brand: str) -> int:
        return self._companies.setdefault(brand, len(self._companies) + 1)

    def piece(self, brand: str, origin: str, flags: str, i: int) -> tuple[str, ...]:
        k = self._company(brand)
        self._items[brand] += 1
        item = self._items[brand]
        if origin == "US":
            return (complete(f"0{(k * 7919) % 90000 + 10000:05d}{item:05d}"),)
        if "8" in flags:
            self._ean8 += 1
            n = self._ean8
            return (complete(f"46{n % 10}{(n * 389) % 9000 + 1000:04d}"),)
        company = self._prefix(k, origin)
        codes = [complete(f"{company}{item:03d}")]
        if i % 7 == 3:
            codes.append(complete(f"{company}{item + 500:03d}"))
        if "C" in flags:
            codes.append(complete(f"1{codes[0][:12]}"))
        return tuple(codes)

    def variable_measure(self) -> tuple[str, ...]:
        """The store's own counter packs: indicator 9, item numbers from 901."""
        self._variable += 1
        company = self._prefix(self._company(""), "RU")
        return (complete(f"9{company}{900 + self._variable:03d}"),)

    @staticmethod
    def _prefix(k: int, origin: str) -> str:
        """GS1 prefix and company number: 9 digits, leaving 3 for the item."""
        country = ORIGIN_PREFIXES.get(origin) or f"46{k % 10}"
        return f"{country}{(k * 48271) % 900000 + 100000:06d}"


def _lay_out(products: list[DemoProduct], aisle_for: Callable[[int], int]) -> list[DemoProduct]:
    """Give each product its store's aisle, shelf and walking sequence (data order
    within an aisle)."""
    by_aisle: dict[int, list[DemoProduct]] = defaultdict(list)
    for p in products:
        by_aisle[aisle_for(p.aisle)].append(p)
    placed: list[DemoProduct] = []
    for aisle in sorted(by_aisle):
        group = by_aisle[aisle]
        bays = "ABCDEFGH"[:max(1, min(8, math.ceil(len(group) / 4)))]
        if aisle % 2 == 0:
            bays = bays[::-1]  # walked back to front
        for k, p in enumerate(group):
            shelf = f"{bays[k * len(bays) // len(group)]}{1 + (k * 3 + aisle) % 5}"
            placed.append(replace(p, aisle=aisle, shelf=shelf, sequence=(len(placed) + 1) * 10))
    return placed


# ---------------------------------------------------------------- orders

# How often a basket line comes from each category (others: 1).
_BASKET = {"fruit": 10, "vegetables": 12, "dairy": 14, "bakery": 6, "grocery": 8, "cheese": 5,
           "meat": 6, "deli": 5, "fish": 3, "frozen": 4, "ice_cream": 2, "drinks": 6,
           "sweets": 5, "snacks": 3, "tea_coffee": 3, "alcohol": 3, "tobacco": 1.5, "eggs": 3,
           "household": 2, "baby": 1.5, "personal_care": 1.5, "pets": 1.5}
_GRAMS = {"fruit": (500, 600, 800, 1000, 1000, 1500, 2000),
          "vegetables": (300, 500, 600, 1000, 1000, 1500, 2000),
          "cheese": (200, 250, 300, 400, 500), "meat": (400, 500, 700, 800, 1000, 1500),
          "fish": (300, 400, 500, 700, 1000), "deli": (200, 300, 400, 500),
          "sweets": (150, 200, 250, 300, 500), "snacks": (150, 200, 300, 500)}
_SIZES = ((3, 5), (6, 14), (15, 24), (25, 35))
_SIZE_WEIGHTS = (15, 55, 20, 10)
_SLOT = timedelta(minutes=15)
_SPECIFIC_WHEN_POSSIBLE = 0.24  # most lines have a same-kind alternative: ~15% overall


def demo_orders(products: list[DemoProduct], start: datetime, count: int = 40, seed: int = 7,
                *, first_number: int = 240001,
                policy: SalePolicy | None = None) -> list[DemoOrder]:
    """A shift of orders due in 15-minute slots from ``start`` (timezone-aware), about
    one in eight already overdue. ``first_number`` keeps OMS ids apart between stores.

    Baskets follow the store's sale policy (default: the demo store's, Russian): no
    alcohol or tobacco in deliveries, alcohol but no tobacco in click & collect.
    """
    policy = policy or sale_policy(None, DEMO_STORE["locale"])
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    rng = random.Random(seed)
    by_category: dict[str, list[DemoProduct]] = defaultdict(list)
    for p in products:
        by_category[group_of(p)].append(p)
    now = start.astimezone(UTC)
    first_slot = now + (datetime.min.replace(tzinfo=UTC) - now) % _SLOT
    overdue = round(count * 0.12) if count >= 4 else 0
    dues = sorted(first_slot + _SLOT * (-rng.randint(1, 4) if n < overdue else rng.randint(0, 31))
                  for n in range(count))
    deliveries = round(count * 0.7)
    fulfilments = ["delivery"] * deliveries + ["collect"] * (count - deliveries)
    rng.shuffle(fulfilments)
    allowed = {f: {c: ps for c, ps in by_category.items() if policy.allows(c, f)}
               for f in ("delivery", "collect")}
    return [_order(f"OMS-{first_number + n}", due, fulfilment, allowed[fulfilment], rng)
            for n, (due, fulfilment) in enumerate(zip(dues, fulfilments, strict=True))]


def _order(oms_id: str, due: datetime, fulfilment: str,
           by_category: dict[str, list[DemoProduct]], rng: random.Random) -> DemoOrder:
    low, high = rng.choices(_SIZES, weights=_SIZE_WEIGHTS)[0]
    basket = _basket(rng.randint(low, high), by_category, rng)
    taken = {p.sku for p in basket}
    lines = tuple(DemoLine(p.sku, _quantity(p, rng), *_substitution(p, taken, by_category, rng))
                  for p in basket)
    return DemoOrder(oms_id=oms_id, due_at=due, fulfilment=fulfilment,
                     customer_name=_customer(rng), customer_phone=_phone(rng),
                     address=_address(rng) if fulfilment == "delivery" else None, lines=lines)


def _basket(size: int, by_category: dict[str, list[DemoProduct]],
            rng: random.Random) -> list[DemoProduct]:
    categories = sorted(by_category)
    weights = [_BASKET.get(c, 1) for c in categories]
    size = min(size, sum(len(v) for v in by_category.values()))
    chosen: dict[str, DemoProduct] = {}
    while len(chosen) < size:
        p = rng.choice(by_category[rng.choices(categories, weights=weights)[0]])
        chosen.setdefault(p.sku, p)
    return list(chosen.values())


def _quantity(p: DemoProduct, rng: random.Random) -> int:
    if p.unit == "weight":
        if (p.tolerance_pct or 0) >= 20:
            # one whole thing: a head of cabbage, a melon, a fish
            return rng.choice((400, 600, 800) if group_of(p) == "fish" else (1000, 1500, 2000))
        if p.tolerance_pct:
            return rng.choice((200, 300, 500))     # leafy greens
        return rng.choice(_GRAMS.get(group_of(p), (300, 500, 1000)))
    if _multibuy(p) and rng.random() < 0.35:
        return rng.choice((4, 6, 6, 10, 12))
    return rng.choices((1, 2, 3, 4), weights=(60, 25, 10, 5))[0]


def _multibuy(p: DemoProduct) -> bool:
    """Small bottles, yogurt pots, beer, cat food pouches: bought by the half dozen."""
    size = p.size_ml_or_g or 0
    if not size:
        return False
    if group_of(p) == "drinks":
        return size <= 1500
    if group_of(p) in ("dairy", "pets", "ice_cream"):
        return size <= 150
    return group_of(p) == "alcohol" and p.marked  # beer, not spirits


def _substitution(p: DemoProduct, taken: set[str], by_category: dict[str, list[DemoProduct]],
                  rng: random.Random) -> tuple[str, str | None]:
    """About 60% best match, 25% no substitute, 15% a specific product; a customer names
    one only where the store has a product of the same kind."""
    alternative = _specific(p, taken, by_category, rng)
    if alternative and rng.random() < _SPECIFIC_WHEN_POSSIBLE:
        return "specific", alternative.sku
    return ("best_match", None) if rng.random() < 0.6 / 0.85 else ("none", None)


def _specific(p: DemoProduct, taken: set[str], by_category: dict[str, list[DemoProduct]],
              rng: random.Random) -> DemoProduct | None:
    """What a customer would name: the same kind of product, same unit and zone, close
    in unit price, in stock, never 18+ for an ordinary item."""
    pool = sorted((q for q in by_category[group_of(p)]
                   if q.sku not in taken and _kind(q) == _kind(p) and q.category == p.category
                   and q.unit == p.unit
                   and q.zone == p.zone and q.stock > 0 and q.age_restricted <= p.age_restricted),
                  key=lambda q: (_price_gap(p, q), q.sku))[:3]
    return rng.choice(pool) if pool else None


def _kind(p: DemoProduct) -> str:
    """"Яблоки" for "Яблоки Гала, кг"; "Сыр творожный" for "Сыр творожный Hochland ...":
    the product type ends where the brand (capitalised) or the size starts."""
    words = p.name_ru.replace(",", "").split()
    if p.unit == "weight":
        return words[0]
    kind = words[:1]
    for word in words[1:]:
        if not word[0].islower():
            break
        kind.append(word)
    return " ".join(kind)


def _price_gap(p: DemoProduct, q: DemoProduct) -> float:
    if p.size_ml_or_g and q.size_ml_or_g:
        return abs(math.log((q.price_minor / q.size_ml_or_g) / (p.price_minor / p.size_ml_or_g)))
    return abs(math.log(q.price_minor / p.price_minor))


def _customer(rng: random.Random) -> str:
    surname = rng.choice(SURNAMES)
    if rng.random() < 0.55:
        return f"{rng.choice(FIRST_NAMES_FEMALE)} {_feminine(surname)}"
    return f"{rng.choice(FIRST_NAMES_MALE)} {surname}"


def _feminine(surname: str) -> str:
    if surname.endswith("ский"):
        return surname[:-2] + "ая"
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    return surname


def _phone(rng: random.Random) -> str:
    """Mobile-looking, with the never-issued exchange 000."""
    return f"+7 9{rng.randint(0, 99):02d} 000-{rng.randint(0, 99):02d}-{rng.randint(0, 99):02d}"


def _address(rng: random.Random) -> str:
    building = f"д. {rng.randint(1, 48)}"
    if rng.random() < 0.25:
        building += f", корп. {rng.randint(1, 4)}"
    return f"Москва, {rng.choice(MOSCOW_STREETS)}, {building}, кв. {rng.randint(1, 180)}"


# ---------------------------------------------------------------- staff

def demo_staff() -> list[DemoStaff]:
    """Sign-ins for MSK-001, one or more per role: supervisor and admin use a password,
    everyone else a PIN."""
    return [
        DemoStaff("1001", "Ольга Смирнова", "picker", "4821", "ru"),
        DemoStaff("1002", "Дмитрий Кузнецов", "picker", "7356", "ru"),
        DemoStaff("1003", "Sam Taylor", "picker", "9134", "en"),
        DemoStaff("1101", "Елена Васильева", "supervisor", "supervisor-demo", "ru"),
        DemoStaff("1201", "Рустам Алиев", "courier", "5190", "ru"),
        DemoStaff("1202", "Игорь Павлов", "courier", "2648", "ru"),
        DemoStaff("1301", "Наталья Орлова", "packer", "3852", "ru"),
        DemoStaff("1401", "Алексей Фёдоров", "clerk", "6417", "ru"),
        DemoStaff("1901", "Андрей Соколов", "admin", "admin-demo", "ru"),
    ]


def second_store_staff() -> list[DemoStaff]:
    """Sign-ins for SPB-002."""
    return [
        DemoStaff("2001", "Мария Лебедева", "picker", "3071", "ru"),
        DemoStaff("2101", "Сергей Морозов", "supervisor", "spb-supervisor-demo", "ru"),
    ]
