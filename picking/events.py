"""Past-tense facts the Order aggregate records.

Every event feeds three things: the outbox to the central OMS, live screens and
the audit trail. ``sequence`` is assigned by the order (one counter per order),
so the OMS can apply an order's events in the order they happened.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Event:
    order_id: int
    occurred_at: datetime
    sequence: int = 0
    actor_id: int | None = None

    @property
    def type(self) -> str:
        return type(self).__name__

    def payload(self) -> dict[str, Any]:
        """The event's own fields as JSON-ready values (no envelope fields)."""
        skip = {"order_id", "occurred_at", "sequence"}
        return {
            f.name: _jsonable(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name not in skip
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


@dataclass(frozen=True, kw_only=True)
class PickingStarted(Event):
    picker_id: int


@dataclass(frozen=True, kw_only=True)
class PickerUnassigned(Event):
    picker_id: int


@dataclass(frozen=True, kw_only=True)
class ItemScanned(Event):
    line_id: int
    sku: str
    code: str
    quantity: int
    weight_g: int | None = None
    marking_code: str | None = None
    picked_quantity: int = 0


@dataclass(frozen=True, kw_only=True)
class WeightRecorded(Event):
    line_id: int
    sku: str
    weight_g: int
    total_g: int
    ordered_g: int
    outside_soft_band: bool
    price_minor: int


@dataclass(frozen=True, kw_only=True)
class ScanUndone(Event):
    line_id: int
    sku: str
    quantity: int
    picked_quantity: int


@dataclass(frozen=True, kw_only=True)
class LineShorted(Event):
    line_id: int
    sku: str
    ordered: int
    picked: int
    missing: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class OrderPicked(Event):
    lines: tuple[dict[str, Any], ...] = field(default=())
    total_minor: int = 0


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(Event):
    """The OMS cancelled the order; a picker on it must stop and put items back."""

    reason: str = ""
    previous_status: str = ""
    picker_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class OrderRevised(Event):
    """A newer OMS version of the order was applied (lines added, removed, changed)."""

    oms_version: int
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[dict[str, Any], ...] = ()
