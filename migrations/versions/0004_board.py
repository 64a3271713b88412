"""board: refused scans for the supervisor's pickers panel

Revision ID: 0004
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scan_errors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"],
                                name=op.f("fk_scan_errors_order_id_orders"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"],
                                name=op.f("fk_scan_errors_staff_id_staff")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"],
                                name=op.f("fk_scan_errors_store_id_stores")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_errors")),
    )
    with op.batch_alter_table("scan_errors", schema=None) as batch_op:
        batch_op.create_index("ix_scan_errors_staff_at", ["staff_id", "at"], unique=False)
        batch_op.create_index("ix_scan_errors_store_at", ["store_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scan_errors", schema=None) as batch_op:
        batch_op.drop_index("ix_scan_errors_store_at")
        batch_op.drop_index("ix_scan_errors_staff_at")
    op.drop_table("scan_errors")
