"""The courier's screens: ready orders, take one by scanning its bags, deliver or fail.

Handlers parse, call one service, and choose a template; every action is a plain
form post (the scan field is a form a wedge scanner types into).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from litestar.response import Response, Template

from app import handover_queries as queries
from app.auth import requires_area
from app.i18n import gettext as _
from app.marking import recheck_order
from app.proof_photo import (
    MAX_PROOF_BYTES,
    ProofRejected,
    clean_photo_async,
    remove_proof,
    store_proof,
)
from app.services import handover as service
from app.views.handover import handover_page
from app.web.deps import clock, marking_checker, new_uow, reading
from app.web.handover_messages import describe_handover, reason_label, status_for_handover
from app.web.messages import Feedback
from app.web.render import redirect, render
from picking import errors
from picking.handover_facts import FAILURE_REASONS, REFUSAL_REASONS

Req = Request[Any, Any, Any]
PHOTO_MESSAGES = {
    "too_large": "The photo is too large (at most %(mb)s MB).",
    "too_many_pixels": "The photo has too many pixels: take it again at a lower resolution.",
    "not_an_image": "The upload is not a readable photo.",
}


class CourierController(Controller):
    path = "/courier"
    guards = [requires_area("courier")]

    @get("/", name="courier:list")
    async def orders(self, request: Req) -> Template:
        return await _list_page(request)

    @post("/scan", name="courier:scan")
    async def scan_any(self, request: Req) -> Response[Any]:
        form = await request.form()
        try:
            order, _bag, _fresh = await service.scan_bag(
                new_uow(request), request.user, str(form.get("code", "")), clock(request))
        except errors.PickingError as err:
            return await _list_page(request, describe_handover(err), status_for_handover(err))
        return redirect(request, request.app.route_reverse("courier:take", order_id=order.id))

    @get("/take/{order_id:int}", name="courier:take")
    async def take_page(self, request: Req, order_id: FromPath[int]) -> Template:
        return await _order_page(request, order_id, "courier/take.html")

    @post("/take/{order_id:int}/scan", name="courier:take_scan")
    async def scan(self, request: Req, order_id: FromPath[int]) -> Template:
        form = await request.form()
        try:
            _order, bag, fresh = await service.scan_bag(
                new_uow(request), request.user, str(form.get("code", "")), clock(request),
                order_id=order_id)
        except errors.PickingError as err:
            return await _order_page(request, order_id, "courier/take.html",
                                     describe_handover(err), status_for_handover(err))
        text = (_("Bag %(k)s of %(n)s scanned.", k=bag.number, n=bag.count) if fresh
                else _("Bag %(k)s of %(n)s was already scanned.", k=bag.number, n=bag.count))
        return await _order_page(request, order_id, "courier/take.html",
                                 Feedback("ok" if fresh else "warn", text))

    @post("/take/{order_id:int}", name="courier:take_confirm")
    async def take(self, request: Req, order_id: FromPath[int]) -> Response[Any]:
        try:
            now = clock(request)
            recheck = await recheck_order(request.app.state.db, marking_checker(request),
                                          order_id, now)
            await service.take_order(new_uow(request), request.user, order_id, now,
                                     recheck=recheck)
        except errors.PickingError as err:
            if not await _done_already(request, err, order_id, "handed_over"):
                return await _order_page(request, order_id, "courier/take.html",
                                         describe_handover(err), status_for_handover(err))
        return redirect(request, request.app.route_reverse("courier:list"))

    @get("/orders/{order_id:int}", name="courier:order")
    async def delivery_page(self, request: Req, order_id: FromPath[int]) -> Template:
        return await _order_page(request, order_id, "courier/deliver.html")

    @post("/orders/{order_id:int}/refuse", name="courier:refuse")
    async def refuse(self, request: Req, order_id: FromPath[int]) -> Template:
        form = await request.form()
        try:
            await service.refuse_line(
                new_uow(request), request.user, order_id, _int(form.get("line_id")),
                _int(form.get("quantity"), 1), str(form.get("reason", "")), clock(request),
                unit_code=str(form.get("unit_code", "")))
        except errors.PickingError as err:
            return await _order_page(request, order_id, "courier/deliver.html",
                                     describe_handover(err), status_for_handover(err))
        return await _order_page(request, order_id, "courier/deliver.html",
                                 Feedback("warn", _("Refusal recorded: it will be refunded.")))

    @post("/orders/{order_id:int}/delivered", name="courier:delivered",
          request_max_body_size=MAX_PROOF_BYTES + 256 * 1024)
    async def delivered(self, request: Req, order_id: FromPath[int]) -> Response[Any]:
        try:
            form = await request.form()
        except HTTPException as exc:
            if exc.status_code != 413:
                raise
            return await _photo_refused(request, order_id, ProofRejected(413, "too_large"))
        photo = form.get("photo")
        id_checked = str(form.get("id_checked", "")) == "1"
        data_dir = request.app.state.settings.data_dir
        path = None
        try:
            if photo is not None and not isinstance(photo, str) and photo.filename:
                # The order, store and state are checked before the photo is decoded or
                # written: a refused delivery costs no decode and leaves no file.
                await service.check_delivery(new_uow(request), request.user, order_id,
                                             clock(request), id_checked=id_checked)
                cleaned = await clean_photo_async(await photo.read())
                path = await store_proof(cleaned, data_dir, order_id)
            await service.deliver(new_uow(request), request.user, order_id, clock(request),
                                  id_checked=id_checked, proof_photo=path)
        except ProofRejected as rejected:
            return await _photo_refused(request, order_id, rejected)
        except errors.PickingError as err:
            if path is not None:
                await remove_proof(data_dir, path)
            if not await _done_already(request, err, order_id, "delivered"):
                return await _order_page(request, order_id, "courier/deliver.html",
                                         describe_handover(err), status_for_handover(err))
        except BaseException:
            if path is not None:
                await remove_proof(data_dir, path)
            raise
        return redirect(request, request.app.route_reverse("courier:list"))

    @post("/orders/{order_id:int}/failed", name="courier:failed")
    async def failed(self, request: Req, order_id: FromPath[int]) -> Response[Any]:
        form = await request.form()
        try:
            await service.fail_delivery(new_uow(request), request.user, order_id,
                                        str(form.get("reason", "")), str(form.get("note", "")),
                                        clock(request))
        except errors.PickingError as err:
            if not await _done_already(request, err, order_id, "delivery_failed"):
                return await _order_page(request, order_id, "courier/deliver.html",
                                         describe_handover(err), status_for_handover(err))
        return redirect(request, request.app.route_reverse("courier:list"))


async def _done_already(request: Req, err: errors.PickingError, order_id: int,
                        status: str) -> bool:
    async with reading(request) as session:
        return await queries.done_already(session, err, order_id, request.user.store_id,
                                          request.user.id, status)


def _int(value: Any, default: int = 0) -> int:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 7 else default


async def _photo_refused(request: Req, order_id: int, rejected: ProofRejected) -> Template:
    text = _(PHOTO_MESSAGES[rejected.problem], mb=MAX_PROOF_BYTES // 2**20)
    return await _order_page(request, order_id, "courier/deliver.html",
                             Feedback("error", text), rejected.status)


async def _list_page(request: Req, feedback: Feedback | None = None,
                     status_code: int = 200) -> Template:
    user = request.user
    async with reading(request) as session:
        ready = await queries.ready_for_couriers(session, user.store_id)
        mine = await queries.courier_orders(session, user.store_id, user.id)
    return render(request, "courier/list.html",
                  {"ready": ready, "mine": mine, "feedback": feedback,
                   "reason_label": reason_label},
                  status_code=status_code)


async def _order_page(request: Req, order_id: int, page: str, feedback: Feedback | None = None,
                      status_code: int = 200) -> Template:
    async with reading(request) as session:
        order = await queries.order_with_handover(session, order_id, request.user.store_id)
    if order is None or order.handover is None or order.fulfilment != "delivery":
        return render(request, "error.html", {"feedback": describe_handover(
            errors.OrderNotFound())}, status_code=404)
    return render(request, page, {
        "handover": handover_page(order, order.handover, request.user.id, clock(request)),
        "feedback": feedback,
        "reason_label": reason_label,
        "refusal_reasons": REFUSAL_REASONS, "failure_reasons": FAILURE_REASONS},
        status_code=status_code)
