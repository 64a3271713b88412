"""The SQL form of ``picking.progress`` for list screens (queue, board).

``progress_columns`` gives the aggregate columns for a query grouped by order
over ``order_lines`` (as ``lines``) outer-joined to its substitute lines (as
``subs``, via ``progress_join``); the counting rules are those of
``picking.progress.progress_of``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Join

from app.db import tables

substitute_lines = aliased(tables.order_lines, name="substitute_lines")


def progress_join(joined: Any) -> Join:
    """``joined`` (already holding ``order_lines``) plus each line's substitute line."""
    ln, sub = tables.order_lines.c, substitute_lines.c
    result: Join = joined.outerjoin(substitute_lines, sub.substitute_for_id == ln.id)
    return result


def progress_columns() -> list[Any]:
    ln, sub = tables.order_lines.c, substitute_lines.c
    original = ln.substitute_for_id.is_(None)

    def count(condition: Any, label: str) -> Any:
        return func.coalesce(func.sum(case((original & condition, 1), else_=0)), 0).label(label)

    substituted = ln.state == "substituted"
    nothing_found = (sub.state == "short") & (sub.picked_quantity == 0)
    return [
        count(ln.id.is_not(None), "lines"),
        count(ln.state == "picked", "picked"),
        count(substituted & (sub.state.is_(None) | (sub.state == "picked")
                             | ((sub.state == "short") & (sub.picked_quantity > 0))),
              "substituted"),
        count((ln.state == "short") | (substituted & nothing_found), "missing"),
    ]
