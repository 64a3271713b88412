"""Bags: how many an order needs per temperature zone, and the code on their labels.

Pure functions. A bag label's QR carries ``SP-BAG:<oms_id>:<k>:<n>:<zone>:<check>``;
``picking.codes.interpret`` refuses every ``SP-`` code, so a bag can never be
mistaken for a product, and ``parse_bag_code`` is the only reader of bag codes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from picking import errors

ZONES = ("ambient", "chilled", "frozen")
BAG_PREFIX = "SP-BAG:"
BAG_CAPACITY = 12
"""Units one bag holds: a unit is one piece, or 500 g of loose goods."""
GRAMS_PER_UNIT = 500
MAX_BAGS_PER_ZONE = 20
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class PackItem:
    """What packing needs to know about one picked line."""

    zone: str
    quantity: int  # pieces, or grams when weighed
    weighed: bool = False

    @property
    def units(self) -> int:
        if self.weighed:
            return math.ceil(self.quantity / GRAMS_PER_UNIT)
        return self.quantity


def propose_bags(items: Iterable[PackItem]) -> dict[str, int]:
    """Bags per zone: enough capacity for every zone's units; zones never share.

    Zones with nothing picked get 0. Unknown zones count as ambient.
    """
    units = dict.fromkeys(ZONES, 0)
    for item in items:
        if item.quantity > 0:
            units[item.zone if item.zone in units else "ambient"] += max(item.units, 1)
    return {zone: math.ceil(n / BAG_CAPACITY) for zone, n in units.items()}


@dataclass(frozen=True)
class BagCode:
    oms_id: str
    number: int
    count: int
    zone: str

    def text(self) -> str:
        """The QR content for this bag, check characters included."""
        body = f"{self.oms_id}:{self.number}:{self.count}:{self.zone}"
        return f"{BAG_PREFIX}{body}:{_check(body)}"


BadBagCode = errors.BadBagCode  # defined with every domain error


def is_bag_code(raw: str) -> bool:
    return raw.strip().upper().startswith(BAG_PREFIX)


def parse_bag_code(raw: str) -> BagCode:
    """Read a bag label's QR text (scanner, camera or typed). Raises BadBagCode."""
    text = raw.strip()
    if not text.upper().startswith(BAG_PREFIX):
        raise BadBagCode("not a bag label")
    parts = text[len(BAG_PREFIX):].rsplit(":", 4)
    if len(parts) != 5 or not parts[0]:
        raise BadBagCode("incomplete bag label")
    oms_id, number, count, zone, check = parts
    if not (number.isdigit() and count.isdigit()) or zone.lower() not in ZONES:
        raise BadBagCode("malformed bag label")
    code = BagCode(oms_id, int(number), int(count), zone.lower())
    if not 1 <= code.number <= code.count or code.count > len(ZONES) * MAX_BAGS_PER_ZONE:
        raise BadBagCode("impossible bag number")
    if check.upper() != _check(f"{oms_id}:{number}:{count}:{zone.lower()}"):
        raise BadBagCode("wrong check characters")
    return code


def _check(body: str) -> str:
    """Two base-36 characters over the body: catches a mistyped or swapped character."""
    total = sum((i + 1) * ord(c) for i, c in enumerate(body)) % (36 * 36)
    return _ALPHABET[total // 36] + _ALPHABET[total % 36]
