"""Reads for substitutes customers trust: how often a store's customers accept its offers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables
from app.db.tables_substitutions import substitution_proposals

ACCEPTANCE_DAYS = 7


@dataclass(frozen=True)
class Acceptance:
    """Proposals of one store decided in the last ``days`` days: approved of decided
    (a rejection and a window that ran out both count as not accepted)."""

    approved: int
    decided: int
    days: int = ACCEPTANCE_DAYS

    @property
    def rate(self) -> float | None:
        return round(100 * self.approved / self.decided, 1) if self.decided else None


async def acceptance(session: AsyncSession, store_id: int, now: datetime,
                     days: int = ACCEPTANCE_DAYS) -> Acceptance:
    sp, o = substitution_proposals.c, tables.orders.c
    row = (await session.execute(
        select(func.count(), func.sum(case((sp.status == "approved", 1), else_=0)))
        .select_from(substitution_proposals).join(tables.orders, o.id == sp.order_id)
        .where(o.store_id == store_id, sp.status != "proposed",
               sp.decided_at >= now - timedelta(days=days)))).one()
    return Acceptance(approved=int(row[1] or 0), decided=int(row[0] or 0), days=days)
