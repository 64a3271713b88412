"""Tables of substitutes customers trust (same metadata as app.db.tables).

``proposal_photos``: the shelf photo a picker attached to a proposal, already
shrunk and stripped of metadata (``app.proof_photo``); the file lives under the
data folder, the row says where.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table

from app.db.tables import metadata
from app.db.types import UtcDateTime

TZ = UtcDateTime()

proposal_photos = Table(
    "proposal_photos", metadata,
    Column("proposal_id", ForeignKey("substitution_proposals.id", ondelete="CASCADE"),
           primary_key=True),
    Column("path", String(300), nullable=False),
    Column("bytes", Integer, nullable=False),
    Column("taken_at", TZ, nullable=False),
    Column("staff_id", ForeignKey("staff.id")),
)
