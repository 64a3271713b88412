"""The packing desk: pack a picked order, print its bag labels, take back failed deliveries.

Handlers parse, call one service, and choose a template; every action is a plain
form post.
"""

from __future__ import annotations

from typing import Any

import segno
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Response, Template

from app import handover_queries as queries
from app.auth import requires_area
from app.services import handover as service
from app.services.arrival import CheckInLink
from app.views.handover import labels_page, pack_page
from app.web.deps import clock, new_uow, public_base_url, reading
from app.web.handover_messages import describe_handover, reason_label, status_for_handover
from app.web.messages import Feedback
from app.web.places import stored_place
from app.web.render import redirect, render
from picking import errors
from picking.bags import ZONES, propose_bags
from picking.model import Order, OrderStatus

Req = Request[Any, Any, Any]
LABEL_SIZES = ("58mm", "100x150", "a4")
DEFAULT_PLACES = {"ambient": "", "chilled": "", "frozen": ""}


class PackingController(Controller):
    path = "/pack"
    guards = [requires_area("pack")]

    @get("/", name="pack:desk")
    async def desk(self, request: Req) -> Template:
        async with reading(request) as session:
            lists = await queries.packed_and_returned(session, request.user.store_id)
        return render(request, "packing/desk.html", {**lists, "reason_label": reason_label})

    @get("/{order_id:int}", name="pack:order")
    async def order(self, request: Req, order_id: FromPath[int]) -> Response[Any]:
        return await _pack_page(request, order_id)

    @post("/{order_id:int}", name="pack:confirm")
    async def confirm(self, request: Req, order_id: FromPath[int]) -> Response[Any]:
        form = await request.form()
        bags = {z: _count(form.get(f"bags_{z}")) for z in ZONES}
        staging = {z: str(form.get(f"place_{z}", "")) for z in ZONES}
        try:
            await service.pack_order(new_uow(request), request.user, order_id, bags,
                                     {z: stored_place(place) for z, place in staging.items()},
                                     clock(request), check_in_link=CheckInLink(
                                         public_base_url(request),
                                         request.app.state.settings.secret_key))
        except errors.WrongHandoverStep as err:
            if err.status != "packed":
                return await _pack_page(request, order_id, describe_handover(err),
                                        status_for_handover(err), bags=bags, staging=staging)
            # Packed already (a double tap, a resent form): its labels, as the first answer.
        except errors.PickingError as err:
            return await _pack_page(request, order_id, describe_handover(err),
                                    status_for_handover(err), bags=bags, staging=staging)
        return redirect(request, request.app.route_reverse("pack:labels", order_id=order_id))

    @get("/{order_id:int}/labels", name="pack:labels")
    async def labels(self, request: Req, order_id: FromPath[int],
                     size: FromQuery[str] = "58mm") -> Template:
        order = await _order(request, order_id)
        if order is None or order.handover is None:
            return _not_found(request)
        return render(request, "packing/labels.html", {
            "packed": labels_page(order, order.handover, _qr),
            "size": size if size in LABEL_SIZES else "58mm", "sizes": LABEL_SIZES})

    @post("/{order_id:int}/return", name="pack:return")
    async def take_back(self, request: Req, order_id: FromPath[int]) -> Response[Any]:
        try:
            await service.return_to_staging(new_uow(request), request.user, order_id,
                                            clock(request))
        except errors.PickingError as err:
            # Back in staging already (a second tap): the desk, as after the first.
            if not (isinstance(err, errors.WrongHandoverStep) and err.status == "packed"):
                return render(request, "error.html", {"feedback": describe_handover(err)},
                              status_code=status_for_handover(err))
        return redirect(request, request.app.route_reverse("pack:desk"))


def _qr(text: str) -> str:
    """A bag code's QR, as inline SVG for the label."""
    svg: str = segno.make(text, error="m").svg_inline(scale=4, border=2)
    return svg


def _count(value: Any) -> int:
    text = str(value or "0").strip()
    return int(text) if text.isdigit() and len(text) < 4 else -1


async def _order(request: Req, order_id: int) -> Order | None:
    async with reading(request) as session:
        return await queries.order_with_handover(session, order_id, request.user.store_id)


def _not_found(request: Req) -> Template:
    return render(request, "error.html", {"feedback": describe_handover(errors.OrderNotFound())},
                  status_code=404)


async def _pack_page(request: Req, order_id: int, feedback: Feedback | None = None,
                     status_code: int = 200, **extra: Any) -> Response[Any]:
    order = await _order(request, order_id)
    if order is None:
        return _not_found(request)
    if order.handover is not None and feedback is None:
        return redirect(request, request.app.route_reverse("pack:labels", order_id=order_id))
    items = order.pack_items()
    proposal = propose_bags(items)
    zones = [z for z in ZONES if proposal[z]]
    if not zones and order.status is OrderStatus.PICKED and feedback is None:
        # Nothing was picked: no form that would pack an empty order; the reason instead.
        feedback = describe_handover(errors.NothingToPack(order=order.oms_id))
    return render(request, "packing/pack.html", {
        "pack": pack_page(order), "zones": zones, "bags": extra.get("bags") or proposal,
        "staging": extra.get("staging") or DEFAULT_PLACES, "feedback": feedback},
        status_code=status_code)
