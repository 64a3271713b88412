"""Read-only lists the screens of the out-of-stock loop and of substitutions show (no
rule in them; each takes the screen's reading session): the pick page's "likely
out" marks, the board's list of products likely out, the customer page's photos.
The loop's rules are in ``app.services.oos``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables
from app.db.repo_oos import LikelyOutRepository
from app.db.tables_oos import likely_out
from app.db.tables_substitutions import substitution_proposals
from app.db.tables_trust import proposal_photos
from app.services.oos import OPEN_ORDER_STATUSES
from picking.lines import shown_name
from picking.model import Order


async def marks_for_lines(session: AsyncSession, order: Order, now: datetime
                          ) -> dict[str, object]:
    """What the pick page shows of the loop: ``likely_out`` (product id -> mark) and
    ``choice_names`` (the substitutes customers chose, by SKU, named in the
    reader's language)."""
    out = await LikelyOutRepository(session).now(order.store_id, now)
    wanted = {ln.specific_sku for ln in order.lines
              if ln.product.id in out and ln.specific_sku}
    names: dict[str, str] = {}
    if wanted:
        p = tables.products.c
        rows = await session.execute(select(p.sku, p.name_ru, p.name_en).where(
            p.store_id == order.store_id, p.sku.in_(wanted)))
        from app import i18n
        english = i18n.current_language() == "en"
        names = {r.sku: shown_name(r.name_en if english else r.name_ru) for r in rows.all()}
    return {"likely_out": out, "choice_names": names}


@dataclass(frozen=True)
class LikelyOutRow:
    """One line of the board's "likely out" list."""

    sku: str
    name_ru: str
    name_en: str
    reason: str
    marked_at: datetime
    until: datetime
    orders: list[tuple[int, str]]  # (id, OMS id) of the open orders it affects

    def name(self, language: str) -> str:
        return shown_name(self.name_en if language == "en" else self.name_ru)


async def likely_out_board(session: AsyncSession, store_id: int, now: datetime
                           ) -> list[LikelyOutRow]:
    """The store's products likely out, newest first, with the open orders that
    still have them on an open line (two statements whatever the number)."""
    lo, p = likely_out.c, tables.products.c
    marks = (await session.execute(
        select(lo.product_id, p.sku, p.name_ru, p.name_en, lo.reason, lo.marked_at, lo.until)
        .join(tables.products, p.id == lo.product_id)
        .where(lo.store_id == store_id, lo.until > now)
        .order_by(lo.marked_at.desc(), p.sku).limit(50))).all()
    if not marks:
        return []
    ln, o = tables.order_lines.c, tables.orders.c
    hit = await session.execute(
        select(ln.product_id, o.id, o.oms_id).join(tables.orders, o.id == ln.order_id)
        .where(o.store_id == store_id, o.status.in_(OPEN_ORDER_STATUSES), ln.state == "open",
               ln.product_id.in_([m.product_id for m in marks]))
        .distinct().order_by(o.id))
    affected: dict[int, list[tuple[int, str]]] = {}
    for product_id, order_id, oms_id in hit.all():
        affected.setdefault(int(product_id), []).append((int(order_id), str(oms_id)))
    return [LikelyOutRow(m.sku, m.name_ru, m.name_en, m.reason, m.marked_at, m.until,
                         affected.get(int(m.product_id), [])) for m in marks]


async def photo_refs(session: AsyncSession, order_id: int) -> set[str]:
    """The refs of the order's proposals that have a shelf photo."""
    sp, pp = substitution_proposals.c, proposal_photos.c
    rows = await session.scalars(select(sp.ref).join(proposal_photos, pp.proposal_id == sp.id)
                                 .where(sp.order_id == order_id))
    return set(rows.all())
