"""scale: live-update messages too big for PostgreSQL's NOTIFY travel by id

Revision ID: 0011_scale
Revises: 0010_substitute_units
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_scale"
down_revision = "0011_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "live_payloads",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_payloads")),
    )
    with op.batch_alter_table("live_payloads", schema=None) as batch_op:
        batch_op.create_index("ix_live_payloads_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("live_payloads", schema=None) as batch_op:
        batch_op.drop_index("ix_live_payloads_created_at")
    op.drop_table("live_payloads")
