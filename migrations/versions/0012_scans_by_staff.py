"""scans by who made them since when: the board's pickers panel re-reads one picker's day

Revision ID: 0012_scans_by_staff
Revises: 0011_arrive
"""

from __future__ import annotations

from alembic import op

revision = "0012_scans_by_staff"
down_revision = "0011_arrive"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_scans_staff_at", "scans", ["staff_id", "scanned_at"])


def downgrade() -> None:
    op.drop_index("ix_scans_staff_at", table_name="scans")
