"""The customer's page behind the link in the SMS: live progress and substitutes.

No sign-in: the token in the URL is the capability. GET never changes
anything (message apps open links to build previews); decisions are POSTs
with the CSRF token. A forged or unknown token and another order's proposal
get the same friendly 404 with no data; a link of a finished order gets 410.
Every endpoint is rate limited per client and per link seen from that client,
in the database (shared by every app process); the client is the address
behind trusted proxies (STOREPICK_TRUSTED_PROXIES), never a header from anyone.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Response, ServerSentEvent, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app import floor_queries, i18n, throttle
from app.db.repo_oos import reads
from app.i18n import gettext as _
from app.marking import freshness_kept
from app.oos_queries import photo_refs
from app.services import arrival, oos
from app.services import substitutions as service
from app.services.proposal_photos import PHOTO_MESSAGE_TYPE
from app.views.customer import AdvanceChoiceLike, page_view
from app.web.deps import client_ip, clock, new_uow, reading
from app.web.live import live_stream
from app.web.messages import Feedback, describe, status_for
from app.web.render import is_htmx, redirect, render, render_fragment
from picking import errors
from picking.model import Order
from picking.substitution import SUBSTITUTION_EVENTS, ProposalClosed

Req = Request[Any, Any, Any]


# Budgets kept in the database (app.throttle), so every app process shares them.
# Per client (its address, app.proxies: behind trusted proxies, the real one),
# and per link *from that client*: someone else holding the link spends their own
# budget, never the customer's.
CLIENT_RULE = throttle.Rule(window=timedelta(minutes=1), free=120)
LINK_RULE = throttle.Rule(window=timedelta(minutes=1), free=40)


async def _too_many(request: Req, token: str) -> Template | None:
    client = client_ip(request)
    now = clock(request)
    async with request.app.state.db.writing() as session:
        counted = [await throttle.count(session, throttle.key("customer-client", client),
                                        CLIENT_RULE, now),
                   await throttle.count(session, throttle.key(
                       "customer-link", client, service.link_hash(token)), LINK_RULE, now)]
        await session.commit()
    over = [ends for (hits, ends), rule in zip(counted, (CLIENT_RULE, LINK_RULE), strict=True)
            if hits > rule.free]
    if not over:
        return None
    wait = max(1, math.ceil((max(over) - now).total_seconds()))
    _choose_language(request)
    return render(request, "customer/link_error.html", {"feedback": Feedback(
        "warn", _("Too many requests. Please wait a minute and try again."))},
        status_code=429, headers={"Retry-After": str(wait)})


def _choose_language(request: Req) -> str:
    wanted = request.query_params.get("lang")
    return i18n.set_language(wanted) if wanted in i18n.LANGUAGES else i18n.current_language()


def _link_error(request: Req, err: errors.PickingError) -> Template:
    return render(request, "customer/link_error.html", {"feedback": describe(err)},
                  status_code=status_for(err))


def page_context(request: Req, order: Order, token: str, photos: set[str] | None = None, *,
                 advance: Iterable[AdvanceChoiceLike] = (),
                 fresh: dict[int, tuple[int, int]] | None = None) -> dict[str, Any]:
    """What every part of the page renders from: the page's view (``customer``, derived
    at this request's moment) and the link's own words."""
    view = page_view(order, clock(request), photos=photos or (), advance=advance, fresh=fresh)
    return {"customer": view, "token": token, "lang_query": f"?lang={i18n.current_language()}",
            "feedback_id": secrets.token_hex(4)}


@get("/c/{token:str}", name="customer:order")
async def customer_page(request: Req, token: FromPath[str]) -> Template:
    """The order's progress and the substitutes waiting for an answer. Read only."""
    limited = await _too_many(request, token)
    if limited is not None:
        return limited
    _choose_language(request)
    try:
        async with reading(request) as session:
            order = await service.customer_view(reads(session), token)
            store = await floor_queries.load_store(session, order.store_id)
            fresh = await freshness_kept(session, order, store)
            advance = await oos.advance_choices(reads(session), order, clock(request))
            photos = await photo_refs(session, order.id or 0)
            pickup = await pickup_context(session, order)
    except (service.LinkNotFound, service.LinkExpired) as err:
        return _link_error(request, err)
    return render(request, "customer/order.html",
                  {**page_context(request, order, token, photos, advance=advance,
                                  fresh=fresh), **pickup},
                  headers={"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"})


@post("/c/{token:str}/p/{ref:str}", name="customer:decide")
async def customer_decide(request: Req, token: FromPath[str], ref: FromPath[str]
                          ) -> Response[Any]:
    """Approve or reject one substitute (``decision`` = approve | reject)."""
    limited = await _too_many(request, token)
    if limited is not None:
        return limited
    _choose_language(request)
    form = await request.form()
    decision = str(form.get("decision", ""))
    feedback, status = None, 200
    try:
        if decision not in ("approve", "reject"):
            raise service.LinkNotFound()
        await service.decide(new_uow(request), token, ref, approve=decision == "approve",
                             now=clock(request),
                             difference_approved=str(form.get("accept_difference")) == "1")
        feedback = Feedback("ok", _("Thank you! The picker has your answer.")
                            if decision == "approve" else _("Noted: we will not bring it."))
    except ProposalClosed as closed:
        feedback, status = describe(closed), status_for(closed)
    except (service.LinkNotFound, service.LinkExpired) as err:
        return _link_error(request, err)
    if not is_htmx(request):
        return redirect(request, request.app.route_reverse("customer:order", token=token)
                        + f"?lang={i18n.current_language()}")
    async with reading(request) as session:
        order = await service.customer_view(reads(session), token)
        photos = await photo_refs(session, order.id or 0)
        pickup = await pickup_context(session, order)
    return render(request, "customer/order.html",
                  {**page_context(request, order, token, photos), **pickup,
                   "feedback": feedback},
                  fragment="customer/_offers.html", status_code=status)


@get("/c/{token:str}/live", name="customer:live")
async def customer_live(request: Req, token: FromPath[str]) -> ServerSentEvent | Template:
    """Server-sent events: progress on every change, the offers on substitutions."""
    limited = await _too_many(request, token)
    if limited is not None:
        return limited
    language = _choose_language(request)
    try:
        async with reading(request) as session:
            order = await service.customer_view(reads(session), token)
    except (service.LinkNotFound, service.LinkExpired) as err:
        return _link_error(request, err)

    async def fragments(message: dict[str, Any]) -> list[tuple[str, str]]:
        i18n.set_language(language)
        async with reading(request) as session:
            try:
                fresh = await service.customer_view(reads(session), token)
            except (service.LinkNotFound, service.LinkExpired):
                return [("progress", "")]
            advance = await oos.advance_choices(reads(session), fresh, clock(request))
            photos = await photo_refs(session, fresh.id or 0)
            pickup = await pickup_context(session, fresh)
        context = {**page_context(request, fresh, token, photos, advance=advance), **pickup}
        out = [("progress", render_fragment(request, "customer/_progress.html", context)),
               ("advance", render_fragment(request, "customer/_advance.html", context))]
        if (message.get("type") in SUBSTITUTION_EVENTS or message.get("initial")
                or message.get("type") == PHOTO_MESSAGE_TYPE):
            out.append(("offers", render_fragment(request, "customer/_offers.html", context)))
        if message.get("type") in PICKUP_EVENTS or message.get("initial"):
            out.append(("pickup", render_fragment(request, "customer/_pickup.html", context)))
        return out

    return live_stream(request, [f"order:{order.id}"], fragments, initial={"initial": True})


@post("/c/{token:str}/lines/{line_id:int}/choose", name="customer:advance")
async def customer_advance(request: Req, token: FromPath[str], line_id: FromPath[int]
                           ) -> Response[Any]:
    """Choose, before the picker reaches an empty shelf, what to bring instead
    (``choice`` = a substitute's SKU, or ``none``: refund it). Issue 15."""
    limited = await _too_many(request, token)
    if limited is not None:
        return limited
    _choose_language(request)
    form = await request.form()
    choice = str(form.get("choice", "")).strip()
    feedback, status = None, 200
    try:
        if not choice:
            raise errors.SubstituteNotAllowed(reason="unavailable")
        await oos.choose_in_advance(new_uow(request), token, line_id,
                                    None if choice == "none" else choice, clock(request))
        feedback = Feedback("ok", _("Thank you! The picker will see your choice.")
                            if choice != "none" else
                            _("Noted: if it is missing, we will refund it."))
    except (service.LinkNotFound, service.LinkExpired) as err:
        return _link_error(request, err)
    except errors.PickingError as err:
        feedback, status = describe(err), status_for(err)
    return await _choice_answer(request, token, feedback, status, "advance")


@post("/c/{token:str}/lines/{line_id:int}/fallback", name="customer:fallback")
async def customer_fallback(request: Req, token: FromPath[str], line_id: FromPath[int]
                            ) -> Response[Any]:
    """What happens to this line's offers if the customer does not answer in time
    (``fallback`` = refund | best_match). Issue 15, item 8."""
    limited = await _too_many(request, token)
    if limited is not None:
        return limited
    _choose_language(request)
    form = await request.form()
    fallback = str(form.get("fallback", ""))[:32]
    where = "advance" if form.get("where") == "advance" else "offers"
    feedback, status = None, 200
    try:
        await oos.set_fallback(new_uow(request), token, line_id, fallback, clock(request))
        feedback = Feedback("ok", _("Saved: if you do not answer in time, we keep the best "
                                    "match.") if fallback == "best_match" else
                            _("Saved: if you do not answer in time, it is refunded."))
    except (service.LinkNotFound, service.LinkExpired) as err:
        return _link_error(request, err)
    except errors.PickingError as err:
        feedback, status = describe(err), status_for(err)
    return await _choice_answer(request, token, feedback, status, where)


async def _choice_answer(request: Req, token: str, feedback: Feedback | None, status: int,
                         where: str) -> Response[Any]:
    """The answer to a choice made ahead (issue 15): the page again without htmx, else the
    part it was made in (the advance choices, or the offers)."""
    if not is_htmx(request):
        return redirect(request, request.app.route_reverse("customer:order", token=token)
                        + f"?lang={i18n.current_language()}")
    async with reading(request) as session:
        order = await service.customer_view(reads(session), token)
        advance = await oos.advance_choices(reads(session), order, clock(request))
    context = page_context(request, order, token, advance=advance)
    if where == "advance":
        return render(request, "customer/order.html", {**context, "advance_feedback": feedback},
                      fragment="customer/_advance.html", status_code=status)
    return render(request, "customer/order.html", {**context, "feedback": feedback},
                  fragment="customer/_offers.html", status_code=status)


# -- pickup check-in -------------------------------------------------------------------

# The pickup section is drawn again when the order is packed, when the customer checks in
# (from this phone or another one) and when it is handed over (the section goes away).
PICKUP_EVENTS = frozenset({"OrderPacked", "CustomerOnTheWay", "CustomerArrived",
                           "OrderHandedOver"})
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
            "X-Robots-Tag": "noindex"}


async def pickup_context(session: AsyncSession, order: Order) -> dict[str, Any]:
    """What ``customer/_pickup.html`` shows: the arrival record (None: nothing to
    check in for) and the store's pickup place, hours and bays."""
    came = (await floor_queries.arrival_of(session, order.id)
            if order.id is not None and order.awaits_pickup else None)
    settings = (await floor_queries.pickup_settings(session, order.store_id)
                if came is not None else arrival.PickupSettings())
    return {"arrival": came, "pickup": settings, "pickup_code": None, "pickup_feedback": None}


@post("/c/{token:str}/check-in", name="customer:check_in")
async def customer_check_in(request: Req, token: FromPath[str]) -> Response[Any]:
    """"On my way" (``step`` = on_the_way) or "I'm here" (arrived, with ``bay``).
    Each step is taken once; the answer shows the pickup code (never a GET)."""
    limited = await _too_many(request, token)
    if limited is not None:
        return limited
    _choose_language(request)
    form = await request.form()
    feedback, status = None, 200
    try:
        await arrival.check_in(new_uow(request), token, str(form.get("step", "")),
                               clock(request), str(form.get("bay", "")))
        feedback = Feedback("ok", _("Thank you! The store knows you are here.")
                            if form.get("step") == "arrived" else
                            _("Thank you! The store knows you are on the way."))
    except (service.LinkNotFound, service.LinkExpired) as err:
        return _link_error(request, err)
    except errors.PickingError as err:
        feedback, status = describe(err), status_for(err)
    return await _pickup_answer(request, token, feedback, status)


@post("/c/{token:str}/code", name="customer:code")
async def customer_code(request: Req, token: FromPath[str]) -> Response[Any]:
    """The pickup code, for the link's holder after check-in (a POST: previews never
    send one)."""
    limited = await _too_many(request, token)
    if limited is not None:
        return limited
    _choose_language(request)
    return await _pickup_answer(request, token, None, 200)


async def _pickup_answer(request: Req, token: str, feedback: Feedback | None,
                         status: int) -> Response[Any]:
    try:
        async with reading(request) as session:
            order = await service.customer_view(reads(session), token)
            pickup = await pickup_context(session, order)
            code = await floor_queries.pickup_code(session, token,
                                                   request.app.state.settings.secret_key)
    except (service.LinkNotFound, service.LinkExpired) as err:
        return _link_error(request, err)
    context = {**page_context(request, order, token), **pickup, "pickup_code": code,
               "pickup_feedback": feedback}
    if is_htmx(request):
        return render(request, "customer/order.html", context,
                      fragment="customer/_pickup.html", status_code=status, headers=NO_STORE)
    return render(request, "customer/order.html", context, status_code=status,
                  headers=NO_STORE)


HANDLERS = [customer_page, customer_decide, customer_live, customer_advance, customer_fallback,
            customer_check_in, customer_code]
