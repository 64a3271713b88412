"""The freshness promise (picking.freshness): which promise holds, and the day it breaks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from picking import errors
from picking.codes import interpret
from picking.freshness import default_for, refuse_stale, required_days
from picking.lines import Line, Product

DUE = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)


def line(line_days: int | None = None, product_days: int | None = None,
         category: str = "dairy/kefir") -> Line:
    product = Product(store_id=1, sku="kefir", name_ru="Кефир", name_en="Kefir", unit="piece",
                      price_minor=100, category=category, min_days_left=product_days)
    return Line(product=product, quantity=1, unit_price_minor=100, min_days_left=line_days)


def test_the_line_promise_beats_the_product_which_beats_the_store_default() -> None:
    assert required_days(line(3, 5), 7) == 3
    assert required_days(line(None, 5), 7) == 5
    assert required_days(line(), 7) == 7
    assert required_days(line(), None) is None


def test_the_store_default_is_the_most_specific_category() -> None:
    product = line().product
    assert default_for(product, {"dairy": 4, "dairy/kefir": 6}) == 6
    assert default_for(product, {"dairy": 4}) == 4
    assert default_for(product, {"bakery": 1}) is None


def test_exactly_the_promised_days_pass_and_one_fewer_is_refused() -> None:
    assert refuse_stale(line(5), DUE, date(2026, 11, 27), None) == date(2026, 11, 27)
    with pytest.raises(errors.NotFreshEnough) as caught:
        refuse_stale(line(5), DUE, date(2026, 11, 26), None)
    assert (caught.value.min_days, caught.value.days_left) == (5, 4)
    assert refuse_stale(line(5), DUE, None, None) is None  # no date: nothing to judge


def test_best_before_ai_15_is_read_when_there_is_no_use_by_date() -> None:
    assert interpret("(01)04601234567893(15)261130").expiry == date(2026, 11, 30)
    assert interpret("(01)04601234567893(17)261129(15)261130").expiry == date(2026, 11, 29)
