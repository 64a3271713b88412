"""Tables of the board area (same metadata as app.db.tables).

``scan_errors`` keeps every refused scan (wrong item, unknown code, bad check
digit...) so the board can show each picker's scan error rate. It is written
in its own short transaction after the scan's own transaction rolled back.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table

from app.db.tables import metadata
from app.db.types import UtcDateTime

scan_errors = Table(
    "scan_errors", metadata,
    Column("id", Integer, primary_key=True),
    Column("store_id", ForeignKey("stores.id"), nullable=False),
    Column("staff_id", ForeignKey("staff.id")),
    Column("order_id", ForeignKey("orders.id", ondelete="SET NULL")),
    Column("code", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_scan_errors_store_at", "store_id", "at"),
    Index("ix_scan_errors_staff_at", "staff_id", "at"),
)

__all__ = ["metadata", "scan_errors"]
