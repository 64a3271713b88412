"""substitute units: a substitute line counts only what was scanned

A substitute line used to start fully picked from the one scan that proposed it.
Now the proposal keeps the unit that scan verified (marking code and tail, or
the scale label's weight) and the substitute line points at the short line it
replaces, so screens can count items without counting substitutes twice.
Existing substitute lines get their pointer from the approved proposals.

Revision ID: 0010_substitute_units
Revises: 0009_login_throttle, 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_substitute_units"
down_revision = ("0009_login_throttle", "0003")  # needs the substitutions branch
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("substitution_proposals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("marking_code", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("marking_tail", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("weight_g", sa.Integer(), nullable=True))
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("substitute_for_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_order_lines_substitute_for_id_order_lines"), "order_lines",
            ["substitute_for_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_order_lines_substitute_for_id"),
                              ["substitute_for_id"], unique=False)
    op.execute(
        "UPDATE order_lines SET substitute_for_id = ("
        " SELECT sp.line_id FROM substitution_proposals sp"
        " WHERE sp.substitute_line_id = order_lines.id AND sp.status = 'approved')"
        " WHERE id IN (SELECT substitute_line_id FROM substitution_proposals"
        " WHERE substitute_line_id IS NOT NULL)")


def downgrade() -> None:
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_lines_substitute_for_id"))
        batch_op.drop_constraint(batch_op.f("fk_order_lines_substitute_for_id_order_lines"),
                                 type_="foreignkey")
        batch_op.drop_column("substitute_for_id")
    with op.batch_alter_table("substitution_proposals", schema=None) as batch_op:
        batch_op.drop_column("weight_g")
        batch_op.drop_column("marking_tail")
        batch_op.drop_column("marking_code")
