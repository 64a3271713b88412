"""The shift summary: today's orders in the store's timezone, and a chart of the day.

Definitions (what the supervisor reads on the page):
- an order is *finished* when picking finished (``picked_at``) today, and *on time*
  when that happened by its due time;
- time per item is the sum of picking durations over the items picked;
- short rate: short lines / lines of the finished orders; weight adjustments:
  lines of finished orders whose weight differs from the order (``weight_note``);
- substitutions are counted from the audit trail (``SubstitutionProposed`` /
  ``SubstitutionDecided`` events), which works whatever tables that feature keeps.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.board_queries import utc
from app.db import tables

o, ln, p, ob = tables.orders.c, tables.order_lines.c, tables.products.c, tables.outbox.c
ACCEPTED = {"approved", "accepted", "accept", "approve", "yes"}


@dataclass(frozen=True)
class HourBar:
    hour: int
    finished: int
    due: int


@dataclass(frozen=True)
class ShiftSummary:
    day: date
    finished: int
    on_time: int
    lines: int
    short_lines: int
    weight_adjustments: int
    items: int
    seconds_per_item: float | None
    proposed: int
    decided: int
    accepted: int
    hours: list[HourBar]

    @property
    def on_time_pct(self) -> float | None:
        return round(100 * self.on_time / self.finished, 1) if self.finished else None

    @property
    def short_rate(self) -> float | None:
        return round(100 * self.short_lines / self.lines, 1) if self.lines else None

    @property
    def substitution_rate(self) -> float | None:
        return round(100 * self.proposed / self.lines, 1) if self.lines else None

    @property
    def acceptance_rate(self) -> float | None:
        return round(100 * self.accepted / self.decided, 1) if self.decided else None


def day_bounds(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """Midnight to midnight of ``now``'s day in the store's timezone (aware datetimes)."""
    local = now.astimezone(ZoneInfo(timezone))
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


async def shift_summary(session: AsyncSession, store_id: int, now: datetime,
                        timezone: str) -> ShiftSummary:
    start, end = day_bounds(now, timezone)
    finished = (await session.execute(
        select(o.id, o.due_at, o.picking_started_at, o.picked_at)
        .where(o.store_id == store_id, o.picked_at >= start, o.picked_at < end))).all()
    lines = await _line_totals(session, [r.id for r in finished])
    proposed, decided, accepted = await _substitutions(session, store_id, start, end)
    seconds = sum([(utc(r.picked_at) - utc(r.picking_started_at)).total_seconds()  # type: ignore[operator]
                   for r in finished if r.picking_started_at and r.picked_at], 0.0)
    return ShiftSummary(
        day=start.date(), finished=len(finished),
        on_time=len([r for r in finished if utc(r.picked_at) <= utc(r.due_at)]),  # type: ignore[operator]
        lines=lines["lines"], short_lines=lines["short"], weight_adjustments=lines["weight"],
        items=lines["items"], seconds_per_item=round(seconds / lines["items"], 1)
        if lines["items"] else None,
        proposed=proposed, decided=decided, accepted=accepted,
        hours=await _hours(session, store_id, finished, start, end))


async def _line_totals(session: AsyncSession, order_ids: list[int]) -> dict[str, int]:
    if not order_ids:
        return {"lines": 0, "short": 0, "weight": 0, "items": 0}
    row = (await session.execute(
        select(func.count(ln.id),
               func.sum(case((ln.state == "short", 1), else_=0)),
               func.sum(case((ln.weight_note.is_not(None), 1), else_=0)),
               func.sum(case((p.unit == "weight", case((ln.picked_quantity > 0, 1), else_=0)),
                             else_=ln.picked_quantity)))
        .join(tables.products, p.id == ln.product_id)
        .where(ln.order_id.in_(order_ids)))).one()
    return {"lines": int(row[0] or 0), "short": int(row[1] or 0), "weight": int(row[2] or 0),
            "items": int(row[3] or 0)}


async def _substitutions(session: AsyncSession, store_id: int, start: datetime,
                         end: datetime) -> tuple[int, int, int]:
    rows = (await session.execute(
        select(ob.type, ob.envelope)
        .join(tables.orders, o.id == ob.order_id)
        .where(o.store_id == store_id, ob.occurred_at >= start, ob.occurred_at < end,
               ob.type.in_(("SubstitutionProposed", "SubstitutionDecided"))))).all()
    proposed = sum(1 for r in rows if r.type == "SubstitutionProposed")
    decisions = [_decision(r.envelope) for r in rows if r.type == "SubstitutionDecided"]
    return proposed, len(decisions), sum(1 for d in decisions if d)


def _decision(envelope: str) -> bool:
    """Whether a SubstitutionDecided event says the customer took the substitute."""
    try:
        payload: dict[str, Any] = json.loads(envelope).get("payload", {})
    except (ValueError, AttributeError):
        return False
    for key in ("approved", "accepted"):
        if isinstance(payload.get(key), bool):
            return bool(payload[key])
    for key in ("decision", "outcome", "status", "answer"):
        if str(payload.get(key, "")).lower() in ACCEPTED:
            return True
    return False


async def _hours(session: AsyncSession, store_id: int, finished: Sequence[Any], start: datetime,
                 end: datetime) -> list[HourBar]:
    """Orders finished and orders due per local hour, over the hours that had either."""
    tz = start.tzinfo
    due = (await session.execute(
        select(o.due_at).where(o.store_id == store_id, o.due_at >= start, o.due_at < end,
                               o.status != "cancelled"))).scalars().all()
    done_hours = [utc(r.picked_at).astimezone(tz).hour for r in finished]  # type: ignore[union-attr]
    due_hours = [utc(d).astimezone(tz).hour for d in due]  # type: ignore[union-attr]
    used = sorted(set(done_hours) | set(due_hours))
    if not used:
        return []
    return [HourBar(h, done_hours.count(h), due_hours.count(h))
            for h in range(used[0], used[-1] + 1)]


def chart(hours: list[HourBar], *, width: int = 640, height: int = 200) -> dict[str, Any]:
    """Bar geometry for the SVG chart: pairs of bars (finished, due) per hour."""
    top = max([1] + [max(b.finished, b.due) for b in hours])
    slot = width / max(len(hours), 1)
    bar = max(slot / 2 - 4, 2)
    plot = height - 24

    def h(value: int) -> float:
        return round(plot * value / top, 1)

    bars = [{"hour": b.hour, "x": round(i * slot + 2, 1), "w": round(bar, 1),
             "finished": b.finished, "due": b.due, "hf": h(b.finished), "hd": h(b.due),
             "label_x": round(i * slot + slot / 2, 1)} for i, b in enumerate(hours)]
    return {"width": width, "height": height, "plot": plot, "top": top, "bars": bars}
