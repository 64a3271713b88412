"""runs: several orders in one walk (runs, their orders, totes, puts into totes)

Revision ID: 0011_runs
Revises: 0010_substitute_units
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011_runs'
down_revision = "0011_trust"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('run_settings',
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('max_orders', sa.Integer(), nullable=False),
    sa.Column('window_minutes', sa.Integer(), nullable=False),
    sa.Column('mixes', sa.JSON(), nullable=False),
    sa.Column('own_tote_prefix', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_run_settings_store_id_stores')),
    sa.PrimaryKeyConstraint('store_id', name=op.f('pk_run_settings'))
    )
    op.create_table('pick_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('picker_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('built_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['built_by'], ['staff.id'], name=op.f('fk_pick_runs_built_by_staff')),
    sa.ForeignKeyConstraint(['picker_id'], ['staff.id'], name=op.f('fk_pick_runs_picker_id_staff')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_pick_runs_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pick_runs'))
    )
    with op.batch_alter_table('pick_runs', schema=None) as batch_op:
        batch_op.create_index('ix_pick_runs_picker', ['picker_id', 'status'], unique=False)

    op.create_table('run_orders',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('letter', sa.String(length=1), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('scan_floor', sa.Integer(), nullable=False),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('left_reason', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_run_orders_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['pick_runs.id'], name=op.f('fk_run_orders_run_id_pick_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'order_id', name=op.f('pk_run_orders'))
    )
    with op.batch_alter_table('run_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_run_orders_order_id'), ['order_id'], unique=False)

    op.create_table('totes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('zone', sa.String(length=8), nullable=True),
    sa.Column('bound_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('bound_by', sa.Integer(), nullable=True),
    sa.Column('emptied_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['bound_by'], ['staff.id'], name=op.f('fk_totes_bound_by_staff')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_totes_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_totes_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_totes')),
    sa.UniqueConstraint('store_id', 'code', name=op.f('uq_totes_store_id'))
    )
    with op.batch_alter_table('totes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_totes_order_id'), ['order_id'], unique=False)

    op.create_table('tote_puts',
    sa.Column('put_id', sa.String(length=64), nullable=False),
    sa.Column('tote_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('item_scan_id', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['line_id'], ['order_lines.id'], name=op.f('fk_tote_puts_line_id_order_lines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_tote_puts_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_tote_puts_staff_id_staff')),
    sa.ForeignKeyConstraint(['tote_id'], ['totes.id'], name=op.f('fk_tote_puts_tote_id_totes')),
    sa.PrimaryKeyConstraint('put_id', name=op.f('pk_tote_puts')),
    sa.UniqueConstraint('item_scan_id', name=op.f('uq_tote_puts_item_scan_id'))
    )
    with op.batch_alter_table('tote_puts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tote_puts_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tote_puts_tote_id'), ['tote_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('tote_puts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tote_puts_tote_id'))
        batch_op.drop_index(batch_op.f('ix_tote_puts_order_id'))

    op.drop_table('tote_puts')
    with op.batch_alter_table('totes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_totes_order_id'))

    op.drop_table('totes')
    with op.batch_alter_table('run_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_run_orders_order_id'))

    op.drop_table('run_orders')
    with op.batch_alter_table('pick_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_pick_runs_picker')

    op.drop_table('pick_runs')
    op.drop_table('run_settings')
