"""out-of-stock loop: products likely out in a store

A short with reason "not on the shelf" or "out of stock" marks the product
likely out in its store for a while (``likely_out``), until a good scan clears it.
A proposal may also be a weight question (``kind`` = weight): the ordered product
itself, heavier than the store's soft band, offered to the customer as it is.
A line keeps the customer's fallback (``fallback``): refund, or keep the best match
when a window ends unanswered.

Revision ID: 0011_oos
Revises: 0010_substitute_units
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_oos"
down_revision = "0011_marking"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "likely_out",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"],
                                name=op.f("fk_likely_out_store_id_stores")),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], ondelete="CASCADE",
                                name=op.f("fk_likely_out_product_id_products")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="SET NULL",
                                name=op.f("fk_likely_out_order_id_orders")),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"],
                                name=op.f("fk_likely_out_staff_id_staff")),
        sa.PrimaryKeyConstraint("store_id", "product_id", name=op.f("pk_likely_out")),
    )
    op.create_index("ix_likely_out_store_until", "likely_out", ["store_id", "until"])
    with op.batch_alter_table("substitution_proposals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=False,
                                      server_default="substitute"))
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fallback", sa.String(length=16), nullable=False,
                                      server_default="refund"))


def downgrade() -> None:
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_column("fallback")
    with op.batch_alter_table("substitution_proposals", schema=None) as batch_op:
        batch_op.drop_column("kind")
    op.drop_index("ix_likely_out_store_until", table_name="likely_out")
    op.drop_table("likely_out")
