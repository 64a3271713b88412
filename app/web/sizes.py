"""A product's size as a reader of either language writes it.

The catalog sends sizes as neutral text ("930 ml", "1.5 l", "400 g", "10 pcs",
"per kg"); the screens translate the unit and the decimal mark, and leave the
size out where the product's name already says it ("Молоко 3,2% 930 мл").
Text that is not in that form is shown as the catalog sent it.
"""

from __future__ import annotations

import re

from app import i18n
from app.i18n import gettext as _
from app.web.labels import N_
from picking.lines import shown_name
from picking.model import Product

UNITS = {"g": N_("g"), "kg": N_("kg"), "ml": N_("ml"), "l": N_("l"), "pcs": N_("pcs"),
         "pc": N_("pc")}
VOLUME = {"ml", "l"}
MASS = {"g", "kg"}
_SIZE = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-z]+)")


def size_text(product: Product) -> str:
    """The size to show after the product's name, in the reader's language ("" for none)."""
    raw = (product.size_text or "").strip()
    if not raw or (product.is_weighed and raw.lower() == "per kg"):
        return ""  # a weighed product's price and weight already say "kg"
    text = _localised(raw)
    name = product.name(i18n.current_language())
    return "" if _squeezed(text) in _squeezed(name) else shown_name(text)


def _localised(raw: str) -> str:
    if raw.lower() == "per kg":
        return _("per kg")
    found = _SIZE.fullmatch(raw.lower())
    if found is None or found.group(2) not in UNITS:
        return raw
    amount = found.group(1).replace(",", ".")
    mark = "," if i18n.current_language() == "ru" else "."
    return f"{amount.replace('.', mark)} {_(UNITS[found.group(2)])}"


def _squeezed(text: str) -> str:
    return " ".join(text.lower().split())


def price_basis(product: Product) -> str | None:
    """What a piece product's unit price compares by: "l" for drinks, "kg" for goods
    sold by mass, None when the size says neither (then the price is per piece)."""
    found = _SIZE.fullmatch((product.size_text or "").strip().lower())
    unit = found.group(2) if found else ""
    if not product.size_amount:
        return None
    return "l" if unit in VOLUME else "kg" if unit in MASS else None
