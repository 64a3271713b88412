"""The ``outbox`` table, described once: the app's schema and the relay both use it.

``define_outbox`` puts the table on a ``MetaData``: the app calls it with its own
metadata and moment type (so migrations are checked against it), and ``OUTBOX``
is the relay's copy on a metadata of its own (``sync`` may not import ``app``).
Both describe the same columns, types and indexes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text
from sqlalchemy.types import TypeEngine


def define_outbox(metadata: MetaData, moment: TypeEngine[Any] | None = None) -> Table:
    """The outbox table on ``metadata``; ``moment`` is the timestamp column type
    (timezone-aware ``DateTime`` unless the caller has a better one)."""
    tz = moment if moment is not None else DateTime(timezone=True)
    return Table(
        "outbox", metadata,
        Column("id", Integer, primary_key=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("type", String(64), nullable=False),
        Column("order_id", Integer, nullable=False),
        Column("oms_order_id", String(64), nullable=False),
        Column("store_code", String(32), nullable=False),
        Column("sequence", Integer, nullable=False),
        Column("occurred_at", tz, nullable=False),
        Column("envelope", Text, nullable=False),
        Column("status", String(12), nullable=False, default="pending"),
        Column("attempts", Integer, nullable=False, default=0),
        Column("next_attempt_at", tz),
        Column("last_error", Text),
        Column("sent_at", tz),
        # A relay's lease on a row (sync.relay): others skip it until it expires.
        Column("claimed_by", String(64)),
        Column("claimed_until", tz),
        Index("ix_outbox_pending", "status", "id"),
        Index("ix_outbox_order", "order_id", "sequence"),
    )


OUTBOX = define_outbox(MetaData())
