"""Tables of the scale-out area (same metadata as app.db.tables).

``live_payloads`` carries the live-update messages too big for PostgreSQL's
NOTIFY (8,000 bytes): the publisher stores the body here and notifies its id;
each process's listener reads it back by id (app.live_pg). Rows are swept after
a few minutes; SQLite deployments (one process) never write to it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, Table, Text

from app.db.tables import metadata
from app.db.types import UtcDateTime

live_payloads = Table(
    "live_payloads", metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_live_payloads_created_at", "created_at"),
)
