"""Reads for the picker's own pace (``picking.pace``) and the board's per-picker rates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.board_summary import day_bounds
from app.db import tables
from app.db.tables_substitutions import substitution_proposals
from app.services.arrival import pickup_settings
from app.staff import StaffUser
from picking.pace import Interval, Pace, pace_of

o, ln, sc, p = tables.orders.c, tables.order_lines.c, tables.scans.c, tables.products.c
sp = substitution_proposals.c


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def my_pace(session: AsyncSession, picker: StaffUser, now: datetime) -> Pace:
    """The signed-in picker's pace today, and the order in their hands."""
    since, _end = day_bounds(now, picker.timezone)
    items = case((p.unit == "weight", 1), else_=sc.quantity)
    scans = [(_aware(at), int(n)) for at, n in await session.execute(
        select(sc.scanned_at, items).join(tables.order_lines, ln.id == sc.line_id)
        .join(tables.products, p.id == ln.product_id)
        .where(sc.staff_id == picker.id, sc.scanned_at >= since, sc.undone_at.is_(None)))]
    waits: list[Interval] = [
        (_aware(start), _aware(end or expires or now)) for start, end, expires in
        await session.execute(select(sp.proposed_at, sp.decided_at, sp.expires_at).where(
            sp.staff_id == picker.id, sp.proposed_at >= since))]
    target = (await pickup_settings(session, picker.store_id)).pace_target_per_hour
    return pace_of(scans, waits, now=now, target_per_hour=target,
                   in_hand=await _in_hand(session, picker))


async def _in_hand(session: AsyncSession, picker: StaffUser) -> tuple[datetime, int] | None:
    order = (await session.execute(
        select(o.id, o.due_at).where(o.store_id == picker.store_id, o.status == "picking",
                                     o.picker_id == picker.id)
        .order_by(o.picking_started_at.desc()).limit(1))).first()
    if order is None:
        return None
    left = case((p.unit == "weight", 1), else_=ln.quantity - ln.picked_quantity)
    items_left = await session.scalar(
        select(func.coalesce(func.sum(left), 0)).join(tables.products, p.id == ln.product_id)
        .where(ln.order_id == order.id, ln.state == "open"))
    return _aware(order.due_at), int(items_left or 0)


@dataclass(frozen=True)
class PickRates:
    lines: int  # lines of the picker's orders closed today (picked, short or substituted)
    found: int  # picked as ordered: no substitute, nothing short
    first_time: int  # picked as ordered with no scan undone

    @property
    def found_rate(self) -> float:
        return round(100 * self.found / self.lines, 1) if self.lines else 0.0

    @property
    def first_time_rate(self) -> float:
        return round(100 * self.first_time / self.lines, 1) if self.lines else 0.0


async def pick_rates(session: AsyncSession, store_id: int, since: datetime
                     ) -> dict[int, PickRates]:
    """Per picker: found rate and first-time-pick rate over the lines of the orders they
    started picking since ``since`` (substitute lines are not counted: their original is)."""
    undone = select(sc.line_id).where(sc.undone_at.is_not(None))
    picked = ln.state == "picked"
    rows = await session.execute(
        select(o.picker_id, func.count(ln.id),
               func.sum(case((picked, 1), else_=0)),
               func.sum(case((and_(picked, ln.id.not_in(undone)), 1), else_=0)))
        .join(tables.order_lines, ln.order_id == o.id)
        .where(o.store_id == store_id, o.picker_id.is_not(None), o.picking_started_at >= since,
               ln.substitute_for_id.is_(None), ln.state.in_(("picked", "short", "substituted")))
        .group_by(o.picker_id))
    return {int(pid): PickRates(int(n), int(found or 0), int(first or 0))
            for pid, n, found, first in rows}
