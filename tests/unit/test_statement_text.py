"""The simple-query text a kept PostgreSQL writer sends with its BEGIN is compiled from
the same statement the bound path runs, with integers only written in."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select

from app.db import direct, tables
from app.db.repositories import _LOCK_ORDER


def test_the_order_lock_text_is_the_bound_statement_with_the_id_written_in() -> None:
    sent = _LOCK_ORDER.postgresql_text(order_id=42)
    assert " ".join(sent.split()) == (
        "SELECT orders.id FROM orders WHERE orders.id = 42::INTEGER FOR UPDATE")
    assert _LOCK_ORDER.postgresql_text(order_id=7).replace("7::", "42::") == sent


def test_a_changed_statement_changes_its_text() -> None:
    # Built from the statement, not written beside it: a different table or lock
    # mode shows in the text (a hand-written copy would keep saying the old one).
    shared = direct.Statement(select(tables.orders.c.id).where(
        tables.orders.c.id == bindparam("order_id")).with_for_update(read=True))
    assert shared.postgresql_text(order_id=1).rstrip().endswith("FOR SHARE")


@pytest.mark.parametrize("forged", ["1; DROP TABLE orders", "1 OR 1=1", "", None, 1.5e9j, 42.7])
def test_only_integers_reach_the_text(forged: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        _LOCK_ORDER.postgresql_text(order_id=forged)  # type: ignore[arg-type]
