"""The inbound contract: what the central OMS sends us, and how we answer.

Plain dataclasses, so the app can document them in its OpenAPI schema and
parse them, and the simulator can build them. Types are checked by the
parser; the value rules (``> 0``, unique SKUs, valid GTINs...) are checked by
the ``*_errors`` functions here, which name the exact field at fault.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from picking.gtin import InvalidGtin, to_gtin14

MAX_PIECES = 999
MAX_GRAMS = 25_000


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
    sku: str
    quantity: int = field(metadata={"description": "pieces, or grams for weighed goods"})
    unit_price_minor: int | None = None  # None: the store's catalog price
    substitution: Literal["none", "best_match", "specific"] = "best_match"
    specific_sku: str | None = None


@dataclass
class OrderIn:
    """A whole order at one OMS version; a higher version replaces it."""

    version: int
    due_at: datetime
    lines: list[OrderLineIn]
    fulfilment: Literal["delivery", "collect"] = "delivery"
    customer_name: str = ""
    customer_phone: str = ""
    address: str | None = None
    priority: int = 0


@dataclass
class CancelIn:
    reason: str = "cancelled by the customer"


@dataclass
class OrderAck:
    status: Literal["created", "updated", "ignored", "cancelled"]
    oms_id: str
    version: int
    order_status: str


@dataclass
class ProductIn:
    sku: str
    name_ru: str
    name_en: str
    unit: Literal["piece", "weight"]
    price_minor: int = field(metadata={"description": "per piece, or per kg when weighed"})
    zone: Literal["ambient", "chilled", "frozen"] = "ambient"
    aisle: int = 0
    shelf: str = ""
    sequence: int = 0
    category: str = ""
    barcodes: list[str] = field(default_factory=list)
    plu: str | None = None
    size_text: str = ""
    marked: bool = False
    age_restricted: bool = False
    stock: int | None = None  # None keeps the current stock
    tolerance_pct: int | None = None


@dataclass
class CatalogIn:
    products: list[ProductIn]


@dataclass
class StockLevelIn:
    sku: str
    stock: int


@dataclass
class StockIn:
    levels: list[StockLevelIn]


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
