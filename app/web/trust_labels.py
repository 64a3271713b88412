"""Display names of product attributes (``picking.attributes``), translated on use.

An attribute this store does not know is shown as the catalog sent it: it is
kept and enforced all the same, so the picker must see it.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.i18n import gettext
from app.web.labels import N_

ATTRIBUTE_LABELS = {
    "lactose_free": N_("lactose-free"),
    "gluten_free": N_("gluten-free"),
    "sugar_free": N_("sugar-free"),
    "vegan": N_("vegan"),
    "vegetarian": N_("vegetarian"),
    "halal": N_("halal"),
    "kosher": N_("kosher"),
    "organic": N_("organic"),
    "baby": N_("for babies"),
    "non_food": N_("not food"),
    "household_chemicals": N_("household chemicals"),
}


def attribute_label(name: str) -> str:
    """The translated name of a known attribute; an unknown one as it came."""
    known = ATTRIBUTE_LABELS.get(name)
    return gettext(known) if known else name


def attribute_list(names: Iterable[str]) -> str:
    """``"lactose-free, halal"``: the names, translated, for a sentence."""
    return ", ".join(attribute_label(n) for n in names)
