"""marking canonical: scans keep a Честный ЗНАК unit's key and its crypto tail apart

One unit used to be stored in the form it arrived in (with GS, with GS dropped, or
typed from the label in parentheses), so the unique marking_code did not stop the
same unit being counted twice. From now on marking_code holds the unit's key,
``01`` + GTIN-14 + ``21`` + serial, and marking_tail its crypto tail (91/92/93).
Existing rows are rewritten to that form where the stored text can be read. A row
whose key another row already holds (the same unit counted twice before this fix)
keeps its old text: the migration cannot tell which scan was the wrong one.

Revision ID: 0006_marking_canonical
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from picking.codes import UnreadableCode, interpret

revision = "0006_marking_canonical"
down_revision = "0005"
branch_labels = None
depends_on = None

_scans = sa.table(
    "scans",
    sa.column("id", sa.Integer()),
    sa.column("marking_code", sa.String()),
    sa.column("marking_tail", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("marking_tail", sa.String(length=200), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_scans.c.id, _scans.c.marking_code)
        .where(_scans.c.marking_code.is_not(None)).order_by(_scans.c.id)).all()
    taken = {str(code) for _, code in rows}
    for scan_id, stored in rows:
        key, tail = _canonical(str(stored))
        if key is None or (key != stored and key in taken):
            continue
        taken.discard(stored)
        taken.add(key)
        connection.execute(sa.update(_scans).where(_scans.c.id == scan_id)
                           .values(marking_code=key, marking_tail=tail))


def _canonical(stored: str) -> tuple[str | None, str | None]:
    """The key and tail of a stored marking code, or (None, None) if it cannot be read."""
    try:
        code = interpret(stored)
    except UnreadableCode:
        return None, None
    return code.marking_key, code.marking_tail


def downgrade() -> None:
    # The keys stay: the full codes as scanned are still in scans.code.
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.drop_column("marking_tail")
