"""Domain errors as sentences a person understands at a glance, in their language.

The words and statuses live in one table, ``app.web.error_table``; these are the
functions every controller calls.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.web.error_table import Audience, lookup
from picking import errors


@dataclass(frozen=True)
class Feedback:
    kind: str  # "ok" | "warn" | "error"
    text: str
    detail: str = ""


def describe(err: errors.PickingError, audience: Audience = "picker") -> Feedback:
    """The message for a domain error, from the one error table (``app.web.error_table``).

    ``audience="supervisor"`` gives the board's wording where it differs.
    """
    return Feedback(*lookup(err).words(err.params, audience))


def status_for(err: errors.PickingError) -> int:
    """The HTTP status for a domain error, from the same table."""
    return lookup(err).status
