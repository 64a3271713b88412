"""trust: product attributes and brand, the customer's notes and wishes, shelf photos

Products gain a brand and their catalog attributes (lactose-free, halal...,
unknown names kept); orders the OMS's customer id and the order note; lines
the customer's note and wishes (price cap, same brand); proposals whether the
substitute is of another category; and a table for the shelf photo a picker
attaches to a proposal.

Revision ID: 0011_trust
Revises: 0010_substitute_units
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_trust"
down_revision = "0011_oos"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("brand", sa.String(length=100), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("attributes", sa.JSON(), nullable=True))
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_ref", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("note", sa.String(length=1000), nullable=True))
        batch_op.create_index("ix_orders_customer_ref", ["customer_ref"], unique=False)
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("max_difference_pct", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("same_brand", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table("substitution_proposals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("other_category", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.create_table(
        "proposal_photos",
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["proposal_id"], ["substitution_proposals.id"],
                                name=op.f("fk_proposal_photos_proposal_id_substitution_proposals"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"],
                                name=op.f("fk_proposal_photos_staff_id_staff")),
        sa.PrimaryKeyConstraint("proposal_id", name=op.f("pk_proposal_photos")),
    )


def downgrade() -> None:
    op.drop_table("proposal_photos")
    with op.batch_alter_table("substitution_proposals", schema=None) as batch_op:
        batch_op.drop_column("other_category")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_column("same_brand")
        batch_op.drop_column("max_difference_pct")
        batch_op.drop_column("note")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_customer_ref")
        batch_op.drop_column("note")
        batch_op.drop_column("customer_ref")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("attributes")
        batch_op.drop_column("brand")
