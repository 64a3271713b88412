"""The SQL repositories of the out-of-stock loop, substitutions and their shelf photos
(the ports of ``app.services.ports``: ``LikelyOutMarks``, ``CustomerLinks``,
``Substitutes``, ``ProposalPhotos``). The statements are those the services ran
themselves before issue 10, moved here unchanged."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables
from app.db.repositories import CatalogRepository, OrderRepository
from app.db.tables_oos import likely_out
from app.db.tables_substitutions import customer_links, substitution_proposals
from app.db.tables_trust import proposal_photos
from app.services.records_oos import LikelyOut
from picking.model import Line, Product
from picking.substitution import Proposal


class LikelyOutRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def now(self, store_id: int, now: datetime) -> dict[int, LikelyOut]:
        """The store's products likely out at ``now``, by product id."""
        lo = likely_out.c
        rows = await self.session.execute(
            select(lo.product_id, lo.reason, lo.marked_at, lo.until)
            .where(lo.store_id == store_id, lo.until > now))
        return {int(r.product_id): LikelyOut(int(r.product_id), r.reason, r.marked_at, r.until)
                for r in rows.all()}

    async def orders_to_offer(self, store_id: int, product_id: int, *, besides: int,
                              statuses: Sequence[str], limit: int) -> list[int]:
        """The store's orders in one of ``statuses`` but ``besides`` with ``product_id``
        on an open line whose customer takes the best match, by id."""
        ln, o = tables.order_lines.c, tables.orders.c
        return list(await self.session.scalars(
            select(o.id).join(tables.order_lines, ln.order_id == o.id)
            .where(o.store_id == store_id, o.status.in_(statuses),
                   o.id != besides, ln.product_id == product_id, ln.state == "open",
                   ln.substitution == "best_match")
            .distinct().order_by(o.id).limit(limit)))


class CustomerLinkRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, token_hash: str, order_id: int | None, at: datetime) -> None:
        await self.session.execute(insert(customer_links).values(
            token_hash=token_hash, order_id=order_id, created_at=at))

    async def find(self, token_hash: str) -> tuple[str, int] | None:
        """The stored hash and the order of the link with ``token_hash``."""
        row = (await self.session.execute(
            select(customer_links.c.token_hash, customer_links.c.order_id)
            .where(customer_links.c.token_hash == token_hash))).first()
        return None if row is None else (str(row.token_hash), int(row.order_id))


class SubstituteRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def candidates(self, line: Line, group: str) -> list[Product]:
        """In-stock products of the line's category and of its whole ``group``."""
        p = tables.products.c
        wanted = ((p.category == line.product.category) | (p.category == group)
                  | p.category.startswith(f"{group}/", autoescape=True))
        if line.specific_sku:
            wanted = wanted | (p.sku == line.specific_sku)
        stmt = (select(Product).where(p.store_id == line.product.store_id, wanted, p.stock > 0,
                                      p.unit == line.product.unit)
                .order_by(p.sequence).limit(400))
        return list((await self.session.scalars(stmt)).all())

    async def accepted_before(self, original: Product,
                              customer_ref: str | None = None) -> dict[str, int]:
        """How customers of this store answered each substitute for ``original``:
        approvals minus rejections, per SKU. With ``customer_ref``, only that
        customer's answers."""
        sp, ln, p, o = (substitution_proposals.c, tables.order_lines.c, tables.products.c,
                        tables.orders.c)
        vote = case((sp.status == "approved", 1), else_=-1)
        stmt = (select(p.sku, func.sum(vote))
                .select_from(substitution_proposals)
                .join(tables.order_lines, ln.id == sp.line_id)
                .join(tables.products, p.id == sp.product_id)
                .where(ln.product_id == original.id,
                       sp.status.in_(("approved", "rejected")), sp.decided_by == "customer")
                .group_by(p.sku))
        if customer_ref is not None:
            stmt = stmt.join(tables.orders, o.id == sp.order_id).where(
                o.customer_ref == customer_ref)
        rows = await self.session.execute(stmt)
        return {sku: int(n) for sku, n in rows.all()}

    async def orders_with_due_proposals(self, now: datetime) -> list[int]:
        """The orders with an open proposal whose window has run out at ``now``."""
        sp = substitution_proposals.c
        return list(await self.session.scalars(
            select(sp.order_id).where(sp.status == "proposed", sp.expires_at <= now)
            .distinct()))


class ProposalPhotoRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def replace(self, proposal: Proposal, *, path: str, size: int, at: datetime,
                      staff_id: int | None) -> str | None:
        """Point the proposal at the photo ``path``; the path it pointed at, or None."""
        pp = proposal_photos.c
        old = await self.session.scalar(select(pp.path).where(pp.proposal_id == proposal.id))
        await self.session.execute(delete(proposal_photos).where(pp.proposal_id == proposal.id))
        await self.session.execute(insert(proposal_photos).values(
            proposal_id=proposal.id, path=path, bytes=size, taken_at=at, staff_id=staff_id))
        return None if old is None else str(old)

    async def path_for(self, order_id: int, ref: str) -> str | None:
        """The stored path of the photo of the order's proposal ``ref``, if any."""
        sp, pp = substitution_proposals.c, proposal_photos.c
        path = await self.session.scalar(
            select(pp.path).join(substitution_proposals, sp.id == pp.proposal_id)
            .where(sp.ref == ref, sp.order_id == order_id))
        return None if path is None else str(path)


class OosReads:
    """The loop's repositories over a reading session (``app.services.ports.OosReader``),
    for the read-only services a screen calls inside its own session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.orders = OrderRepository(session)
        self.catalog = CatalogRepository(session)
        self.likely_out_marks = LikelyOutRepository(session)
        self.links = CustomerLinkRepository(session)
        self.substitutes = SubstituteRepository(session)
        self.proposal_photos = ProposalPhotoRepository(session)


def reads(session: AsyncSession) -> OosReads:
    return OosReads(session)
