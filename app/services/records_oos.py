"""What the out-of-stock loop's repositories return (no SQL here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class LikelyOut:
    """A product marked likely out in a store, until ``until``."""

    product_id: int
    reason: str
    marked_at: datetime
    until: datetime
