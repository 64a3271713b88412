"""login throttle: DB-shared rate-limit counters (sign-in and customer links)

Revision ID: 0009_login_throttle
Revises: 0008_scan_ids
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_login_throttle"
down_revision = "0008_scan_ids"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limits")),
    )
    with op.batch_alter_table("rate_limits", schema=None) as batch_op:
        batch_op.create_index("ix_rate_limits_last_at", ["last_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rate_limits", schema=None) as batch_op:
        batch_op.drop_index("ix_rate_limits_last_at")
    op.drop_table("rate_limits")
