"""The database schema. Migrations in ``migrations/`` must match it (a test checks)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    false,
)

from app.db.types import UtcDateTime
from sync.outbox_table import define_outbox

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

TZ = UtcDateTime()

stores = Table(
    "stores", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False, default="Europe/Moscow"),
    Column("locale", String(16), nullable=False, default="ru_RU"),
    Column("currency", String(3), nullable=False, default="RUB"),
    Column("scale_layout", String(32), nullable=False, default="2P IIIII WWWWW C"),
    Column("scale_prefixes", String(32), nullable=False, default="20-29"),
    Column("soft_tolerance_pct", Integer, nullable=False, default=10),
    Column("hard_tolerance_pct", Integer, nullable=False, default=30),
    Column("time_limits", JSON, nullable=False, default=dict),
    # group -> fulfilments allowed; NULL: the country's default (picking.sale_policy)
    Column("sale_policy", JSON),
)

staff = Table(
    "staff", metadata,
    Column("id", Integer, primary_key=True),
    Column("store_id", ForeignKey("stores.id"), nullable=False),
    Column("personnel_no", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("language", String(5), nullable=False, default="ru"),
    Column("active", Boolean, nullable=False, default=True),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", TZ),
    Column("last_seen_at", TZ),
    UniqueConstraint("store_id", "personnel_no"),
)

staff_sessions = Table(
    "staff_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("staff_id", ForeignKey("staff.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", TZ, nullable=False),
    Column("expires_at", TZ, nullable=False),
)

products = Table(
    "products", metadata,
    Column("id", Integer, primary_key=True),
    Column("store_id", ForeignKey("stores.id"), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("name_ru", String(300), nullable=False),
    Column("name_en", String(300), nullable=False),
    Column("unit", String(8), nullable=False),
    Column("price_minor", BigInteger, nullable=False),
    Column("zone", String(8), nullable=False),
    Column("aisle", Integer, nullable=False, default=0),
    Column("shelf", String(16), nullable=False, default=""),
    Column("sequence", Integer, nullable=False, default=0),
    Column("category", String(64), nullable=False, default=""),
    Column("plu", String(8)),
    Column("size_text", String(32), nullable=False, default=""),
    Column("size_amount", Integer),
    Column("marked", Boolean, nullable=False, default=False),
    Column("age_restricted", Boolean, nullable=False, default=False),
    Column("stock", Integer, nullable=False, default=0),
    Column("tolerance_pct", Integer),
    Column("image", String(300)),
    Column("min_days_left", Integer),  # freshness promise at delivery (issue #14)
    Column("ask_expiry", Boolean, nullable=False, server_default=false()),  # type the date
    Column("brand", String(100), nullable=False, server_default=""),
    Column("attributes", JSON),  # names (picking.attributes), unknown ones too; NULL: none
    UniqueConstraint("store_id", "sku"),
    Index("ix_products_store_plu", "store_id", "plu"),
)

product_barcodes = Table(
    "product_barcodes", metadata,
    Column("store_id", ForeignKey("stores.id"), primary_key=True),
    Column("gtin", String(14), primary_key=True),
    Column("product_id", ForeignKey("products.id", ondelete="CASCADE"), nullable=False,
           index=True),
)

orders = Table(
    "orders", metadata,
    Column("id", Integer, primary_key=True),
    Column("store_id", ForeignKey("stores.id"), nullable=False),
    Column("store_code", String(32), nullable=False),
    Column("oms_id", String(64), nullable=False, unique=True),
    Column("oms_version", Integer, nullable=False, default=1),
    Column("status", String(16), nullable=False),
    Column("due_at", TZ, nullable=False),
    Column("fulfilment", String(16), nullable=False, default="delivery"),
    Column("customer_name", String(200), nullable=False, default=""),
    Column("customer_phone", String(40), nullable=False, default=""),
    Column("address", String(400)),
    Column("picker_id", ForeignKey("staff.id")),
    Column("priority", Integer, nullable=False, default=0),
    Column("created_at", TZ),
    Column("picking_started_at", TZ),
    Column("picked_at", TZ),
    Column("event_seq", Integer, nullable=False, default=0),
    Column("version", Integer, nullable=False),
    Column("customer_ref", String(64)),  # the OMS's customer id, when it sends one
    Column("note", String(1000)),  # the customer's note on the order
    Index("ix_orders_customer_ref", "customer_ref"),
    Index("ix_orders_queue", "store_id", "status", "due_at"),
    Index("ix_orders_picker", "picker_id", "status"),
)

order_lines = Table(
    "order_lines", metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("product_id", ForeignKey("products.id"), nullable=False),
    Column("position", Integer, nullable=False, default=0),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_minor", BigInteger, nullable=False),
    Column("picked_quantity", Integer, nullable=False, default=0),
    Column("state", String(16), nullable=False, default="open"),
    Column("short_reason", String(32)),
    Column("substitution", String(16), nullable=False, default="best_match"),
    Column("specific_sku", String(64)),
    Column("weight_note", String(16)),
    # a substitute line points at the short line it replaces (ordered vs delivered)
    Column("substitute_for_id", ForeignKey("order_lines.id"), index=True),
    Column("min_days_left", Integer),  # the OMS's freshness promise for this line
    # when a substitute's window ends unanswered: refund, or keep the best match (issue 15)
    Column("fallback", String(16), nullable=False, server_default="refund"),
    # the customer's words and wishes for the line
    Column("note", String(500)),
    Column("max_difference_pct", Integer),
    Column("same_brand", Boolean, nullable=False, server_default=false()),
)

scans = Table(
    "scans", metadata,
    Column("id", Integer, primary_key=True),
    Column("line_id", ForeignKey("order_lines.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("scan_id", String(64), nullable=False),
    Column("code", String(200), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("scanned_at", TZ, nullable=False),
    Column("staff_id", ForeignKey("staff.id")),
    # Unique across the store's history: the same Честный ЗНАК unit cannot be sold twice.
    Column("marking_code", String(200), unique=True),  # 01 GTIN 21 serial, whatever the form
    Column("undone_at", TZ),
    Column("marking_tail", String(200)),  # the crypto tail (91/92/93) of that code
    # The phone's time of the scan was not trusted (too far ahead or behind) and
    # the server's time was recorded instead.
    Column("clock_adjusted", Boolean, nullable=False, server_default=false()),
    Column("undone_by", String(64)),  # the id of the undo that took this scan back
    # The marking check at the shelf (picking.marking): status, who answered, and
    # whether the unit was allowed without an answer and must be re-checked.
    Column("marking_status", String(24)),
    Column("marking_source", String(16)),
    Column("marking_recheck", Boolean, nullable=False, server_default=false()),
    Column("expiry", Date),  # the unit's expiry, when known (freshness)
    Index("ux_scans_undone_by", "undone_by", unique=True),
    # The board's pickers panel: one picker's scans of the day (app.board_queries).
    Index("ix_scans_staff_at", "staff_id", "scanned_at"),
    # The phone's idempotency key: a scan id is counted once, whenever it arrives.
    Index("ux_scans_scan_id", "scan_id", unique=True),
)

# A refused scan id and its reason: a replay is answered the same way, never re-evaluated.
refused_scans = Table(
    "refused_scans", metadata,
    Column("scan_id", String(64), primary_key=True),
    Column("store_id", ForeignKey("stores.id"), nullable=False),
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE")),
    Column("staff_id", ForeignKey("staff.id")),
    Column("code", String(200), nullable=False),
    Column("error", String(64), nullable=False),  # the PickingError class name
    Column("params", JSON, nullable=False),  # its fields
    Column("at", TZ, nullable=False),
)

outbox = define_outbox(metadata, TZ)  # described once, in sync (the relay's table)

# Feature areas keep their tables in their own modules on the same metadata.
from app.db import (  # noqa: E402
    tables_arrive,  # noqa: F401
    tables_board,  # noqa: F401
    tables_handover,  # noqa: F401
    tables_marking,  # noqa: F401
    tables_oos,  # noqa: F401
    tables_runs,  # noqa: F401
    tables_scale,  # noqa: F401
    tables_security,  # noqa: F401
    tables_substitutions,  # noqa: F401
    tables_sync,  # noqa: F401
)
