"""Reads for the picker's own pace (``picking.pace``) and the board's per-picker rates,
through the ``PaceFigures`` and ``Pickups`` ports (``app.services.ports_floor``); a
screen reads through ``app.floor_queries``."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from app.services.ports_floor import FloorReader
from app.services.records_floor import PickRates
from app.staff import StaffUser
from picking.pace import Interval, Pace, pace_of


def day_start(now: datetime, timezone: str) -> datetime:
    """Midnight of ``now``'s day in the store's timezone (as
    ``app.board_summary.day_bounds``)."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


async def my_pace(reader: FloorReader, picker: StaffUser, now: datetime) -> Pace:
    """The signed-in picker's pace today, and the order in their hands."""
    since = day_start(now, picker.timezone)
    scans = await reader.pace.scans(picker.id, since)
    waits: list[Interval] = [(start, end or expires or now) for start, end, expires
                             in await reader.pace.waits(picker.id, since)]
    target = (await reader.pickups.settings(picker.store_id)).pace_target_per_hour
    return pace_of(scans, waits, now=now, target_per_hour=target,
                   in_hand=await reader.pace.in_hand(picker.store_id, picker.id))


async def pick_rates(reader: FloorReader, store_id: int, since: datetime
                     ) -> dict[int, PickRates]:
    """Per picker: found rate and first-time-pick rate over the lines of the orders they
    started picking since ``since`` (substitute lines are not counted: their original is)."""
    return await reader.pace.rates(store_id, since)

