"""What a store may sell at a distance: its sale policy per product group.

In Russia alcohol and tobacco may not be sold at a distance, so a Russian
store's default keeps them out of delivery orders; alcohol may still be
ordered for click & collect (the ID is checked at the counter), tobacco not
at all. A store may change this per group (``stores.sale_policy``, JSON:
group -> the fulfilments allowed, e.g. ``{"alcohol": []}`` for a store that
sells no alcohol to online orders). A product's group is its category.

Pure: the app reads the store row and asks these functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FULFILMENTS = ("delivery", "collect")
GROUPS = ("alcohol", "tobacco")

# Group -> fulfilments allowed. Groups not named here are not restricted.
RUSSIA: dict[str, frozenset[str]] = {
    "alcohol": frozenset({"collect"}),
    "tobacco": frozenset(),
}
DEFAULTS_BY_COUNTRY: dict[str, dict[str, frozenset[str]]] = {"RU": RUSSIA}


def group_of(category: str | None) -> str:
    """The group a category belongs to: ``alcohol`` for ``alcohol/wine``."""
    return (category or "").partition("/")[0]


@dataclass(frozen=True)
class SalePolicy:
    """The groups a store restricts, each with the fulfilments it still allows."""

    allowed: Mapping[str, frozenset[str]]

    def allows(self, group: str | None, fulfilment: str) -> bool:
        """May a product of ``group`` be in an order of ``fulfilment``? A narrow
        category (``alcohol/wine``) falls under its group's rule (``alcohol``)."""
        rule = self.allowed.get(group or "")
        if rule is None:
            rule = self.allowed.get(group_of(group))
        return rule is None or fulfilment in rule

    def allowed_for(self, group: str | None) -> list[str]:
        """The fulfilments a product of ``group`` may be ordered for, in a fixed order."""
        return [f for f in FULFILMENTS if self.allows(group, f)]

    def as_json(self) -> dict[str, list[str]]:
        return {g: [f for f in FULFILMENTS if f in rule] for g, rule in self.allowed.items()}


def country_of(locale: str) -> str:
    """``ru_RU`` -> ``RU``; a locale without a territory has no country ("")."""
    _lang, _sep, territory = locale.partition("_")
    return territory.upper()


def sale_policy(raw: Any, locale: str) -> SalePolicy:
    """The store's policy: its own settings (``raw``, from the store row) over the
    default of its country. Junk entries in ``raw`` are ignored, never widened:
    an unknown fulfilment name allows nothing."""
    allowed = dict(DEFAULTS_BY_COUNTRY.get(country_of(locale), {}))
    if isinstance(raw, Mapping):
        for group, fulfilments in raw.items():
            if str(group) in GROUPS and isinstance(fulfilments, list | tuple):
                allowed[str(group)] = frozenset(str(f) for f in fulfilments
                                                if str(f) in FULFILMENTS)
    return SalePolicy(allowed)
