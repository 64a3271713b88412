"""Tables of the sync area (same metadata as app.db.tables)."""

from __future__ import annotations

from app.db.tables import metadata

__all__ = ["metadata"]
