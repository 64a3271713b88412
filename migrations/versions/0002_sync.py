"""sync: relay leases on the outbox, remembered signatures of inbound requests

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "oms_request_signatures",
        sa.Column("signature", sa.String(length=71), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("signature", name=op.f("pk_oms_request_signatures")),
    )
    with op.batch_alter_table("oms_request_signatures", schema=None) as batch_op:
        batch_op.create_index("ix_oms_request_signatures_seen_at", ["seen_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("oms_request_signatures", schema=None) as batch_op:
        batch_op.drop_index("ix_oms_request_signatures_seen_at")
    op.drop_table("oms_request_signatures")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claimed_by")
