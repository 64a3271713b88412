"""The inbound contract: what the central OMS sends us, and how we answer.

Plain dataclasses, so the app can document them in its OpenAPI schema and
parse them, and the simulator can build them. Types are checked by the
parser; the value rules (``> 0``, unique SKUs, valid GTINs...) are checked by
the ``*_errors`` functions here, which name the exact field at fault.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import MISSING, dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal, get_args, get_origin, get_type_hints

import msgspec
from annotated_types import Interval, Len
from msgspec import Meta

from picking.attributes import normalise as normalise_attributes
from picking.attributes import problem as attribute_problem
from picking.gtin import InvalidGtin, to_gtin14
from picking.supervision import MAX_PRIORITY

MAX_PIECES = 999
MAX_GRAMS = 25_000
MAX_VERSION = 2**31 - 1  # the database keeps it in a 32-bit integer
MAX_PRICE_MINOR = 10**11  # a billion roubles: no price, and still far from 64-bit overflow
MAX_STOCK = 10**9
MAX_LINES = 500
MAX_PRODUCTS = 1000
MAX_LEVELS = 5000
MAX_BARCODES = 32
MAX_DEPTH = 16
"""JSON nesting the API reads; its own documents are at most 4 deep."""
MAX_BODY_BYTES = 8 * 1024 * 1024
"""The largest valid document (1000 products, names escaped as \\uXXXX) is about 5 MB."""

# Each bound twice: msgspec.Meta is what the parser enforces, annotated_types what the
# OpenAPI schema (and so the OMS and the fuzzer) sees. Strings count characters.
Text64 = Annotated[str, Meta(min_length=1, max_length=64), Len(1, 64)]
Sku = Text64
Gtin = Annotated[str, Meta(min_length=1, max_length=14), Len(1, 14)]
Name = Annotated[str, Meta(min_length=1, max_length=300), Len(1, 300)]
CustomerName = Annotated[str, Meta(max_length=200), Len(0, 200)]
Phone = Annotated[str, Meta(max_length=40), Len(0, 40)]
Address = Annotated[str, Meta(max_length=400), Len(0, 400)]
Reason = Annotated[str, Meta(max_length=1000), Len(0, 1000)]
Shelf = Annotated[str, Meta(max_length=16), Len(0, 16)]
Category = Annotated[str, Meta(max_length=64), Len(0, 64)]
SizeText = Annotated[str, Meta(max_length=32), Len(0, 32)]
Plu = Annotated[str, Meta(min_length=1, max_length=8), Len(1, 8)]
Version = Annotated[int, Meta(ge=1, le=MAX_VERSION), Interval(ge=1, le=MAX_VERSION)]
Quantity = Annotated[int, Meta(ge=1, le=MAX_GRAMS), Interval(ge=1, le=MAX_GRAMS)]
Price = Annotated[int, Meta(ge=0, le=MAX_PRICE_MINOR), Interval(ge=0, le=MAX_PRICE_MINOR)]
Stock = Annotated[int, Meta(ge=0, le=MAX_STOCK), Interval(ge=0, le=MAX_STOCK)]
Priority = Annotated[int, Meta(ge=0, le=MAX_PRIORITY), Interval(ge=0, le=MAX_PRIORITY)]
Aisle = Annotated[int, Meta(ge=0, le=9999), Interval(ge=0, le=9999)]
Sequence = Annotated[int, Meta(ge=0, le=MAX_STOCK), Interval(ge=0, le=MAX_STOCK)]
Percent = Annotated[int, Meta(ge=1, le=100), Interval(ge=1, le=100)]
Days = Annotated[int, Meta(ge=0, le=3650), Interval(ge=0, le=3650)]
LineNote = Annotated[str, Meta(max_length=500), Len(0, 500)]
OrderNote = Annotated[str, Meta(max_length=1000), Len(0, 1000)]
CapPercent = Annotated[int, Meta(ge=0, le=1000), Interval(ge=0, le=1000)]
Brand = Annotated[str, Meta(max_length=100), Len(0, 100)]
Attribute = Annotated[str, Meta(min_length=1, max_length=40), Len(1, 40)]
MAX_ATTRIBUTES = 32


@dataclass
class FieldError:
    field: str
    message: str


@dataclass
class ErrorsOut:
    """Every 4xx of the API: what was wrong, field by field."""

    errors: list[FieldError]


class ContractError(Exception):
    """The request breaks the contract; nothing was written.

    ``status`` is the HTTP status to answer with (401 signature, 404 unknown
    store or order, 409 conflict or replay, 422 invalid payload).
    """

    def __init__(self, errors: list[FieldError], status: int = 422) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors
        self.status = status


def refuse(field_name: str, message: str, status: int = 422) -> ContractError:
    return ContractError([FieldError(field_name, message)], status)


@dataclass
class OrderLineIn:
    sku: Sku
    quantity: Quantity = field(metadata={"description": "pieces, or grams for weighed goods"})
    unit_price_minor: Price | None = None  # None: the store's catalog price
    substitution: Literal["none", "best_match", "specific"] = "best_match"
    specific_sku: Sku | None = None
    # freshness: the unit must have at least this many days of life left at delivery
    min_days_left: Days | None = None
    # a substitute offered and not answered in time: refund it, or keep the best match;
    # None keeps what the line has (the customer may choose on their link)
    fallback: Literal["refund", "best_match"] | None = None
    note: LineNote | None = field(default=None, metadata={
        "description": "the customer's words for the picker, e.g. 'greener bananas'"})
    max_difference_pct: CapPercent | None = field(default=None, metadata={
        "description": "a substitute may cost at most this many per cent more"})
    same_brand: bool = False


@dataclass
class OrderIn:
    """A whole order at one OMS version; a higher version replaces it."""

    version: Version
    due_at: datetime
    lines: Annotated[list[OrderLineIn], Meta(min_length=1, max_length=MAX_LINES),
                     Len(1, MAX_LINES)]
    fulfilment: Literal["delivery", "collect"] = "delivery"
    customer_name: CustomerName = ""
    customer_phone: Phone = ""
    address: Address | None = None
    priority: Priority = 0
    note: OrderNote | None = None  # the customer's note on the whole order
    customer_id: Text64 | None = field(default=None, metadata={
        "description": "the chain's customer id: substitutes are ranked by what this "
                       "customer accepted before"})


@dataclass
class CancelIn:
    reason: Reason = "cancelled by the customer"  # the first 200 characters are kept


@dataclass
class OrderAck:
    status: Literal["created", "updated", "ignored", "cancelled"]
    oms_id: str
    version: int
    order_status: str


@dataclass
class ProductIn:
    sku: Sku
    name_ru: Name
    name_en: Name
    unit: Literal["piece", "weight"]
    price_minor: Price = field(metadata={"description": "per piece, or per kg when weighed"})
    zone: Literal["ambient", "chilled", "frozen"] = "ambient"
    aisle: Aisle = 0
    shelf: Shelf = ""
    sequence: Sequence = 0
    category: Category = ""
    barcodes: Annotated[list[Gtin], Meta(max_length=MAX_BARCODES),
                        Len(0, MAX_BARCODES)] = field(default_factory=list)
    plu: Plu | None = None
    size_text: SizeText = ""
    marked: bool = False
    age_restricted: bool = False
    stock: Stock | None = None  # None keeps the current stock
    tolerance_pct: Percent | None = None
    min_days_left: Days | None = None  # freshness promise at delivery; None: none
    ask_expiry: bool = False  # no date in its code: the picker is asked to type it
    brand: Brand = ""
    attributes: Annotated[list[Attribute], Meta(max_length=MAX_ATTRIBUTES),
                          Len(0, MAX_ATTRIBUTES)] = field(default_factory=list, metadata={
        "description": "e.g. lactose_free, gluten_free, vegan, vegetarian, halal, kosher, "
                       "organic, sugar_free, baby, non_food, household_chemicals; a name "
                       "the store does not know is kept, shown and enforced too"})


@dataclass
class CatalogIn:
    products: Annotated[list[ProductIn], Meta(max_length=MAX_PRODUCTS), Len(0, MAX_PRODUCTS)]


@dataclass
class StockLevelIn:
    sku: Sku
    stock: Stock


@dataclass
class StockIn:
    levels: Annotated[list[StockLevelIn], Meta(max_length=MAX_LEVELS), Len(0, MAX_LEVELS)]


@dataclass
class UpsertAck:
    status: Literal["applied"]
    created: int
    updated: int


@dataclass
class CatalogEntryOut:
    sku: str
    name_en: str
    unit: str
    price_minor: int
    stock: int
    # what the store's sale policy lets it sell this product for (alcohol in a
    # Russian store: ["collect"]; tobacco: [])
    fulfilments: list[str] = field(default_factory=lambda: ["delivery", "collect"])
    attributes: list[str] = field(default_factory=list)


def order_errors(order: OrderIn) -> list[FieldError]:
    """Value rules of an order; types were checked by the parser."""
    found: list[FieldError] = []
    if order.version < 1:
        found.append(FieldError("version", "must be >= 1"))
    if order.due_at.tzinfo is None:
        found.append(FieldError("due_at", "must carry a time zone offset"))
    if not order.lines:
        found.append(FieldError("lines", "must not be empty"))
    seen: set[str] = set()
    for i, line in enumerate(order.lines):
        where = f"lines[{i}]"
        if not line.sku or len(line.sku) > 64:
            found.append(FieldError(f"{where}.sku", "must be 1 to 64 characters"))
        elif line.sku in seen:
            found.append(FieldError(f"{where}.sku", "appears twice: one line per product"))
        seen.add(line.sku)
        if line.quantity <= 0:
            found.append(FieldError(f"{where}.quantity", "must be > 0"))
        if line.unit_price_minor is not None and line.unit_price_minor < 0:
            found.append(FieldError(f"{where}.unit_price_minor", "must be >= 0"))
        if line.substitution == "specific" and not line.specific_sku:
            found.append(FieldError(f"{where}.specific_sku", "required when substitution is "
                                    "'specific'"))
    return found


def catalog_errors(catalog: CatalogIn) -> list[FieldError]:
    found: list[FieldError] = []
    skus: set[str] = set()
    gtins: dict[str, str] = {}
    for i, product in enumerate(catalog.products):
        where = f"products[{i}]"
        found += _product_errors(product, where)
        for j, name in enumerate(product.attributes):
            wrong = attribute_problem(normalise_attributes([name])[0]
                                      if name.strip() else "")
            if wrong is not None:
                found.append(FieldError(f"{where}.attributes[{j}]", wrong))
        if product.sku in skus:
            found.append(FieldError(f"{where}.sku", "appears twice in this request"))
        skus.add(product.sku)
        for j, code in enumerate(product.barcodes):
            gtin = _gtin(code)
            if gtin is None:
                found.append(FieldError(f"{where}.barcodes[{j}]", "not a valid GTIN"))
            elif gtins.setdefault(gtin, product.sku) != product.sku:
                found.append(FieldError(f"{where}.barcodes[{j}]",
                                        f"also given for {gtins[gtin]}"))
    return found


def _product_errors(p: ProductIn, where: str) -> list[FieldError]:
    checks = [
        ("sku", 0 < len(p.sku) <= 64, "must be 1 to 64 characters"),
        ("name_ru", 0 < len(p.name_ru) <= 300, "must be 1 to 300 characters"),
        ("name_en", 0 < len(p.name_en) <= 300, "must be 1 to 300 characters"),
        ("price_minor", p.price_minor >= 0, "must be >= 0"),
        ("aisle", p.aisle >= 0, "must be >= 0"),
        ("shelf", len(p.shelf) <= 16, "must be at most 16 characters"),
        ("plu", p.plu is None or (p.plu.isdigit() and len(p.plu) <= 8),
         "must be 1 to 8 digits"),
        ("stock", p.stock is None or p.stock >= 0, "must be >= 0"),
        ("tolerance_pct", p.tolerance_pct is None or 0 < p.tolerance_pct <= 100,
         "must be between 1 and 100"),
    ]
    return [FieldError(f"{where}.{name}", message) for name, ok, message in checks if not ok]


def _gtin(code: str) -> str | None:
    try:
        return to_gtin14(code)
    except InvalidGtin:
        return None


def stock_errors(stock: StockIn) -> list[FieldError]:
    found: list[FieldError] = []
    for i, level in enumerate(stock.levels):
        if level.stock < 0:
            found.append(FieldError(f"levels[{i}].stock", "must be >= 0"))
    return found


def parse_errors(cls: type[Any], raw: Any, where: str = "") -> list[FieldError]:
    """Every field of the decoded JSON ``raw`` that does not fit the contract dataclass
    ``cls`` (types and bounds), not only the first one the parser stops at."""
    if not isinstance(raw, dict):
        return [FieldError(where or "body", "must be a JSON object")]
    hints = get_type_hints(cls, include_extras=True)
    found: list[FieldError] = []
    for spec in dataclasses.fields(cls):
        path = f"{where}.{spec.name}" if where else spec.name
        if spec.name not in raw:
            if spec.default is MISSING and spec.default_factory is MISSING:
                found.append(FieldError(path, "required"))
            continue
        value, hint = raw[spec.name], hints[spec.name]
        item_cls = _item_dataclass(hint)
        inner: list[FieldError] = []
        if item_cls is not None and isinstance(value, list):
            for i, item in enumerate(value[:MAX_LEVELS]):
                inner += parse_errors(item_cls, item, f"{path}[{i}]")
        found += inner
        if not inner:
            try:
                msgspec.json.decode(msgspec.json.encode(value), type=hint)
            except msgspec.ValidationError as err:
                found.append(_located(path, str(err)))
    return found


def _item_dataclass(hint: Any) -> type[Any] | None:
    while get_origin(hint) is Annotated:
        hint = get_args(hint)[0]
    if get_origin(hint) is list:
        (item,) = get_args(hint)
        if dataclasses.is_dataclass(item) and isinstance(item, type):
            return item
    return None


_AT = re.compile(r"^(.*) - at `\$(.*)`$")


def _located(path: str, message: str) -> FieldError:
    """msgspec's 'Expected ... - at `$[0]`' as a field path and a sentence."""
    found = _AT.match(message)
    if found is None:
        return FieldError(path, plain_message(message))
    return FieldError(path + found.group(2), plain_message(found.group(1)))


_PARSER_WORDS = [  # msgspec's messages, said the way the rest of the API says them
    (re.compile(r"^Expected `(str|array|object)` of length <= (\d+)$"), "must be at most {} {}"),
    (re.compile(r"^Expected `(str|array|object)` of length >= (\d+)$"),
     "must be at least {} {}"),
    (re.compile(r"^Expected `(int)` <= (-?\d+)$"), "must be <= {}"),
    (re.compile(r"^Expected `(int)` >= (-?\d+)$"), "must be >= {}"),
]
_UNITS = {"str": "characters", "array": "items", "object": "fields"}


def plain_message(message: str) -> str:
    for pattern, text in _PARSER_WORDS:
        if found := pattern.match(message):
            kind, number = found.groups()
            return text.format(number, _UNITS.get(kind, ""))
    return message[:200]
