"""marking: the marking check at the shelf and the freshness promise

Each scan keeps its marking check (status, who answered, re-check flag) and the unit's
expiry; products and order lines may promise days of life left at delivery, and a
store may set a default per category.

Revision ID: 0011_marking
Revises: 0010_substitute_units
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_marking"
down_revision = "0010_substitute_units"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("marking_status", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("marking_source", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("marking_recheck", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("expiry", sa.Date(), nullable=True))
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("min_days_left", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("ask_expiry", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("min_days_left", sa.Integer(), nullable=True))
    with op.batch_alter_table("handover_refusals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("marking_code", sa.String(length=200), nullable=True))
    op.create_table(
        "freshness_defaults",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("min_days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE",
                                name=op.f("fk_freshness_defaults_store_id_stores")),
        sa.PrimaryKeyConstraint("store_id", "category", name=op.f("pk_freshness_defaults")),
    )


def downgrade() -> None:
    op.drop_table("freshness_defaults")
    with op.batch_alter_table("handover_refusals", schema=None) as batch_op:
        batch_op.drop_column("marking_code")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_column("min_days_left")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("ask_expiry")
        batch_op.drop_column("min_days_left")
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.drop_column("expiry")
        batch_op.drop_column("marking_recheck")
        batch_op.drop_column("marking_source")
        batch_op.drop_column("marking_status")
