"""The picker's side of substitutions: choose and scan a substitute, see answers live.

(The periodic task that times out proposals whose window has run out is
``app.background.expiring_substitutions``, started in the app's lifespan.)
"""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Response, ServerSentEvent, Template
from sqlalchemy import select

from app import queries
from app.auth import requires_area
from app.db import tables
from app.db.repo_oos import reads
from app.services import substitutions as service
from app.views.substitute_choice import answer_notice, choice_page
from app.web.deps import clock, marking_checker, new_uow, public_base_url, reading
from app.web.forms import FormError, parse_quantity
from app.web.live import live_stream
from app.web.messages import Feedback, describe, status_for
from app.web.picker import screen_view
from app.web.render import redirect, render, render_fragment
from picking import errors
from picking.substitution import SUBSTITUTION_EVENTS, latest_decision

Req = Request[Any, Any, Any]

def describe_substitution(err: errors.PickingError) -> Feedback:
    """Messages for the substitution errors (the one error table, as ``describe``)."""
    return describe(err)


ORDER_CHANGES = ("OrderCancelled", "OrderRevised")  # what the OMS does to an order
OOS_CHANGES = ("SubstituteChoiceOffered", "SubstituteChosenInAdvance", "LineReopened")


class SubstituteController(Controller):
    path = "/pick"
    guards = [requires_area("pick")]

    @get("/{order_id:int}/lines/{line_id:int}/substitute", name="subs:choose")
    async def choose(self, request: Req, order_id: FromPath[int], line_id: FromPath[int]
                     ) -> Template:
        """Suggested substitutes for a short line and the scan that offers one;
        ``?wider=1``: the picker asks for other kinds (only when the line's own
        kind has nothing suitable)."""
        return await choose_page(request, order_id, line_id,
                                 wider=request.query_params.get("wider") == "1")

    @post("/{order_id:int}/lines/{line_id:int}/substitute", name="subs:propose")
    async def propose(self, request: Req, order_id: FromPath[int], line_id: FromPath[int]
                      ) -> Response[Any]:
        """Verify the scanned substitute and send it to the customer."""
        form = await request.form()
        other_kind = form.get("other_category") == "1"
        try:
            quantity = parse_quantity(form.get("quantity")) if form.get("quantity") else None
            await propose_from_request(request, order_id, line_id, str(form.get("code", "")),
                                       quantity, other_category_ok=other_kind)
        except errors.PickingError as err:
            return await choose_page(request, order_id, line_id, describe_substitution(err),
                                     status_for(err), scanned=str(form.get("code", "")),
                                     wider=other_kind, refused=err.params.get("reason"))
        except FormError as err:
            return await choose_page(request, order_id, line_id, Feedback("error", str(err)),
                                     422)
        target = request.app.route_reverse("pick:order", order_id=order_id)
        return redirect(request, f"{target}#line-{line_id}")

    @get("/{order_id:int}/substitutions/live", name="subs:live")
    async def live(self, request: Req, order_id: FromPath[int]) -> ServerSentEvent:
        """Server-sent events for the pick page: the customer's answers swapped into
        the pick list, and the OMS cancelling or changing the order. Another
        store's order (or none) is not found: its changes are not ours to hear."""
        store_id = request.user.store_id
        async with reading(request) as session:
            mine = await session.scalar(select(tables.orders.c.id).where(
                tables.orders.c.id == order_id, tables.orders.c.store_id == store_id))
        if mine is None:
            raise NotFoundException()

        async def fragments(message: dict[str, Any]) -> list[tuple[str, str]]:
            if message.get("type") == "subscribed":
                return [("substitution", "")]  # opens the stream at once (see live.py)
            if message.get("type") in ORDER_CHANGES:
                html = render_fragment(request, "picking/_order_changed.html",
                                       {"change": message["type"], "order_id": order_id})
                return [("substitution", html)]
            if message.get("type") in OOS_CHANGES:  # issue 15: the line's marks changed
                return [("substitution", await _oos_lines(request, order_id, store_id))]
            if message.get("type") not in SUBSTITUTION_EVENTS:
                return []
            async with reading(request) as session:
                order = await queries.order_for_screen(session, order_id, store_id)
            if order is None:
                return []
            decided = message["type"] == "SubstitutionDecided"
            return [("substitution", _live_lines(request, order, announce=decided))]

        return live_stream(request, [f"order:{order_id}"], fragments,
                           initial={"type": "subscribed"})


async def _oos_lines(request: Req, order_id: int, store_id: int) -> str:
    """The open lines again, out of band, with their "likely out" marks and the
    customer's choice in advance."""
    from app import oos_queries

    async with reading(request) as session:
        order = await queries.order_for_screen(session, order_id, store_id)
        if order is None:
            return ""
        marks = await oos_queries.marks_for_lines(session, order, clock(request))
    context = {"order_id": order_id, "oob": True}
    return "\n".join(render_fragment(request, "picking/_line.html", {**context, "line": line})
                     for line in screen_view(request, order, **marks).lines
                     if line.state == "open")


def _live_lines(request: Req, order: Any, *, announce: bool) -> str:
    """Every line with proposals and the progress (out of band), and, when
    ``announce``, a notice about the latest answer."""
    latest = latest_decision(order.proposals()) if announce else None
    feedback_id = secrets.token_hex(4)
    parts = [render_fragment(request, "substitutes/_notice.html", {
        "notice": answer_notice(order, latest), "feedback_id": feedback_id})]
    view = screen_view(request, order)
    context = {"pick": view, "order_id": order.id, "oob": True, "feedback_id": feedback_id}
    if latest is not None:  # an approval adds a line: send the whole list
        parts.append(render_fragment(request, "picking/_pick_lines.html", context))
    else:
        parts += [render_fragment(request, "picking/_line.html", {**context, "line": line})
                  for line in view.lines if line.proposals]
    parts.append(render_fragment(request, "picking/_progress.html", context))
    return "\n".join(parts)


async def propose_from_request(request: Req, order_id: int, line_id: int, code: str,
                               quantity: int | None = None, *,
                               other_category_ok: bool = False) -> service.Proposed:
    """Offer the scanned ``code`` (field, camera or photo) with the app's settings."""
    settings = request.app.state.settings
    return await service.propose(
        new_uow(request), request.user, order_id, line_id, code, now=clock(request),
        window_minutes=settings.substitution_window_minutes,
        base_url=public_base_url(request), quantity=quantity,
        other_category_ok=other_category_ok, checker=marking_checker(request))


async def choose_page(request: Req, order_id: int, line_id: int,
                      feedback: Feedback | None = None, status_code: int = 200,
                      *, fragment: bool = False, wider: bool = False,
                      **extra: Any) -> Template:
    """The substitute page; with ``fragment`` an htmx request gets only its feedback."""
    try:
        async with reading(request) as session:
            found = await service.suggestions(reads(session), request.user, order_id, line_id,
                                              wider=wider)
    except errors.PickingError as err:
        return render(request, "error.html", {"feedback": describe(err)},
                      status_code=status_for(err))
    return render(request, "substitutes/choose.html", {
        "choice": choice_page(found.order, found.line, found.products, wider=found.wider,
                              wider_available=found.wider_available),
        "feedback": feedback, "feedback_id": secrets.token_hex(4),
        **extra}, status_code=status_code,
        fragment="substitutes/_choose_feedback.html" if fragment else None)
