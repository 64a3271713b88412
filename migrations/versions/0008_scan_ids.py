"""scan ids: a scan id is answered once, accepted or refused

``scans.scan_id`` becomes unique (the phone's idempotency key: a replayed or
double-sent scan is found by the index, not by loading the order's scans), and
``refused_scans`` keeps each refused scan id with its reason, so a replayed
refusal is answered with the same reason and never evaluated (or counted) again.
``scans.clock_adjusted`` flags a scan whose phone time was not trusted;
``scans.undone_by`` keeps the id of the undo that took a scan back, so a
replayed undo does not take back a second one.

Existing duplicate scan ids (possible before this revision only across orders)
are made unique by appending the row id.

Revision ID: 0008_scan_ids
Revises: 0007_sale_policy
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_scan_ids"
down_revision = "0007_sale_policy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    scans = sa.table("scans", sa.column("id", sa.Integer()), sa.column("scan_id", sa.String()))
    duplicated = (sa.select(scans.c.scan_id).group_by(scans.c.scan_id)
                  .having(sa.func.count() > 1))
    rows = connection.execute(sa.select(scans.c.id, scans.c.scan_id)
                              .where(scans.c.scan_id.in_(duplicated))
                              .order_by(scans.c.id)).all()
    seen: set[str] = set()
    for row_id, scan_id in rows:
        if scan_id in seen:
            connection.execute(sa.update(scans).where(scans.c.id == row_id)
                               .values(scan_id=f"{scan_id[:50]}#{row_id}"))
        seen.add(scan_id)
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("clock_adjusted", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("undone_by", sa.String(64)))
    op.create_index("ux_scans_scan_id", "scans", ["scan_id"], unique=True)
    op.create_index("ux_scans_undone_by", "scans", ["undone_by"], unique=True)
    op.create_table(
        "refused_scans",
        sa.Column("scan_id", sa.String(64), primary_key=True),
        sa.Column("store_id", sa.Integer(), sa.ForeignKey("stores.id"), nullable=False),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id", ondelete="CASCADE")),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id")),
        sa.Column("code", sa.String(200), nullable=False),
        sa.Column("error", sa.String(64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("refused_scans")
    op.drop_index("ux_scans_undone_by", table_name="scans")
    op.drop_index("ux_scans_scan_id", table_name="scans")
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("undone_by")
        batch.drop_column("clock_adjusted")
