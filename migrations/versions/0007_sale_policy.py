"""sale policy: what each store may sell at a distance, per product group

``stores.sale_policy`` (JSON, group -> fulfilments allowed) overrides the
default of the store's country; NULL means the default (for a Russian store:
no alcohol or tobacco in delivery orders, alcohol for click & collect only).
See ``picking.sale_policy``.

Revision ID: 0007_sale_policy
Revises: 0006_marking_canonical
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_sale_policy"
down_revision = "0006_marking_canonical"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stores") as batch_op:
        batch_op.add_column(sa.Column("sale_policy", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stores") as batch_op:
        batch_op.drop_column("sale_policy")
