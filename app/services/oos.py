"""The out-of-stock loop and late finds (issue 15, items 6 and 7): the services.

``short_line`` is the picker's "missing" button: the short, and when the shelf
was empty (``OUT_REASONS``) the product is marked *likely out* in the store for
a while, in the same transaction. Then, each in a transaction of its own (an
order at a time, so two pickers shorting at once never wait on each other's
orders), every other open order with that product on an open line gets a
customer link that offers a choice of substitute before its picker walks there
(``SubstituteChoiceOffered`` tells the OMS the link). A failure there is logged;
the picker's short stands.

``reopen_line`` is the supervisor's late find (with a reason); the picker's is a
scan of the product, in ``app.services.late_find``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables
from app.db.tables_oos import likely_out
from app.db.tables_substitutions import customer_links
from app.db.uow import UnitOfWork
from app.services.picking import MANUAL_WEIGHT, find_product, load_order, read_code
from app.services.substitutions import (
    CLOSED_STATUSES,
    LinkExpired,
    LinkNotFound,
    link_hash,
    new_link,
    order_id_for_link,
)
from app.staff import StaffUser
from picking import errors
from picking.events import ItemUnavailable
from picking.lines import _named
from picking.model import Line, Order, Product
from picking.substitution import rank_substitutes

log = logging.getLogger("storepick.oos")
OPEN_ORDER_STATUSES = ("received", "queued", "picking")
MAX_FAN_OUT = 100  # orders told at once about one empty shelf
ADVANCE_SUGGESTIONS = 3


async def short_line(uow: UnitOfWork, picker: StaffUser, order_id: int, line_id: int,
                     reason: str, now: datetime, *, hold: timedelta) -> tuple[Line, bool]:
    """Mark what is missing on a line; an empty shelf also marks the product likely
    out until ``now + hold``. Returns the line and whether this was a fresh mark
    (the product was not likely out already): then call ``offer_choices``."""
    async with uow:
        order = await load_order(uow, picker, order_id)
        line = order.short(line_id, reason, now=now, staff_id=picker.id)
        empty_shelf = any(isinstance(e, ItemUnavailable) for e in order.events)
        fresh = False
        if empty_shelf and line.product.id is not None:
            fresh = await uow.stock.mark_likely_out(
                picker.store_id, line.product.id, reason=reason, order_id=order_id,
                staff_id=picker.id, at=now, until=now + hold)
        await uow.commit()
        return line, fresh


async def offer_choices(new_uow: Callable[[], UnitOfWork], store_id: int, product_id: int,
                        now: datetime, *, base_url: str, besides: int) -> int:
    """Give every other open order of the store with ``product_id`` on an open line
    (and a customer who takes substitutes) a link to choose one now. One order per
    transaction; returns how many orders were told. Never raises."""
    try:
        uow = new_uow()
        async with uow:
            ln, o = tables.order_lines.c, tables.orders.c
            order_ids = list(await uow.session.scalars(
                select(o.id).join(tables.order_lines, ln.order_id == o.id)
                .where(o.store_id == store_id, o.status.in_(OPEN_ORDER_STATUSES),
                       o.id != besides, ln.product_id == product_id, ln.state == "open",
                       ln.substitution == "best_match")
                .distinct().order_by(o.id).limit(MAX_FAN_OUT)))
    except Exception:
        log.exception("could not find the orders to tell about product %s", product_id)
        return 0
    told = 0
    for order_id in order_ids:
        try:
            told += await _offer_choice(new_uow(), order_id, product_id, now, base_url)
        except Exception:
            log.exception("could not offer a choice in advance on order %s", order_id)
    return told


async def _offer_choice(uow: UnitOfWork, order_id: int, product_id: int, now: datetime,
                        base_url: str) -> int:
    async with uow:
        order = await uow.orders.get(order_id)
        if order is None:
            return 0
        token, url = new_link(base_url)
        offered = [ln for ln in order.lines if ln.product.id == product_id and ln.id is not None
                   and order.offer_choice(ln.id, url, now)]
        if not offered:
            return 0
        await uow.session.execute(insert(customer_links).values(
            token_hash=link_hash(token), order_id=order.id, created_at=now))
        await uow.commit()
        return 1


async def reopen_line(uow: UnitOfWork, supervisor: StaffUser, order_id: int, line_id: int,
                      reason: str, now: datetime) -> Line:
    """The supervisor's late find: the line is open again, with a reason. Raises
    ReopenReasonRequired, LineNotReopenable, NoSuchLine and OrderNotPickable (picking
    is over: a reopen that loses the race with "finish" changes nothing)."""
    async with uow:
        order = await load_order(uow, supervisor, order_id)
        line = order.reopen_line(line_id, now=now, staff_id=supervisor.id, by="supervisor",
                                 reason=reason, supervisor=True)
        await uow.commit()
        return line


# -- reading -------------------------------------------------------------------

@dataclass(frozen=True)
class LikelyOut:
    product_id: int
    reason: str
    marked_at: datetime
    until: datetime


async def likely_out_now(session: AsyncSession, store_id: int, now: datetime
                         ) -> dict[int, LikelyOut]:
    """The store's products likely out at ``now``, by product id."""
    lo = likely_out.c
    rows = await session.execute(select(lo.product_id, lo.reason, lo.marked_at, lo.until)
                                 .where(lo.store_id == store_id, lo.until > now))
    return {int(r.product_id): LikelyOut(int(r.product_id), r.reason, r.marked_at, r.until)
            for r in rows.all()}


async def marks_for_lines(session: AsyncSession, order: Order, now: datetime
                         ) -> dict[str, object]:
    """What the pick page shows of the loop: ``likely_out`` (product id -> mark) and
    ``choice_names`` (the substitutes customers chose, by SKU, named in the
    reader's language)."""
    out = await likely_out_now(session, order.store_id, now)
    wanted = {ln.specific_sku for ln in order.lines
              if ln.product.id in out and ln.specific_sku}
    names: dict[str, str] = {}
    if wanted:
        p = tables.products.c
        rows = await session.execute(select(p.sku, p.name_ru, p.name_en).where(
            p.store_id == order.store_id, p.sku.in_(wanted)))
        from app import i18n
        english = i18n.current_language() == "en"
        names = {r.sku: r.name_en if english else r.name_ru for r in rows.all()}
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
        return self.name_en if language == "en" else self.name_ru


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


@dataclass(frozen=True)
class AdvanceChoice:
    """A line the customer may decide on before the picker reaches the shelf."""

    line: Line
    since: datetime
    suggestions: list[Product]
    chosen: Product | None  # the substitute they chose, if any


async def advance_choices(session: AsyncSession, order: Order, now: datetime
                          ) -> list[AdvanceChoice]:
    """The order's open lines whose product is likely out, with the substitutes the
    customer may choose from (and what they chose)."""
    from app.services.substitutions import _candidates, accepted_before, category_group

    if str(order.status) not in OPEN_ORDER_STATUSES:
        return []
    out = await likely_out_now(session, order.store_id, now)
    choices = []
    for line in order.lines_in_walking_order():
        mark = out.get(line.product.id or 0)
        if mark is None or line.state != "open" or line.substitution == "none":
            continue
        # best match, whatever was chosen, within the customer's wishes for the line
        wide = Line(product=line.product, quantity=line.quantity,
                    unit_price_minor=line.unit_price_minor,
                    max_difference_pct=line.max_difference_pct, same_brand=line.same_brand)
        candidates = await _candidates(session, wide,
                                       group=category_group(line.product.category))
        mine = (await accepted_before(session, line.product, order.customer_ref)
                if order.customer_ref else {})
        ranked = rank_substitutes(wide, candidates, await accepted_before(session, line.product),
                                  limit=ADVANCE_SUGGESTIONS, customer_accepted=mine)
        chosen = None
        if line.substitution == "specific" and line.specific_sku:
            chosen = next((p for p in candidates if p.sku == line.specific_sku), None)
            if chosen is not None and chosen not in ranked:
                ranked = [chosen, *ranked][:ADVANCE_SUGGESTIONS]
        choices.append(AdvanceChoice(line, mark.marked_at, ranked, chosen))
    return choices


async def choose_in_advance(uow: UnitOfWork, token: str, line_id: int, sku: str | None,
                            now: datetime) -> Line:
    """The customer's choice on a likely-out line: a substitute (``sku``), or none
    (None: refund it). Raises LinkNotFound (also for another order's line),
    LinkExpired, SubstituteNotAllowed (the line is no longer open, the product is
    unknown, out of stock or may not replace it), OrderNotPickable."""
    async with uow:
        order = await _linked_order(uow, token, line_id)
        product = None
        if sku is not None:
            product = await uow.catalog.by_sku(order.store_id, sku[:64])
            if product is None or product.stock <= 0:
                raise errors.SubstituteNotAllowed(reason="unavailable", sku=sku[:64])
        line = order.choose_in_advance(line_id, product, now)
        await uow.commit()
        return line


async def set_fallback(uow: UnitOfWork, token: str, line_id: int, fallback: str,
                       now: datetime) -> Line:
    """The customer's fallback for one line of their order. Raises LinkNotFound (also
    for another order's line), LinkExpired, InvalidFallback, OrderNotPickable."""
    async with uow:
        order = await _linked_order(uow, token, line_id)
        line = order.set_fallback(line_id, fallback, now)
        await uow.commit()
        return line


# -- weight over the soft band (item 5) ---------------------------------------

async def ask_about_weight(uow: UnitOfWork, picker: StaffUser, order_id: int, *,
                           code: str | None, line_id: int | None, weight_g: int | None,
                           now: datetime, window_minutes: int, base_url: str) -> Line:
    """Ask the customer whether to keep a weighed item heavier than the soft band: the
    weight from a scale label (``code``) or typed on a line (``line_id``,
    ``weight_g``). Returns the line (its new proposal waits for the answer).

    Raises BadCode, UnknownCode, WrongItemScanned, NoSuchLine and the errors of
    ``Order.ask_about_weight``; on any of them nothing is written."""
    async with uow:
        store = await uow.stores.settings(picker.store_id)
        order = await load_order(uow, picker, order_id)
        order.expire_due_proposals(now)
        if code is not None:
            scanned = read_code(code, store)
            product = await find_product(uow, store, scanned)
            if scanned.weight_g is None:
                raise errors.WeightRequired(**_named(product))
            candidates = [ln for ln in order.lines if ln.product.sku == product.sku]
            if not candidates:
                raise errors.WrongItemScanned(**_named(product))
            line = next((ln for ln in candidates if not ln.is_done), candidates[0])
            weight_g, raw = scanned.weight_g, scanned.raw
        else:
            if line_id is None or weight_g is None:
                raise errors.AbsurdWeight(weight_g=weight_g or 0)
            line, raw = order.line(line_id), MANUAL_WEIGHT
        token, url = new_link(base_url)
        window = timedelta(minutes=window_minutes) if window_minutes > 0 else None
        order.ask_about_weight(line.id or 0, weight_g, ref=secrets.token_hex(8), code=raw,
                               now=now, window=window, customer_url=url, staff_id=picker.id,
                               tolerance=store.tolerance_for(line.product))
        await uow.session.execute(insert(customer_links).values(
            token_hash=link_hash(token), order_id=order.id, created_at=now))
        await uow.commit()
        return line


async def _linked_order(uow: UnitOfWork, token: str, line_id: int) -> Order:
    """The open order of a customer's link, with ``line_id`` one of its lines. Raises
    LinkNotFound (also for another order's line) and LinkExpired."""
    order = await uow.orders.get(await order_id_for_link(uow.session, token))
    if order is None or line_id not in {ln.id for ln in order.lines}:
        raise LinkNotFound()
    if str(order.status) in CLOSED_STATUSES:
        raise LinkExpired()
    return order
