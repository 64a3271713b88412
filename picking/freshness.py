"""The freshness promise: a unit must have at least N days of life left at delivery.

N comes from the order line (the OMS may send it), else the product, else the store's
default for the product's category. The expiry comes from the code (GS1 AI 17, or 15
best-before), else from the marking check. A unit without any known expiry is not
refused here: nothing true could be said about it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from picking import errors
from picking.lines import Line, Product, _named


def required_days(line: Line, store_default: int | None) -> int | None:
    """Days of life the line promises at delivery, or None when it promises nothing."""
    for days in (line.min_days_left, line.product.min_days_left, store_default):
        if days is not None:
            return days
    return None


def default_for(product: Product, by_category: Mapping[str, int]) -> int | None:
    """The store's default for the product's category: the most specific one that
    matches ('dairy/kefir' before 'dairy'), or None."""
    category = product.category
    while category:
        if category in by_category:
            return by_category[category]
        category = category.rpartition("/")[0]
    return None


def days_left(expiry: date, due_at: datetime) -> int:
    """Whole days from the due date to the expiry date (the expiry day counts as sold-by)."""
    return (expiry - due_at.date()).days


def refuse_stale(line: Line, due_at: datetime, expiry: date | None,
                 store_default: int | None) -> date | None:
    """Raise NotFreshEnough when the unit breaks the line's promise; returns the expiry."""
    needed = required_days(line, store_default)
    if expiry is None and needed is not None and line.product.ask_expiry:
        raise errors.ExpiryDateNeeded(**_named(line.product), min_days=needed)
    if expiry is None or needed is None:
        return expiry
    left = days_left(expiry, due_at)
    if left < needed:
        raise errors.NotFreshEnough(**_named(line.product), min_days=needed, days_left=left)
    return expiry
