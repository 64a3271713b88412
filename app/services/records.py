"""What the scan path learns about a scan id before it loads the order (no SQL here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from picking.model import Product


@dataclass(frozen=True)
class Counted:
    """A scan already counted under this scan id."""

    order_id: int
    line_id: int
    code: str


@dataclass(frozen=True)
class Refused:
    """A scan id already refused, and why (the error's class name and fields)."""

    order_id: int | None
    code: str
    error: str
    params: dict[str, Any]


@dataclass(frozen=True)
class ScanProbe:
    """What one SELECT tells a scan before the order is loaded."""

    product: Product | None
    counted: Counted | None
    refused: Refused | None
    marking_used: bool
    order_in_store: bool = True  # the order exists in the picker's store
    likely_out: bool = False  # the product is marked "likely out" in the store (issue 15)
