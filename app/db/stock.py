"""Products likely out in a store: the SQL side of the out-of-stock loop (issue 15)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables_oos import likely_out


class StockRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def clear_likely_out(self, store_id: int, product_id: int) -> None:
        """A good scan of the product: it is on the shelf after all."""
        await self.session.execute(delete(likely_out).where(
            likely_out.c.store_id == store_id, likely_out.c.product_id == product_id))

    async def mark_likely_out(self, store_id: int, product_id: int, *, reason: str,
                              order_id: int | None, staff_id: int | None, at: datetime,
                              until: datetime) -> bool:
        """Mark (or mark again, for longer) a product likely out. Returns True when
        it was not already likely out at ``at`` (a fresh mark)."""
        lo = likely_out.c
        current = await self.session.scalar(select(lo.until).where(
            lo.store_id == store_id, lo.product_id == product_id))
        values = {"reason": reason, "marked_at": at, "until": until, "order_id": order_id,
                  "staff_id": staff_id}
        # An upsert: two pickers finding the same empty shelf at once both succeed.
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(likely_out).values(store_id=store_id, product_id=product_id,
                                                 **values)
        await self.session.execute(stmt.on_conflict_do_update(
            index_elements=[lo.store_id, lo.product_id], set_=values))
        return current is None or current <= at
