"""The picker's screens: queue, pick list, scan, weigh, undo, short, finish.

Handlers parse, call one service, and choose a template. Every action is a
plain form post; htmx requests get the fragments the page is built from.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Response, Template

from app import i18n, queries
from app.auth import requires_area
from app.floor_queries import load_store
from app.i18n import gettext as _
from app.marking import freshness_kept
from app.runs_queries import active_run, waiting_puts
from app.services import picking as service
from app.web.deps import clock, marking_checker, new_uow, quick_reading, reading
from app.web.forms import (
    FormError,
    parse_confirm,
    parse_quantity,
    parse_weight,
    scan_id_from,
    scanned_at_from,
    typed_expiry_from,
)
from app.web.messages import Feedback, describe, status_for
from app.web.render import is_htmx, redirect, render
from app.web.sizes import size_text
from picking import errors
from picking.model import SHORT_REASONS, Line, Order
from picking.status import OrderStatus
from picking.views import LineView, PickView, line_view, pick_view

Req = Request[Any, Any, Any]


# An order in these is not picked: its summary is the pick page (or why it cannot be).
NOT_PICKED_YET = frozenset({OrderStatus.RECEIVED, OrderStatus.QUEUED, OrderStatus.PICKING})

class PickerController(Controller):
    path = "/pick"
    guards = [requires_area("pick")]

    @get("/", name="pick:queue")
    async def queue(self, request: Req) -> Template:
        user = request.user
        async with reading(request) as session:
            rows = await queries.picker_queue(session, user.store_id)
            current = await queries.current_order_id(session, user.id)
            run = await active_run(session, user.id)
        return render(request, "picking/queue.html", {"rows": rows, "current": current,
                                                      "run": run},
                      fragment="picking/_queue_list.html")

    @post("/next", name="pick:next")
    async def take_next(self, request: Req) -> Response[Any]:
        try:
            order_id = await service.take_next_order(new_uow(request), request.user, clock(request))
        except errors.PickingError as err:
            async with reading(request) as session:
                rows = await queries.picker_queue(session, request.user.store_id)
            return render(request, "picking/queue.html",
                          {"rows": rows, "current": None, "feedback": describe(err)},
                          fragment="picking/_queue_list.html")
        return redirect(request, request.app.route_reverse("pick:order", order_id=order_id))

    @get("/{order_id:int}", name="pick:order")
    async def order(self, request: Req, order_id: FromPath[int]) -> Response[Any]:
        return await _pick_page(request, order_id)

    @post("/{order_id:int}/scan", name="pick:scan")
    async def scan(self, request: Req, order_id: FromPath[int]) -> Response[Any]:
        form = await request.form()
        code = str(form.get("code", ""))
        try:
            quantity = parse_quantity(form.get("quantity"))
            at, adjusted = scanned_at_from(form, clock(request))
            outcome = await service.scan(
                new_uow(request), request.user, order_id, code, scan_id=scan_id_from(form),
                now=at, clock_adjusted=adjusted, quantity=quantity, confirm=parse_confirm(form),
                marking=marking_checker(request), typed_expiry=typed_expiry_from(form))
        except (errors.PickingError, FormError) as err:
            # The service recorded the refusal (keyed by the scan id) with the scan.
            return await _scan_failed(request, order_id, err, code)
        line = outcome.line
        text = _("%(name)s: %(picked)s of %(ordered)s",
                 name=line.product.name(request.user.language),
                 picked=_amount(line, line.picked_quantity), ordered=_amount(line, line.quantity))
        if is_htmx(request) and not outcome.state_changed:
            # The line is still open where it was: its body and the feedback say it all.
            # The settings the scan was judged by, read in its transaction: no session
            # of its own for them.
            store = outcome.store
            return _outcome(render(request, "picking/_scan_counted.html", {
                "order_id": order_id, "line": screen_line(request, line, store),
                "feedback": Feedback("ok", text), "feedback_id": secrets.token_hex(4),
                "short_reasons": SHORT_REASONS}), "accepted")
        return await _after_action(request, order_id, Feedback("ok", text), line=line)

    @post("/{order_id:int}/lines/{line_id:int}/weight", name="pick:weight")
    async def weight(self, request: Req, order_id: FromPath[int], line_id: FromPath[int]
                     ) -> Response[Any]:
        form = await request.form()
        try:
            grams = parse_weight(form.get("weight"), form.get("weight_unit"))
            at, adjusted = scanned_at_from(form, clock(request))
            line = await service.record_weight(
                new_uow(request), request.user, order_id, line_id, grams,
                scan_id=scan_id_from(form), now=at, clock_adjusted=adjusted,
                confirm=parse_confirm(form), typed_expiry=typed_expiry_from(form))
        except (errors.PickingError, FormError) as err:
            return await _scan_failed(request, order_id, err, "", line_id=line_id,
                                      weight=str(form.get("weight", ""))[:16],
                                      confirmed=parse_confirm(form))
        text = _("%(name)s: %(weight)s recorded", name=line.product.name(request.user.language),
                 weight=request_weight(line.picked_quantity))
        return await _after_action(request, order_id, Feedback("ok", text), line=line)

    @post("/{order_id:int}/undo", name="pick:undo")
    async def undo(self, request: Req, order_id: FromPath[int]) -> Response[Any]:
        form = await request.form()
        at = scanned_at_from(form, clock(request))[0]
        # Sent with an id (the phone's queue): applied once; junk becomes a fresh id.
        undo_id = scan_id_from(form) if "scan_id" in form else None
        return await _act(request, order_id, lambda uow: service.undo_last_scan(
            uow, request.user, order_id, at, undo_id=undo_id), _("Last scan undone."), "warn")

    @post("/{order_id:int}/lines/{line_id:int}/short", name="pick:short")
    async def short(self, request: Req, order_id: FromPath[int], line_id: FromPath[int]
                    ) -> Response[Any]:
        form = await request.form()
        reason = str(form.get("reason", ""))
        if reason not in SHORT_REASONS:
            return await _scan_failed(request, order_id, FormError(
                _("Choose why the item is missing.")), "")
        return await short_with_oos_loop(request, order_id, line_id, reason,
                                         scanned_at_from(form, clock(request))[0])

    @post("/{order_id:int}/finish", name="pick:finish")
    async def finish(self, request: Req, order_id: FromPath[int]) -> Response[Any]:
        async with reading(request) as session:  # an order of a run: its units in totes first
            waiting = await waiting_puts(session, order_id)
        if waiting:
            err = errors.PutsPending(count=waiting)
            return await _pick_page(request, order_id, describe(err), status_for(err))
        try:
            await service.finish_picking(new_uow(request), request.user, order_id,
                                         clock(request))
        except errors.PickingError as err:
            return await _pick_page(request, order_id, describe(err), status_for(err))
        return redirect(request, request.app.route_reverse("pick:summary", order_id=order_id))

    @get("/{order_id:int}/summary", name="pick:summary")
    async def summary(self, request: Req, order_id: FromPath[int]) -> Response[Any]:
        async with reading(request) as session:
            order = await queries.pick_page_order(session, order_id, request.user.store_id)
            fresh = {} if order is None else await freshness_kept(
                session, order, await load_store(session, request.user.store_id))
        if order is None:
            return render(request, "error.html", {"feedback": describe(errors.OrderNotFound())},
                          status_code=404)
        if order.status in NOT_PICKED_YET:  # no "is picked" for an order still on the shelves
            return redirect(request, request.app.route_reverse("pick:order", order_id=order_id))
        return render(request, "picking/summary.html", {
            "pick": screen_view(request, order), "fresh": fresh})


async def short_with_oos_loop(request: Req, order_id: int, line_id: int, reason: str,
                              at: Any) -> Response[Any]:
    """The short; an empty shelf marks the product likely out, and other orders'
    customers are offered a choice after the answer is sent (issue 15)."""
    from litestar.background_tasks import BackgroundTask

    from app.services import oos
    from app.web.deps import public_base_url

    settings = request.app.state.settings
    try:
        line, fresh = await oos.short_line(new_uow(request), request.user, order_id, line_id,
                                           reason, at,
                                           hold=timedelta(minutes=settings.likely_out_minutes))
    except errors.PickingError as err:
        return await _scan_failed(request, order_id, err, "")
    text = _("Marked as missing.")
    if fresh:
        text = _("Marked as missing. Other pickers and customers will know it is likely out.")
    response = await _after_action(request, order_id, Feedback("warn", text), line=line)
    if fresh and line.product.id is not None:
        response.background = BackgroundTask(
            oos.offer_choices, lambda: new_uow(request), request.user.store_id,
            line.product.id, at, base_url=public_base_url(request), besides=order_id)
    return response


def screen_view(request: Req, order: Order, store: Any = None, **extra: Any) -> PickView:
    """The pick page's read model of ``order``, built once per request: the templates
    see this, never the order. ``store`` (its settings) gives weighed lines their band;
    ``extra``: the shelves found empty (``likely_out``, ``choice_names``) and ``codes``."""
    return pick_view(order, language=i18n.current_language(), now=clock(request),
                     tolerance_for=store.tolerance_for if store is not None else None,
                     size_of=size_text, **extra)


def screen_line(request: Req, line: Line, store: Any = None) -> LineView:
    """One line's read model, for the fragment of a scan that leaves it open."""
    return line_view(line, language=i18n.current_language(), now=clock(request),
                     tolerance_for=store.tolerance_for if store is not None else None,
                     size_of=size_text)


def request_weight(grams: int) -> str:
    from app import i18n
    return i18n.weight(grams)


def _amount(line: Any, value: int) -> str:
    return request_weight(value) if line.is_weighed else str(value)


async def _act(request: Req, order_id: int, call: Callable[[Any], Awaitable[Any]],
               ok_text: str, kind: str) -> Response[Any]:
    try:
        line = await call(new_uow(request))
    except errors.PickingError as err:
        return await _scan_failed(request, order_id, err, "")
    return await _after_action(request, order_id, Feedback(kind, ok_text), line=line)


async def _store(request: Req) -> Any:
    """The store's settings (cached a few seconds): weighed lines show their tolerance band."""
    from app.floor_queries import load_store
    async with quick_reading(request) as session:
        return await load_store(session, request.user.store_id)


async def _after_action(request: Req, order_id: int, feedback: Feedback, *,
                        line: Any) -> Response[Any]:
    """htmx: the feedback, the changed line and the progress. Plain post: the page."""
    if not is_htmx(request):
        return _outcome(await _pick_page(request, order_id, feedback), "accepted")
    async with quick_reading(request) as session:
        order = await queries.pick_page_order(session, order_id, request.user.store_id)
    if order is None:  # gone meanwhile (another store's id cannot get here: the action failed)
        return _outcome(await _pick_page(request, order_id, feedback), "accepted")
    return _outcome(render(request, "picking/pick.html", {
        "pick": screen_view(request, order, await _store(request)), "order_id": order_id,
        "feedback": feedback, "oob": True, "feedback_id": secrets.token_hex(4)},
        fragment="picking/_scan_result.html"), "accepted")


async def _scan_failed(request: Req, order_id: int, err: Exception, code: str,
                       **extra: Any) -> Response[Any]:
    """The refusal's message. With htmx only the feedback fragment is sent, rendered
    without loading the order; a plain post gets the whole page."""
    if isinstance(err, errors.PickingError):
        feedback, status = describe(err), status_for(err)
    else:
        feedback, status = Feedback("error", str(err)), 422
    if feedback.kind == "warn" and isinstance(err, errors.WeightNeedsConfirmation):
        extra["confirm_needed"] = True
        # heavier than ordered: the customer may be asked instead (issue 15)
        extra["heavier"] = err.params.get("total_g", 0) > err.params.get("ordered_g", 0)
    if isinstance(err, errors.ExpiryDateNeeded):
        extra["date_needed"] = True
    extra["scanned"] = code
    if is_htmx(request) and not isinstance(err, errors.OrderNotFound):
        return _outcome(render(request, "picking/_scan_feedback.html", {
            "order_id": order_id, "feedback": feedback,
            "feedback_id": secrets.token_hex(4), **extra}, status_code=status), "refused")
    return _outcome(await _pick_page(request, order_id, feedback, status, fragment=True, **extra),
                    "refused")


def _outcome(response: Response[Any], outcome: str) -> Response[Any]:
    """Mark an action's answer, so a phone replaying its queue knows it was answered."""
    response.headers["X-Scan-Outcome"] = outcome
    return response


async def _pick_page(request: Req, order_id: int, feedback: Feedback | None = None,
                     status_code: int = 200, *, fragment: bool = False,
                     **extra: Any) -> Response[Any]:
    from app import oos_queries

    marks: dict[str, Any] = {}
    async with quick_reading(request) as session:
        order = await queries.pick_page_order(session, order_id, request.user.store_id)
        codes = {} if fragment else await queries.order_barcodes(session, order_id)
        if order is not None and not fragment:  # issue 15: shelves found empty
            marks = await oos_queries.marks_for_lines(session, order, clock(request))
    if order is None:
        return render(request, "error.html", {"feedback": describe(errors.OrderNotFound())},
                      status_code=404)
    if order.status != "picking" or order.picker_id != request.user.id:
        if order.status == "picked" and feedback is None:
            return redirect(request, request.app.route_reverse("pick:summary", order_id=order_id))
        if feedback is None:
            feedback = describe(errors.OrderCancelled() if order.status == "cancelled"
                                else errors.NotYourOrder())
            status_code = 409
    store = await _store(request)
    context = {"pick": screen_view(request, order, store, codes=codes, **marks),
               "order_id": order_id, "feedback": feedback,
               "feedback_id": secrets.token_hex(4), "short_reasons": SHORT_REASONS,
               "scan_nonce": secrets.token_urlsafe(12), "store": store, **extra}
    return render(request, "picking/pick.html", context,
                  fragment="picking/_scan_feedback.html" if fragment else None,
                  status_code=status_code)
