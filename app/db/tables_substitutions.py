"""Tables of the substitutions area (same metadata as app.db.tables), and their mapping.

``substitution_proposals`` keeps every substitute ever offered and how it was
decided (rows are never deleted: the audit trail); an approved one points at
the substitute line it became. ``customer_links`` holds the SHA-256 of each
customer link token, never the token itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    false,
)
from sqlalchemy.orm import class_mapper, relationship

from app.db.tables import metadata
from app.db.types import UtcDateTime

TZ = UtcDateTime()

substitution_proposals = Table(
    "substitution_proposals", metadata,
    Column("id", Integer, primary_key=True),
    Column("ref", String(32), nullable=False, unique=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False, index=True),
    Column("line_id", ForeignKey("order_lines.id"), nullable=False, index=True),
    Column("product_id", ForeignKey("products.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_minor", BigInteger, nullable=False),
    Column("original_unit_price_minor", BigInteger, nullable=False),
    Column("code", String(200), nullable=False),
    Column("staff_id", ForeignKey("staff.id")),
    Column("proposed_at", TZ, nullable=False),
    Column("expires_at", TZ),
    Column("status", String(16), nullable=False),
    Column("decided_at", TZ),
    Column("decided_by", String(16)),
    Column("difference_approved", Boolean, nullable=False, default=False),
    Column("substitute_line_id", ForeignKey("order_lines.id")),
    # the unit scanned to propose it, counted on the substitute line once approved
    Column("marking_code", String(200)),
    Column("marking_tail", String(200)),
    Column("weight_g", Integer),
    # substitute | weight (the ordered product, over the soft band: keep it? issue 15)
    Column("kind", String(16), nullable=False, server_default="substitute"),
    # of another category than the original: offered only by the picker's explicit choice
    Column("other_category", Boolean, nullable=False, server_default=false()),
    Index("ix_substitution_proposals_open", "status", "expires_at"),
)

customer_links = Table(
    "customer_links", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", TZ, nullable=False),
)


def map_substitutions(registry: Any) -> None:
    """Map ``Proposal`` and give order lines their proposals (loaded with the line)."""
    from picking.model import Line, Product
    from picking.substitution import Proposal

    p = substitution_proposals.c
    registry.map_imperatively(Proposal, substitution_proposals, properties={
        "product": relationship(Product, lazy="joined", innerjoin=True),
        "substitute_line": relationship(Line, foreign_keys=[p.substitute_line_id],
                                        lazy="raise", post_update=True),
        "substitute_line_id": p.substitute_line_id,
        "line_id": p.line_id,
    })
    class_mapper(Line).add_property("proposals", relationship(
        Proposal, foreign_keys=[p.line_id], lazy="selectin", order_by=p.id))

