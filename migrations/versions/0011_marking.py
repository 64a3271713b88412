"""marking: the marking check at the shelf is kept on each scan

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


def downgrade() -> None:
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.drop_column("marking_recheck")
        batch_op.drop_column("marking_source")
        batch_op.drop_column("marking_status")
