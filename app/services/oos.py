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

from app.services.picking import MANUAL_WEIGHT, find_product, load_order, read_code
from app.services.ports import OosReader, OosUnitOfWork
from app.services.records_oos import LikelyOut as LikelyOut  # where it was before
from app.services.substitutions import (
    CLOSED_STATUSES,
    LinkExpired,
    LinkNotFound,
    category_group,
    link_hash,
    new_link,
    order_id_for_link,
    votes,
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


async def short_line(uow: OosUnitOfWork, picker: StaffUser, order_id: int, line_id: int,
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


async def offer_choices(new_uow: Callable[[], OosUnitOfWork], store_id: int, product_id: int,
                        now: datetime, *, base_url: str, besides: int) -> int:
    """Give every other open order of the store with ``product_id`` on an open line
    (and a customer who takes substitutes) a link to choose one now. One order per
    transaction; returns how many orders were told. Never raises."""
    try:
        uow = new_uow()
        async with uow:
            order_ids = await uow.likely_out_marks.orders_to_offer(
                store_id, product_id, besides=besides, statuses=OPEN_ORDER_STATUSES,
                limit=MAX_FAN_OUT)
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


async def _offer_choice(uow: OosUnitOfWork, order_id: int, product_id: int, now: datetime,
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
        await uow.links.add(link_hash(token), order.id, now)
        await uow.commit()
        return 1


async def reopen_line(uow: OosUnitOfWork, supervisor: StaffUser, order_id: int, line_id: int,
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


# -- reading (the screens' lists without a rule are in app.oos_queries) -------

@dataclass(frozen=True)
class AdvanceChoice:
    """A line the customer may decide on before the picker reaches the shelf."""

    line: Line
    since: datetime
    suggestions: list[Product]
    chosen: Product | None  # the substitute they chose, if any


async def advance_choices(uow: OosReader, order: Order, now: datetime
                          ) -> list[AdvanceChoice]:
    """The order's open lines whose product is likely out, with the substitutes the
    customer may choose from (and what they chose)."""
    if str(order.status) not in OPEN_ORDER_STATUSES:
        return []
    out = await uow.likely_out_marks.now(order.store_id, now)
    choices = []
    for line in order.lines_in_walking_order():
        mark = out.get(line.product.id or 0)
        if mark is None or line.state != "open" or line.substitution == "none":
            continue
        # best match, whatever was chosen, within the customer's wishes for the line
        wide = Line(product=line.product, quantity=line.quantity,
                    unit_price_minor=line.unit_price_minor,
                    max_difference_pct=line.max_difference_pct, same_brand=line.same_brand)
        candidates = await uow.substitutes.candidates(
            wide, group=category_group(line.product.category))
        everyone, mine = await votes(uow, line.product, order.customer_ref)
        ranked = rank_substitutes(wide, candidates, everyone,
                                  limit=ADVANCE_SUGGESTIONS, customer_accepted=mine)
        chosen = None
        if line.substitution == "specific" and line.specific_sku:
            chosen = next((p for p in candidates if p.sku == line.specific_sku), None)
            if chosen is not None and chosen not in ranked:
                ranked = [chosen, *ranked][:ADVANCE_SUGGESTIONS]
        choices.append(AdvanceChoice(line, mark.marked_at, ranked, chosen))
    return choices


async def choose_in_advance(uow: OosUnitOfWork, token: str, line_id: int, sku: str | None,
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


async def set_fallback(uow: OosUnitOfWork, token: str, line_id: int, fallback: str,
                       now: datetime) -> Line:
    """The customer's fallback for one line of their order. Raises LinkNotFound (also
    for another order's line), LinkExpired, InvalidFallback, OrderNotPickable."""
    async with uow:
        order = await _linked_order(uow, token, line_id)
        line = order.set_fallback(line_id, fallback, now)
        await uow.commit()
        return line


# -- weight over the soft band (item 5) ---------------------------------------

async def ask_about_weight(uow: OosUnitOfWork, picker: StaffUser, order_id: int, *,
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
        await uow.links.add(link_hash(token), order.id, now)
        await uow.commit()
        return line


async def _linked_order(uow: OosUnitOfWork, token: str, line_id: int) -> Order:
    """The open order of a customer's link, with ``line_id`` one of its lines. Raises
    LinkNotFound (also for another order's line) and LinkExpired."""
    order = await uow.orders.get(await order_id_for_link(uow.links, token))
    if order is None or line_id not in {ln.id for ln in order.lines}:
        raise LinkNotFound()
    if str(order.status) in CLOSED_STATUSES:
        raise LinkExpired()
    return order
