"""Substitution services: propose (picker), decide (customer), time out, finish.

Every write loads the order through the unit of work (row lock on PostgreSQL,
``BEGIN IMMEDIATE`` on SQLite, and the order's optimistic ``version``), first
records any window that has run out (lazy expiry, so the outcome is right even
without the periodic task), then asks the aggregate and commits. A decision
and a timeout racing for one proposal therefore yield exactly one outcome.

The customer link is a capability: 256 random bits, of which only the SHA-256
is stored; it opens one order and stops working once the order is handed over,
delivered or cancelled.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables
from app.db.repositories import OrderRepository
from app.db.tables_substitutions import customer_links, substitution_proposals
from app.db.uow import UnitOfWork
from app.services.picking import check_marking, find_product, load_order, read_code
from app.services.ports import MarkingChecker
from app.services.stores import load_store
from app.staff import StaffUser
from picking import errors
from picking.marking import refuse_unsellable
from picking.model import Line, Order, Product
from picking.substitution import Proposal, suggest

CLOSED_STATUSES = frozenset({"handed_over", "delivered", "cancelled", "delivery_failed"})
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")


LinkNotFound = errors.LinkNotFound  # defined with every domain error in picking.errors
LinkExpired = errors.LinkExpired


@dataclass(frozen=True)
class Proposed:
    proposal: Proposal
    customer_url: str


def link_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_link(base_url: str) -> tuple[str, str]:
    """A fresh customer token and its absolute URL."""
    token = secrets.token_urlsafe(32)
    return token, f"{base_url.rstrip('/')}/c/{token}"


# -- picker side ---------------------------------------------------------------

@dataclass(frozen=True)
class Suggestions:
    """What the substitute page shows for a short line.

    ``products`` come from the line's own category; only when it has nothing
    suitable, and only when the picker asks, from its wider group (``group/kind``
    -> ``group``): ``wider`` says they are, ``wider_available`` that the picker
    may ask (``picking.substitution.suggest``).
    """

    order: Order
    line: Line
    products: list[Product]
    wider: bool = False
    wider_available: bool = False


def category_group(category: str) -> str:
    """``"grocery"`` for ``"grocery/breakfast_cereal"``; a flat category is its own group."""
    return category.partition("/")[0]


async def suggestions(session: AsyncSession, picker: StaffUser, order_id: int,
                      line_id: int, *, wider: bool = False) -> Suggestions:
    """The order, the short line and its ranked substitutes (read only).

    Raises OrderNotFound and NoSuchLine.
    """
    order = await OrderRepository(session).get(order_id, store_id=picker.store_id, lock=False)
    if order is None:
        raise errors.OrderNotFound(order_id=order_id)
    line = order.line(line_id)
    group = category_group(line.product.category)
    mine = (await accepted_before(session, line.product, order.customer_ref)
            if order.customer_ref else {})
    found = suggest(line, await _candidates(session, line, group=group), wider=wider,
                    accepted_before=await accepted_before(session, line.product),
                    customer_accepted=mine)
    return Suggestions(order, line, found.products, found.wider, found.wider_available)


async def _candidates(session: AsyncSession, line: Line, group: str) -> list[Product]:
    """In-stock products of the line's category and of its whole ``group``."""
    p = tables.products.c
    wanted = ((p.category == line.product.category) | (p.category == group)
              | p.category.startswith(f"{group}/", autoescape=True))
    if line.specific_sku:
        wanted = wanted | (p.sku == line.specific_sku)
    stmt = (select(Product).where(p.store_id == line.product.store_id, wanted, p.stock > 0,
                                  p.unit == line.product.unit)
            .order_by(p.sequence).limit(400))
    return list((await session.scalars(stmt)).all())


async def accepted_before(session: AsyncSession, original: Product,
                          customer_ref: str | None = None) -> dict[str, int]:
    """How customers of this store answered each substitute for ``original``:
    approvals minus rejections, per SKU. With ``customer_ref``, only that
    customer's answers (none when the OMS sent no customer id)."""
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
        stmt = stmt.join(tables.orders, o.id == sp.order_id).where(o.customer_ref == customer_ref)
    rows = await session.execute(stmt)
    return {sku: int(n) for sku, n in rows.all()}


async def propose(uow: UnitOfWork, picker: StaffUser, order_id: int, line_id: int, raw: str,
                  *, now: datetime, window_minutes: int, base_url: str,
                  quantity: int | None = None, other_category_ok: bool = False,
                  checker: MarkingChecker | None = None) -> Proposed:
    """Verify the scanned substitute (one unit, under the pick loop's rules) and
    offer it to the customer. A marked unit is checked with ``checker`` as at the
    pick loop's shelf (before the write transaction): a pack that may not be sold is
    refused here, not offered to the customer and found at the door.

    Raises BadCode, UnknownCode, OrderNotFound, MarkingRefused and the errors of
    ``Order.propose_substitute``; on any of them nothing is written.
    """
    check = await check_marking(checker, raw, now)
    async with uow:
        store = await load_store(uow.session, picker.store_id)
        code = read_code(raw, store)
        product = await find_product(uow, store, code)
        order = await load_order(uow, picker, order_id)
        order.expire_due_proposals(now)
        marking = code.marking_key
        # A unit already counted on another order only the database knows about.
        if marking is not None and await uow.catalog.marking_code_used(marking):
            raise errors.DuplicateMarkingCode(product=product.sku, name_ru=product.name_ru,
                                              name_en=product.name_en)
        if product.marked:
            refuse_unsellable(product, marking, check)
        token, url = new_link(base_url)
        window = timedelta(minutes=window_minutes) if window_minutes > 0 else None
        proposal = order.propose_substitute(
            line_id, product, ref=secrets.token_hex(8), code=code.raw, now=now, window=window,
            customer_url=url, staff_id=picker.id, quantity=quantity, marking_code=marking,
            marking_tail=code.marking_tail, weight_g=code.weight_g,
            other_category_ok=other_category_ok)
        await uow.session.execute(insert(customer_links).values(
            token_hash=link_hash(token), order_id=order.id, created_at=now))
        await uow.commit()
        return Proposed(proposal, url)





# -- customer side -------------------------------------------------------------

async def order_id_for_link(session: AsyncSession, token: str) -> int:
    """The order a customer token opens. Raises LinkNotFound (no data either way)."""
    if not _TOKEN.match(token):
        raise LinkNotFound()
    wanted = link_hash(token)
    row = (await session.execute(
        select(customer_links.c.token_hash, customer_links.c.order_id)
        .where(customer_links.c.token_hash == wanted))).first()
    if row is None or not hmac.compare_digest(row.token_hash, wanted):
        raise LinkNotFound()
    return int(row.order_id)


async def customer_view(session: AsyncSession, token: str) -> Order:
    """The order behind a link, for reading. Raises LinkNotFound, LinkExpired."""
    order_id = await order_id_for_link(session, token)
    order = await OrderRepository(session).get(order_id, lock=False)
    if order is None:
        raise LinkNotFound()
    if str(order.status) in CLOSED_STATUSES:
        raise LinkExpired()
    return order


async def decide(uow: UnitOfWork, token: str, ref: str, *, approve: bool, now: datetime,
                 difference_approved: bool = False) -> Proposal:
    """The customer's answer to one proposal of their order.

    Raises LinkNotFound (also for another order's proposal), LinkExpired, and
    ProposalClosed when it was decided already or its window ran out; a
    timeout found on the way is recorded even then.
    """
    async with uow:
        order_id = await order_id_for_link(uow.session, token)
        order = await uow.orders.get(order_id)
        if order is None:
            raise LinkNotFound()
        if str(order.status) in CLOSED_STATUSES:
            raise LinkExpired()
        if ref not in {p.ref for p in order.proposals()}:
            raise LinkNotFound()
        timed_out = order.expire_due_proposals(now)
        try:
            proposal = order.decide_substitute(ref, approve=approve, now=now,
                                               difference_approved=difference_approved)
        except errors.PickingError:
            # a timeout found on the way, or a weight question the picker moved on from
            if timed_out or order.proposal(ref).status == "withdrawn":
                await uow.commit()
            raise
        await uow.commit()
        return proposal


# -- expiry --------------------------------------------------------------------

async def expire_due(new_uow: Callable[[], UnitOfWork], now: datetime) -> int:
    """Time out every open proposal whose window has run out, one order per
    transaction. Returns how many proposals it timed out."""
    uow = new_uow()
    async with uow:
        sp = substitution_proposals.c
        order_ids = list(await uow.session.scalars(
            select(sp.order_id).where(sp.status == "proposed", sp.expires_at <= now)
            .distinct()))
    count = 0
    for order_id in order_ids:
        uow = new_uow()
        async with uow:
            order = await uow.orders.get(order_id)
            if order is None:
                continue
            count += len(order.expire_due_proposals(now))
            await uow.commit()
    return count
