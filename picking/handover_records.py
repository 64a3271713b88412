"""What is kept about an order after picking: its bags, refusals and handover.

Plain records; the rules that change them live in ``picking.handover``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from picking.bags import ZONES, BagCode


@dataclass(eq=False)
class Bag:
    number: int  # k of ``count``, numbered across the whole order
    count: int
    zone: str
    scanned_at: datetime | None = None  # the handover scan
    scanned_by: int | None = None
    id: int | None = None

    def code(self, oms_id: str) -> BagCode:
        return BagCode(oms_id, self.number, self.count, self.zone)


@dataclass(eq=False)
class Refusal:
    line_id: int
    sku: str
    quantity: int  # pieces, or grams when weighed (the whole line)
    amount_minor: int
    reason: str
    refused_at: datetime
    staff_id: int | None
    id: int | None = None
    marking_code: str | None = None  # a marked unit refused: its key (01 GTIN 21 serial)


@dataclass(eq=False)
class Handover:
    """What happened to an order after picking. One per packed order."""

    packed_at: datetime
    packed_by: int | None
    staging: dict[str, str] = field(default_factory=dict)  # zone -> place
    cold_seconds: dict[str, int] = field(default_factory=dict)  # zone -> out of cold
    pickup_code_hash: str | None = None
    code_checked_at: datetime | None = None
    code_checked_by: int | None = None
    recipient: str | None = None  # "courier" | "customer"
    courier_id: int | None = None
    handed_over_at: datetime | None = None
    handed_over_by: int | None = None
    id_checked_by: int | None = None
    delivered_at: datetime | None = None
    failure_reason: str | None = None
    failure_note: str | None = None
    proof_photo: str | None = None
    bags: list[Bag] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    order_id: int | None = None

    def out_of_cold(self, now: datetime) -> dict[str, int]:
        """Seconds each chilled or frozen zone's goods have spent out of cold storage.

        Picking to staging (``cold_seconds``, fixed at packing), plus the time since
        the zone's first bag was scanned out for handover, until delivery.
        """
        out: dict[str, int] = {}
        end = self.delivered_at or now
        for zone, before in self.cold_seconds.items():
            taken = [b.scanned_at for b in self.bags if b.zone == zone and b.scanned_at]
            since = int((end - min(taken)).total_seconds()) if taken else 0
            out[zone] = before + max(since, 0)
        return out

    def bags_per_zone(self) -> dict[str, int]:
        return {z: sum(1 for b in self.bags if b.zone == z) for z in ZONES}
