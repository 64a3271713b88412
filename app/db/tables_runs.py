"""Tables of multi-order picking (runs and totes), on the same metadata as app.db.tables.

A run is one picker's walk for up to N orders; ``run_orders`` says which orders
it holds (each with its letter), ``totes`` the store's totes (printed by
storepick or the store's own barcodes) and which order and zone each holds now,
``tote_puts`` every unit put into a tote, keyed by the phone's put id.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, UniqueConstraint

from app.db.tables import metadata
from app.db.types import UtcDateTime

TZ = UtcDateTime()

run_settings = Table(
    "run_settings", metadata,
    Column("store_id", ForeignKey("stores.id"), primary_key=True),
    Column("max_orders", Integer, nullable=False),
    Column("window_minutes", Integer, nullable=False),
    # groups of fulfilment types that may share a run, e.g. [["delivery", "collect"]]
    Column("mixes", JSON, nullable=False),
    Column("own_tote_prefix", String(16)),  # the store's own reusable tote barcodes
)

pick_runs = Table(
    "pick_runs", metadata,
    Column("id", Integer, primary_key=True),
    Column("store_id", ForeignKey("stores.id"), nullable=False),
    Column("picker_id", ForeignKey("staff.id"), nullable=False),
    Column("status", String(16), nullable=False),  # active | closed
    Column("created_at", TZ, nullable=False),
    Column("closed_at", TZ),
    Column("built_by", ForeignKey("staff.id")),  # a supervisor, when built by hand
    Index("ix_pick_runs_picker", "picker_id", "status"),
)

run_orders = Table(
    "run_orders", metadata,
    Column("run_id", ForeignKey("pick_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True,
           index=True),
    Column("letter", String(1), nullable=False),
    Column("joined_at", TZ, nullable=False),
    Column("scan_floor", Integer, nullable=False),  # scans.id before the order joined
    Column("left_at", TZ),
    Column("left_reason", String(16)),  # finished | released | removed | cancelled
)

totes = Table(
    "totes", metadata,
    Column("id", Integer, primary_key=True),
    Column("store_id", ForeignKey("stores.id"), nullable=False),
    Column("code", String(40), nullable=False),
    Column("kind", String(8), nullable=False),  # printed | own
    Column("order_id", ForeignKey("orders.id", ondelete="SET NULL"), index=True),
    Column("zone", String(8)),
    Column("bound_at", TZ),
    Column("bound_by", ForeignKey("staff.id")),
    Column("emptied_at", TZ),  # a cancelled order's tote, put back on the shelf
    UniqueConstraint("store_id", "code"),
)

tote_puts = Table(
    "tote_puts", metadata,
    Column("put_id", String(64), primary_key=True),  # the phone's id: applied once
    Column("tote_id", ForeignKey("totes.id"), nullable=False, index=True),
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("line_id", ForeignKey("order_lines.id", ondelete="CASCADE"), nullable=False),
    Column("item_scan_id", String(64), nullable=False, unique=True),  # one put per unit scan
    Column("quantity", Integer, nullable=False),
    Column("staff_id", ForeignKey("staff.id")),
    Column("at", TZ, nullable=False),
)

__all__ = ["metadata", "pick_runs", "run_orders", "run_settings", "tote_puts", "totes"]
