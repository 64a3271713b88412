"""Product attributes a substitute must not break (lactose-free, halal, for babies...).

The catalog sends each product's attributes as short names. Every attribute an
original carries is *hard*: a substitute must carry it too. That includes the
names this store does not know: what an attribute means is the chain's
business, and dropping one we cannot read is exactly how lactose-free cheese
becomes ordinary cheese. Unknown names are stored and shown as they came.

Two attributes also work the other way: a product that is not food (or is
household chemicals) never stands in for one that is.

Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

KNOWN = ("lactose_free", "gluten_free", "sugar_free", "vegan", "vegetarian", "halal",
         "kosher", "organic", "baby", "non_food", "household_chemicals")
IMPLIES: dict[str, frozenset[str]] = {
    "vegan": frozenset({"vegetarian"}),
    "household_chemicals": frozenset({"non_food"}),
}
NOT_FOR_FOOD = frozenset({"non_food", "household_chemicals"})
MAX_ATTRIBUTES = 32
MAX_LENGTH = 40
_SEPARATORS = re.compile(r"[\s\-]+")
_ALLOWED = re.compile(r"^[a-z0-9_]+$")


def normalise(raw: Iterable[str]) -> list[str]:
    """``["Lactose-free", "halal", "HALAL"]`` -> ``["lactose_free", "halal"]``: lower
    case, spaces and hyphens as ``_``, each once, in the order given."""
    seen: list[str] = []
    for name in raw:
        clean = _SEPARATORS.sub("_", str(name).strip().lower())
        if clean and clean not in seen:
            seen.append(clean)
    return seen


def problem(name: str) -> str | None:
    """Why ``name`` (already normalised) cannot be an attribute, or None."""
    if not name:
        return "must not be empty"
    if len(name) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    if not _ALLOWED.match(name):
        return "only letters a-z, digits, '_', '-' and spaces"
    return None


def closure(attributes: Iterable[str]) -> frozenset[str]:
    """The attributes and what they imply (vegan is also vegetarian)."""
    found = set(attributes)
    for name in list(found):
        found |= IMPLIES.get(name, frozenset())
    return frozenset(found)


def broken(original: Iterable[str], substitute: Iterable[str]) -> list[str]:
    """The attributes of ``original`` that ``substitute`` would break, sorted: the
    ones it lacks, and a not-for-food attribute it brings to food."""
    kept, wanted = closure(substitute), closure(original)
    lost = {name for name in wanted if name not in kept}
    lost |= {name for name in kept & NOT_FOR_FOOD if name not in wanted}
    return sorted(lost)


def is_known(name: str) -> bool:
    return name in KNOWN
