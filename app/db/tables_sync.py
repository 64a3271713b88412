"""Tables of the sync area (same metadata as app.db.tables).

``oms_request_signatures`` remembers every signed inbound request for a little
longer than the clock-skew window, so a replayed request is refused even when
it reaches another app process.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table

from app.db.tables import metadata
from app.db.types import UtcDateTime

oms_request_signatures = Table(
    "oms_request_signatures", metadata,
    Column("signature", String(71), primary_key=True),
    Column("seen_at", UtcDateTime(), nullable=False),
    Index("ix_oms_request_signatures_seen_at", "seen_at"),
)

__all__ = ["metadata", "oms_request_signatures"]
