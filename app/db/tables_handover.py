"""Tables of the handover area (same metadata as app.db.tables), and their mapping.

``handovers`` holds one row per packed order (staging, cold-chain times, pickup
code hash, who took it, delivery outcome); ``handover_bags`` its labelled bags;
``handover_refusals`` lines refused at the counter or the door;
``pickup_code_failures`` wrong pickup codes, for rate limiting.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from app.db.tables import metadata
from app.db.types import UtcDateTime

TZ = UtcDateTime()

handovers = Table(
    "handovers", metadata,
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    Column("packed_at", TZ, nullable=False),
    Column("packed_by", ForeignKey("staff.id")),
    Column("staging", JSON, nullable=False),
    Column("cold_seconds", JSON, nullable=False),
    Column("pickup_code_hash", String(64), index=True),
    Column("code_checked_at", TZ),
    Column("code_checked_by", ForeignKey("staff.id")),
    Column("recipient", String(16)),
    Column("courier_id", ForeignKey("staff.id"), index=True),
    Column("handed_over_at", TZ),
    Column("handed_over_by", ForeignKey("staff.id")),
    Column("id_checked_by", ForeignKey("staff.id")),
    Column("delivered_at", TZ),
    Column("failure_reason", String(32)),
    Column("failure_note", String(300)),
    Column("proof_photo", String(300)),
)

handover_bags = Table(
    "handover_bags", metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", ForeignKey("handovers.order_id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("count", Integer, nullable=False),
    Column("zone", String(8), nullable=False),
    Column("scanned_at", TZ),
    Column("scanned_by", ForeignKey("staff.id")),
    UniqueConstraint("order_id", "number"),
)

handover_refusals = Table(
    "handover_refusals", metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", ForeignKey("handovers.order_id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("line_id", ForeignKey("order_lines.id", ondelete="CASCADE"), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("reason", String(32), nullable=False),
    Column("refused_at", TZ, nullable=False),
    Column("staff_id", ForeignKey("staff.id")),
    Column("marking_code", String(200)),  # a marked unit: the key of the unit returned
)

pickup_code_failures = Table(
    "pickup_code_failures", metadata,
    Column("id", Integer, primary_key=True),
    Column("staff_id", ForeignKey("staff.id", ondelete="CASCADE"), nullable=False),
    Column("failed_at", TZ, nullable=False),
    Index("ix_pickup_code_failures_staff", "staff_id", "failed_at"),
)


def map_handover(registry: Any) -> None:
    """Map the handover domain classes (called once from ``start_mappers``)."""
    from sqlalchemy.orm import relationship

    from picking.handover import Bag, Handover, Refusal

    registry.map_imperatively(Bag, handover_bags)
    registry.map_imperatively(Refusal, handover_refusals)
    registry.map_imperatively(Handover, handovers, properties={
        "bags": relationship(Bag, lazy="raise", order_by=handover_bags.c.number,
                             cascade="all, delete-orphan"),
        "refusals": relationship(Refusal, lazy="raise", order_by=handover_refusals.c.id,
                                 cascade="all, delete-orphan"),
    })
