"""Tables of the security area (same metadata as app.db.tables).

``rate_limits`` holds one counter per key (a sign-in account, a client address,
a store, a customer link seen from one client), counted in fixed windows. It
lives in the database, not in process memory, so every app process of a
PostgreSQL deployment shares the same budgets.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table

from app.db.tables import metadata
from app.db.types import UtcDateTime

rate_limits = Table(
    "rate_limits", metadata,
    Column("key", String(200), primary_key=True),
    Column("window_start", UtcDateTime(), nullable=False),
    Column("hits", Integer, nullable=False),
    Column("last_at", UtcDateTime(), nullable=False),
    Index("ix_rate_limits_last_at", "last_at"),
)

__all__ = ["metadata", "rate_limits"]
