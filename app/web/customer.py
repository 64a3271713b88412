"""The customer's page behind the link in the SMS: live progress and substitutes.

No sign-in: the token in the URL is the capability. GET never changes
anything (message apps open links to build previews); decisions are POSTs
with the CSRF token. A forged or unknown token and another order's proposal
get the same friendly 404 with no data; a link of a finished order gets 410.
Every endpoint is rate limited per client IP and per token.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, ServerSentEvent, Template

from app import i18n
from app.i18n import gettext as _
from app.services import substitutions as service
from app.web.deps import clock, new_uow, reading
from app.web.live import live_stream
from app.web.messages import Feedback, describe, status_for
from app.web.render import is_htmx, redirect, render, render_fragment
from picking import errors
from picking.model import Order
from picking.substitution import SUBSTITUTION_EVENTS, ProposalClosed, proposals_of

Req = Request[Any, Any, Any]


class TokenBucket:
    """A small in-process rate limiter: ``capacity`` requests at once, refilled
    at ``rate`` per second, one bucket per key."""

    def __init__(self, capacity: float, rate: float,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.capacity, self.rate, self._now = capacity, rate, monotonic
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str) -> bool:
        now = self._now()
        tokens, last = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if len(self._buckets) > 10_000:
            self._buckets.clear()  # a flood of new keys: forget, rather than grow
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1, now)
        return True


def _limits(request: Req) -> tuple[TokenBucket, TokenBucket]:
    state = request.app.state
    limits = getattr(state, "customer_limits", None)
    if limits is None:
        limits = state.customer_limits = (TokenBucket(60, 1.0), TokenBucket(30, 0.5))
    return limits


def _too_many(request: Req, token: str) -> Template | None:
    by_ip, by_token = _limits(request)
    ip = request.client.host if request.client else "?"
    if by_ip.allow(ip) and by_token.allow(service.link_hash(token)[:16]):
        return None
    _choose_language(request)
    return render(request, "customer/link_error.html", {"feedback": Feedback(
        "warn", _("Too many requests. Please wait a minute and try again."))},
        status_code=429, headers={"Retry-After": "60"})


def _choose_language(request: Req) -> str:
    wanted = request.query_params.get("lang")
    return i18n.set_language(wanted) if wanted in i18n.LANGUAGES else i18n.current_language()


def _link_error(request: Req, err: errors.PickingError) -> Template:
    return render(request, "customer/link_error.html", {"feedback": describe(err)},
                  status_code=status_for(err))


def page_context(request: Req, order: Order, token: str) -> dict[str, Any]:
    lines = order.lines_in_walking_order()
    return {"order": order, "token": token, "lang_query": f"?lang={i18n.current_language()}",
            "offers": [ln for ln in lines if proposals_of(ln)],
            "feedback_id": secrets.token_hex(4)}


@get("/c/{token:str}", name="customer:order")
async def customer_page(request: Req, token: FromPath[str]) -> Template:
    """The order's progress and the substitutes waiting for an answer. Read only."""
    limited = _too_many(request, token)
    if limited is not None:
        return limited
    _choose_language(request)
    try:
        async with reading(request) as session:
            order = await service.customer_view(session, token)
    except (service.LinkNotFound, service.LinkExpired) as err:
        return _link_error(request, err)
    return render(request, "customer/order.html", page_context(request, order, token),
                  headers={"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"})


@post("/c/{token:str}/p/{ref:str}", name="customer:decide")
async def customer_decide(request: Req, token: FromPath[str], ref: FromPath[str]
                          ) -> Template | Redirect:
    """Approve or reject one substitute (``decision`` = approve | reject)."""
    limited = _too_many(request, token)
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
        order = await service.customer_view(session, token)
    return render(request, "customer/order.html",
                  {**page_context(request, order, token), "feedback": feedback},
                  fragment="customer/_offers.html", status_code=status)


@get("/c/{token:str}/live", name="customer:live")
async def customer_live(request: Req, token: FromPath[str]) -> ServerSentEvent | Template:
    """Server-sent events: progress on every change, the offers on substitutions."""
    limited = _too_many(request, token)
    if limited is not None:
        return limited
    language = _choose_language(request)
    try:
        async with reading(request) as session:
            order = await service.customer_view(session, token)
    except (service.LinkNotFound, service.LinkExpired) as err:
        return _link_error(request, err)

    async def fragments(message: dict[str, Any]) -> list[tuple[str, str]]:
        i18n.set_language(language)
        async with reading(request) as session:
            try:
                fresh = await service.customer_view(session, token)
            except (service.LinkNotFound, service.LinkExpired):
                return [("progress", "")]
        context = page_context(request, fresh, token)
        out = [("progress", render_fragment(request, "customer/_progress.html", context))]
        if message.get("type") in SUBSTITUTION_EVENTS or message.get("initial"):
            out.append(("offers", render_fragment(request, "customer/_offers.html", context)))
        return out

    return live_stream(request, [f"order:{order.id}"], fragments, initial={"initial": True})


HANDLERS = [customer_page, customer_decide, customer_live]
