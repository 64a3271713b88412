"""handover: bags, staging, refusals, pickup code failures

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-22 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0001'
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _staff_fk(table: str, column: str, **kw: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ['staff.id'],
                                   name=op.f(f'fk_{table}_{column}_staff'), **kw)


def upgrade() -> None:
    op.create_table('pickup_code_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('failed_at', TZ, nullable=False),
    _staff_fk('pickup_code_failures', 'staff_id', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pickup_code_failures'))
    )
    with op.batch_alter_table('pickup_code_failures', schema=None) as batch_op:
        batch_op.create_index('ix_pickup_code_failures_staff', ['staff_id', 'failed_at'], unique=False)

    op.create_table('handovers',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('packed_at', TZ, nullable=False),
    sa.Column('packed_by', sa.Integer(), nullable=True),
    sa.Column('staging', sa.JSON(), nullable=False),
    sa.Column('cold_seconds', sa.JSON(), nullable=False),
    sa.Column('pickup_code_hash', sa.String(length=64), nullable=True),
    sa.Column('code_checked_at', TZ, nullable=True),
    sa.Column('code_checked_by', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=16), nullable=True),
    sa.Column('courier_id', sa.Integer(), nullable=True),
    sa.Column('handed_over_at', TZ, nullable=True),
    sa.Column('handed_over_by', sa.Integer(), nullable=True),
    sa.Column('id_checked_by', sa.Integer(), nullable=True),
    sa.Column('delivered_at', TZ, nullable=True),
    sa.Column('failure_reason', sa.String(length=32), nullable=True),
    sa.Column('failure_note', sa.String(length=300), nullable=True),
    sa.Column('proof_photo', sa.String(length=300), nullable=True),
    _staff_fk('handovers', 'code_checked_by'),
    _staff_fk('handovers', 'courier_id'),
    _staff_fk('handovers', 'handed_over_by'),
    _staff_fk('handovers', 'id_checked_by'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_handovers_order_id_orders'), ondelete='CASCADE'),
    _staff_fk('handovers', 'packed_by'),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_handovers'))
    )
    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handovers_courier_id'), ['courier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handovers_pickup_code_hash'), ['pickup_code_hash'], unique=False)

    op.create_table('handover_bags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('zone', sa.String(length=8), nullable=False),
    sa.Column('scanned_at', TZ, nullable=True),
    sa.Column('scanned_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['handovers.order_id'], name=op.f('fk_handover_bags_order_id_handovers'), ondelete='CASCADE'),
    _staff_fk('handover_bags', 'scanned_by'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handover_bags')),
    sa.UniqueConstraint('order_id', 'number', name=op.f('uq_handover_bags_order_id'))
    )
    op.create_table('handover_refusals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('refused_at', TZ, nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['line_id'], ['order_lines.id'], name=op.f('fk_handover_refusals_line_id_order_lines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['handovers.order_id'], name=op.f('fk_handover_refusals_order_id_handovers'), ondelete='CASCADE'),
    _staff_fk('handover_refusals', 'staff_id'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handover_refusals'))
    )
    with op.batch_alter_table('handover_refusals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handover_refusals_order_id'), ['order_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('handover_refusals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handover_refusals_order_id'))
    op.drop_table('handover_refusals')
    op.drop_table('handover_bags')
    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handovers_pickup_code_hash'))
        batch_op.drop_index(batch_op.f('ix_handovers_courier_id'))
    op.drop_table('handovers')
    with op.batch_alter_table('pickup_code_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_pickup_code_failures_staff')
    op.drop_table('pickup_code_failures')
