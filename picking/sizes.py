"""A pack's size as a number, from the catalog's neutral size text. Pure."""

from __future__ import annotations

import re

_SIZE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(ml|l|g|kg)\s*$", re.IGNORECASE)
_FACTOR = {"ml": 1, "l": 1000, "g": 1, "kg": 1000}


def size_amount(text: str | None) -> int | None:
    """``"930 ml"`` -> 930, ``"1.5 l"`` -> 1500, ``"400 g"`` -> 400; counted packs
    ("10 pcs"), "per kg" and anything else -> None. Substitutes are ranked by it."""
    found = _SIZE.match(text or "")
    if not found:
        return None
    return round(float(found.group(1).replace(",", ".")) * _FACTOR[found.group(2).lower()])
