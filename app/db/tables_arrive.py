"""Tables of the arrival area (same metadata as app.db.tables): pickup check-in,
the store's pickup settings and its picker pace target, staff push subscriptions.

``store_pickup`` holds one row per store that set its pickup place, opening
hours, bays and limits (a store without a row uses the defaults in
``app.services.arrival``). ``pickup_arrivals`` holds one row per packed click &
collect order: the pickup code sealed for the customer's page (never in clear),
and when the customer said "on my way" and "I'm here" (and at which bay).
``push_subscriptions`` holds one Web Push subscription per staff device.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table

from app.db.tables import metadata
from app.db.types import UtcDateTime

TZ = UtcDateTime()

store_pickup = Table(
    "store_pickup", metadata,
    Column("store_id", ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True),
    Column("place", String(200), nullable=False, default=""),
    Column("hours", String(200), nullable=False, default=""),
    Column("bays", String(200), nullable=False, default=""),  # comma separated; "" = none
    Column("wait_limit_minutes", Integer, nullable=False, default=10),
    Column("pace_target_per_hour", Integer, nullable=False, default=60),
)

pickup_arrivals = Table(
    "pickup_arrivals", metadata,
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    Column("code_sealed", String(64)),  # nonce:ciphertext, hex (app.services.arrival)
    Column("on_the_way_at", TZ),
    Column("arrived_at", TZ, index=True),
    Column("bay", String(16)),
)

push_subscriptions = Table(
    "push_subscriptions", metadata,
    Column("id", Integer, primary_key=True),
    Column("staff_id", ForeignKey("staff.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("store_id", ForeignKey("stores.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("endpoint", String(1000), nullable=False, unique=True),
    Column("p256dh", String(200), nullable=False),
    Column("auth", String(100), nullable=False),
    Column("created_at", TZ, nullable=False),
)
