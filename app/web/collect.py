"""The click & collect counter: pickup code, bag scans, refusals, handover.

Handlers parse, call one service, and choose a template; every action is a plain
form post.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Response, Template

from app import floor_queries
from app import handover_queries as queries
from app.auth import requires_area
from app.i18n import gettext as _
from app.marking import recheck_order
from app.services import handover as service
from app.views.handover import handover_page
from app.web.deps import clock, marking_checker, new_uow, reading
from app.web.handover_messages import describe_handover, reason_label, status_for_handover
from app.web.messages import Feedback
from app.web.render import redirect, render
from picking import errors
from picking.handover_facts import REFUSAL_REASONS

Req = Request[Any, Any, Any]


class CollectController(Controller):
    path = "/collect"
    guards = [requires_area("collect")]

    @get("/", name="collect:counter")
    async def counter(self, request: Req) -> Template:
        return await _counter_page(request, fragment="collect/_arrivals.html")

    @post("/code", name="collect:code")
    async def code(self, request: Req) -> Response[Any]:
        form = await request.form()
        try:
            order_id = await service.check_pickup_code(
                new_uow(request), request.user, str(form.get("code", "")), clock(request))
        except errors.PickingError as err:
            return await _counter_page(request, describe_handover(err), status_for_handover(err))
        return redirect(request, request.app.route_reverse("collect:order", order_id=order_id))

    @get("/{order_id:int}", name="collect:order")
    async def order(self, request: Req, order_id: FromPath[int]) -> Template:
        return await _order_page(request, order_id)

    @post("/{order_id:int}/scan", name="collect:scan")
    async def scan(self, request: Req, order_id: FromPath[int]) -> Template:
        form = await request.form()
        try:
            _order, bag, _fresh = await service.scan_bag(
                new_uow(request), request.user, str(form.get("code", "")), clock(request),
                order_id=order_id)
        except errors.PickingError as err:
            return await _order_page(request, order_id, describe_handover(err),
                                     status_for_handover(err))
        return await _order_page(request, order_id, Feedback(
            "ok", _("Bag %(k)s of %(n)s scanned.", k=bag.number, n=bag.count)))

    @post("/{order_id:int}/refuse", name="collect:refuse")
    async def refuse(self, request: Req, order_id: FromPath[int]) -> Template:
        form = await request.form()
        line_id, quantity = str(form.get("line_id", "")), str(form.get("quantity", "1"))
        try:
            await service.refuse_line(
                new_uow(request), request.user, order_id,
                int(line_id) if line_id.isdigit() else 0,
                int(quantity) if quantity.isdigit() else 0, str(form.get("reason", "")),
                clock(request), unit_code=str(form.get("unit_code", "")))
        except errors.PickingError as err:
            return await _order_page(request, order_id, describe_handover(err),
                                     status_for_handover(err))
        return await _order_page(request, order_id,
                                 Feedback("warn", _("Refusal recorded: it will be refunded.")))

    @post("/{order_id:int}/hand-over", name="collect:hand_over")
    async def hand_over(self, request: Req, order_id: FromPath[int]) -> Response[Any]:
        form = await request.form()
        try:
            now = clock(request)
            recheck = await recheck_order(request.app.state.db, marking_checker(request),
                                          order_id, now)
            await service.hand_over_to_customer(
                new_uow(request), request.user, order_id, now,
                id_checked=str(form.get("id_checked", "")) == "1", recheck=recheck)
        except errors.PickingError as err:
            async with reading(request) as session:
                again = await queries.done_already(session, err, order_id,
                                                   request.user.store_id, request.user.id,
                                                   "delivered")
            if not again:  # else handed over by this clerk a moment ago: the same answer
                return await _order_page(request, order_id, describe_handover(err),
                                         status_for_handover(err))
        return await _counter_page(request, Feedback("ok", _("Handed over. Thank you!")))


async def _counter_page(request: Req, feedback: Feedback | None = None,
                        status_code: int = 200, fragment: str | None = None) -> Template:
    store_id = request.user.store_id
    async with reading(request) as session:
        rows = await queries.ready_for_collection(session, store_id)
        pickup = await floor_queries.pickup_settings(session, store_id)
        waiting = await floor_queries.waiting_customers(session, store_id, clock(request),
                                                        pickup.wait_limit_minutes)
    return render(request, "collect/counter.html", {
        "rows": rows, "feedback": feedback, "waiting": waiting, "pickup": pickup},
        status_code=status_code, fragment=fragment)


async def _order_page(request: Req, order_id: int, feedback: Feedback | None = None,
                      status_code: int = 200) -> Template:
    async with reading(request) as session:
        order = await queries.order_with_handover(session, order_id, request.user.store_id)
    if order is None or order.handover is None or order.fulfilment != "collect":
        return render(request, "error.html", {"feedback": describe_handover(
            errors.OrderNotFound())}, status_code=404)
    return render(request, "collect/order.html", {
        "handover": handover_page(order, order.handover, request.user.id, clock(request)),
        "feedback": feedback,
        "refusal_reasons": REFUSAL_REASONS, "reason_label": reason_label},
        status_code=status_code)
