"""Tables of the out-of-stock loop (issue 15), on the same metadata as app.db.tables.

``likely_out`` holds the products a picker found missing from the shelf ("not
on the shelf", "out of stock"), one row per store and product, until ``until``
or until a later good scan of the product clears it. Other pickers see it on
their lines, customers are offered a choice in advance, the board lists it.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table

from app.db.tables import metadata
from app.db.types import UtcDateTime

TZ = UtcDateTime()

likely_out = Table(
    "likely_out", metadata,
    Column("store_id", ForeignKey("stores.id"), primary_key=True),
    Column("product_id", ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
    Column("reason", String(32), nullable=False),
    Column("marked_at", TZ, nullable=False),
    Column("until", TZ, nullable=False),
    # the short that marked it
    Column("order_id", ForeignKey("orders.id", ondelete="SET NULL")),
    Column("staff_id", ForeignKey("staff.id")),
    Index("ix_likely_out_store_until", "store_id", "until"),
)

__all__ = ["likely_out", "metadata"]
