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

from app.services.picking import check_marking, find_product, load_order, read_code
from app.services.ports import CustomerLinks, MarkingChecker, OosReader, OosUnitOfWork
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


async def suggestions(uow: OosReader, picker: StaffUser, order_id: int,
                      line_id: int, *, wider: bool = False) -> Suggestions:
    """The order, the short line and its ranked substitutes (read only).

    Raises OrderNotFound and NoSuchLine.
    """
    order = await uow.orders.get(order_id, store_id=picker.store_id, lock=False)
    if order is None:
        raise errors.OrderNotFound(order_id=order_id)
    line = order.line(line_id)
    group = category_group(line.product.category)
    everyone, mine = await votes(uow, line.product, order.customer_ref)
    found = suggest(line, await uow.substitutes.candidates(line, group), wider=wider,
                    accepted_before=everyone, customer_accepted=mine)
    return Suggestions(order, line, found.products, found.wider, found.wider_available)


async def votes(uow: OosReader, original: Product, customer_ref: str | None
                ) -> tuple[dict[str, int], dict[str, int]]:
    """How customers answered each substitute for ``original`` (approvals minus
    rejections, per SKU), and how this customer did (none when the OMS sent no
    customer id)."""
    mine = (await uow.substitutes.accepted_before(original, customer_ref)
            if customer_ref else {})
    return await uow.substitutes.accepted_before(original), mine


async def propose(uow: OosUnitOfWork, picker: StaffUser, order_id: int, line_id: int, raw: str,
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
        store = await uow.stores.settings(picker.store_id)
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
        await uow.links.add(link_hash(token), order.id, now)
        await uow.commit()
        return Proposed(proposal, url)


# -- customer side -------------------------------------------------------------

async def order_id_for_link(links: CustomerLinks, token: str) -> int:
    """The order a customer token opens (``uow.links``). Raises LinkNotFound (no data
    either way)."""
    if not _TOKEN.match(token):
        raise LinkNotFound()
    wanted = link_hash(token)
    row = await links.find(wanted)
    if row is None or not hmac.compare_digest(row[0], wanted):
        raise LinkNotFound()
    return row[1]


async def customer_view(uow: OosReader, token: str) -> Order:
    """The order behind a link, for reading. Raises LinkNotFound, LinkExpired."""
    order_id = await order_id_for_link(uow.links, token)
    order = await uow.orders.get(order_id, lock=False)
    if order is None:
        raise LinkNotFound()
    if str(order.status) in CLOSED_STATUSES:
        raise LinkExpired()
    return order


async def decide(uow: OosUnitOfWork, token: str, ref: str, *, approve: bool, now: datetime,
                 difference_approved: bool = False) -> Proposal:
    """The customer's answer to one proposal of their order.

    Raises LinkNotFound (also for another order's proposal), LinkExpired, and
    ProposalClosed when it was decided already or its window ran out; a
    timeout found on the way is recorded even then.
    """
    async with uow:
        order_id = await order_id_for_link(uow.links, token)
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

async def expire_due(new_uow: Callable[[], OosUnitOfWork], now: datetime) -> int:
    """Time out every open proposal whose window has run out, one order per
    transaction. Returns how many proposals it timed out."""
    uow = new_uow()
    async with uow:
        order_ids = await uow.substitutes.orders_with_due_proposals(now)
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
