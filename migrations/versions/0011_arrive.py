"""arrive: pickup check-in, store pickup settings and pace target, staff push subscriptions

Revision ID: 0011_arrive
Revises: 0010_substitute_units
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.types import UtcDateTime

revision = "0011_arrive"
down_revision = "0011_scale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "store_pickup",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("hours", sa.String(length=200), nullable=False),
        sa.Column("bays", sa.String(length=200), nullable=False),
        sa.Column("wait_limit_minutes", sa.Integer(), nullable=False),
        sa.Column("pace_target_per_hour", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"],
                                name=op.f("fk_store_pickup_store_id_stores"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_store_pickup")),
    )
    op.create_table(
        "pickup_arrivals",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("code_sealed", sa.String(length=64), nullable=True),
        sa.Column("on_the_way_at", UtcDateTime(), nullable=True),
        sa.Column("arrived_at", UtcDateTime(), nullable=True),
        sa.Column("bay", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"],
                                name=op.f("fk_pickup_arrivals_order_id_orders"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_pickup_arrivals")),
    )
    op.create_index(op.f("ix_pickup_arrivals_arrived_at"), "pickup_arrivals", ["arrived_at"])
    op.create_table(
        "push_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=1000), nullable=False),
        sa.Column("p256dh", sa.String(length=200), nullable=False),
        sa.Column("auth", sa.String(length=100), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"],
                                name=op.f("fk_push_subscriptions_staff_id_staff"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"],
                                name=op.f("fk_push_subscriptions_store_id_stores"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscriptions")),
        sa.UniqueConstraint("endpoint", name=op.f("uq_push_subscriptions_endpoint")),
    )
    op.create_index(op.f("ix_push_subscriptions_staff_id"), "push_subscriptions", ["staff_id"])
    op.create_index(op.f("ix_push_subscriptions_store_id"), "push_subscriptions", ["store_id"])


def downgrade() -> None:
    op.drop_table("push_subscriptions")
    op.drop_table("pickup_arrivals")
    op.drop_table("store_pickup")
