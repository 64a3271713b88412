"""What the runs repositories hand the runs services: plain records, no SQL here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RunRow:
    """One run (``pick_runs``): whose walk it is and whether it is still going."""

    id: int
    picker_id: int
    status: str  # active | closed


@dataclass(frozen=True)
class RunMember:
    """An order of a run, with its letter; ``left_reason`` once it left the run."""

    letter: str
    order_id: int
    left_reason: str | None


@dataclass(frozen=True)
class ToteRow:
    """A tote of the store and the order and zone it holds now (if any)."""

    id: int
    code: str
    order_id: int | None
    zone: str | None
    emptied_at: datetime | None


@dataclass(frozen=True)
class UnputScan:
    """A counted scan on an order of the run whose unit is not in a tote yet."""

    scan_id: str
    order_id: int
    line_id: int
    quantity: int


@dataclass(frozen=True)
class DonePut:
    """A put already applied under a put id: which unit went into which tote."""

    order_id: int
    line_id: int
    code: str
    zone: str


@dataclass(frozen=True)
class BoardRun:
    """An active run as the supervisor's board lists it."""

    id: int
    picker_id: int
    picker: str  # the picker's name
    built_by: int | None
    created_at: datetime
