"""Tables of the marking and freshness area (same metadata as app.db.tables)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table

from app.db.tables import metadata

# The store's freshness default per product category ('dairy', 'dairy/kefir'): days of
# life a unit must have left at delivery when neither the line nor the product says.
freshness_defaults = Table(
    "freshness_defaults", metadata,
    Column("store_id", ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True),
    Column("category", String(64), primary_key=True),
    Column("min_days", Integer, nullable=False),
)

__all__ = ["freshness_defaults"]
