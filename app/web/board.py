"""The supervisor's live branch board: orders, pickers, actions, shift summary.

Handlers parse, call one service or query, and pick a template. The board
updates over SSE: every message on ``store:<id>`` re-renders the ``#board``
fragment; one render is shared by all boards of the store and language that
were waiting for it (see ``SharedRender``), so many open boards cost one
query set per change, not one per board.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Response, Stream, Template

from app import (
    board_queries,
    board_summary,
    floor_queries,
    i18n,
    oos_queries,
    queries,
    trust_queries,
)
from app.auth import requires_area
from app.i18n import gettext as _
from app.marking import stale_products
from app.services import arrival, oos
from app.services import supervision as service
from app.views.order_panel import order_panel
from app.web import board_feed
from app.web.board_live import SharedRender
from app.web.deps import clock, marking_checker, new_uow, reading
from app.web.labels import N_, label
from app.web.marking_words import checker_state
from app.web.messages import Feedback, describe, status_for
from app.web.render import is_htmx, redirect, render, render_fragment
from picking import errors
from picking.board import DEFAULT_TIME_LIMITS, MAX_LIMIT_MINUTES, InvalidTimeLimit
from picking.errors import PickerBusy

Req = Request[Any, Any, Any]
log = logging.getLogger("storepick.board")
BOARD_FRAGMENT = "board/_board.html"
EVENT_LABELS = {
    "PickingStarted": N_("Picking started"), "ItemScanned": N_("Item scanned"),
    "WeightRecorded": N_("Weight recorded"), "ScanUndone": N_("Scan undone"),
    "LineShorted": N_("Marked as missing"), "OrderPicked": N_("Picking finished"),
    "PickerAssigned": N_("Picker assigned"), "PickerUnassigned": N_("Picker unassigned"),
    "PriorityRaised": N_("Priority raised"), "SubstitutionProposed": N_("Substitute offered"),
    "SubstitutionDecided": N_("Customer answered"), "OrderPacked": N_("Packed"),
    "OrderHandedOver": N_("Handed over"), "OrderDelivered": N_("Delivered"),
    "DeliveryFailed": N_("Delivery failed"), "OrderCancelled": N_("Cancelled"),
    "OrderRevised": N_("Order changed"), "OrderReturned": N_("Back in staging"),
    "OrderSettled": N_("Settled for the receipt"),
    "ItemUnavailable": N_("Shelf empty: likely out"), "LineReopened": N_("Line reopened"),
    "SubstituteChoiceOffered": N_("Customer asked to choose in advance"),
    "SubstituteChosenInAdvance": N_("Customer chose in advance"),
    "WeightQuestionAsked": N_("Customer asked about a heavier weight"),
    "FallbackChosen": N_("Customer chose what happens without an answer"),
    "CustomerOnTheWay": N_("Customer on the way"), "CustomerArrived": N_("Customer is here"),
}


def event_label(event_type: str) -> str:
    """The event's name in the reader's language; unknown types as they are."""
    return _(EVENT_LABELS[event_type]) if event_type in EVENT_LABELS else event_type
PANEL_FRAGMENT = "board/_order_panel.html"


async def board_context(request: Req) -> dict[str, Any]:
    """Everything ``#board`` shows: open orders, counts, alerts and the pickers panel."""
    user, now = request.user, clock(request)
    since, _end = board_summary.day_bounds(now, user.timezone)
    async with reading(request) as session:
        board = await board_queries.open_board(session, user.store_id, now)
        pickers = await board_queries.pickers_panel(session, user.store_id, since, now)
        stale = await stale_products(session, user.store_id, since, user.language)
        likely_out = await oos_queries.likely_out_board(session, user.store_id, now)  # issue 15
        pickup = await floor_queries.pickup_settings(session, user.store_id)
        waiting = await floor_queries.waiting_customers(session, user.store_id, now,
                                                        pickup.wait_limit_minutes)
        rates = await floor_queries.pick_rates(session, user.store_id, since)
    checker = marking_checker(request)
    return {"board": board, "pickers": pickers,
            "marking": checker_state(checker.description if checker else None),
            "stale": stale, "likely_out": likely_out, "waiting": waiting, "pickup": pickup,
            "rates": rates}


def feeds(request: Req) -> board_feed.BoardFeeds:
    """This process's board feeds (one per store with an open board)."""
    state = request.app.state
    if "board_feeds" not in state:
        state.board_feeds = board_feed.BoardFeeds(state.channels, board_feed.loader(state))
    hub: board_feed.BoardFeeds = state.board_feeds
    return hub


def _shared(request: Req) -> SharedRender:
    state = request.app.state
    if "board_renders" not in state:
        state.board_renders = SharedRender()
    renders: SharedRender = state.board_renders
    return renders


class BoardController(Controller):
    path = "/board"
    guards = [requires_area("board")]

    @get("/", name="board:index")
    async def index(self, request: Req) -> Template:
        # The change this render includes, read before the board: the stream sends only later ones.
        since = (await feeds(request).feed(request.user.store_id)).token
        context = {**await board_context(request), "since": since}
        async with reading(request) as session:  # the page's head: not live-updated
            context["acceptance"] = await trust_queries.acceptance(
                session, request.user.store_id, clock(request))
        return render(request, "board/index.html", context, fragment=BOARD_FRAGMENT)

    @get("/live", name="board:live")
    async def live(self, request: Req) -> Stream:
        """The whole board once (or what a returning board missed), then only what changes."""
        user = request.user
        shared = _shared(request)
        feed = await feeds(request).feed(user.store_id)
        since = request.headers.get("last-event-id") or request.query_params.get("since")

        async def full() -> str:
            return await shared.render((user.store_id, user.language),
                                       lambda: _render_board(request))

        async def catch_up(changed: frozenset[int]) -> str:
            data = await board_feed.loader(request.app.state)(user.store_id, board_feed.Memory(),
                                                              None)
            return board_feed.delta(board_feed.Pieces(request, user.language), data, changed, {},
                                    all_pieces=True)

        return board_feed.board_stream(request, feed, since, full, catch_up)

    @get("/orders/{order_id:int}", name="board:order")
    async def order(self, request: Req, order_id: FromPath[int]) -> Template:
        return await _order_panel(request, order_id)

    @get("/orders/none", name="board:no_order")
    async def no_order(self, request: Req) -> Template:
        """The empty order panel (closing the panel); without htmx, the board."""
        return render(request, "board/index.html", await board_context(request),
                      fragment=PANEL_FRAGMENT)

    @post("/orders/{order_id:int}/assign", name="board:assign")
    async def assign(self, request: Req, order_id: FromPath[int]) -> Response[Any]:
        form = await request.form()
        try:
            picker_id = int(str(form.get("picker_id", "")))
        except ValueError:
            choose = Feedback("error", _("Choose a picker from the list."))
            return await _order_panel(request, order_id, choose, 422)
        confirmed = form.get("busy_confirmed") == "1"
        try:
            await service.assign_picker(new_uow(request), request.user, order_id, picker_id,
                                        clock(request), busy_confirmed=confirmed)
        except PickerBusy as busy:
            return await _order_panel(request, order_id, _describe(busy), status_for(busy),
                                      confirm_picker=picker_id)
        except errors.PickingError as err:
            return await _order_panel(request, order_id, _describe(err), status_for(err))
        return await _done(request, order_id, _("Picker assigned."))

    @post("/orders/{order_id:int}/unassign", name="board:unassign")
    async def unassign(self, request: Req, order_id: FromPath[int]) -> Response[Any]:
        return await _act(request, order_id, lambda uow: service.unassign_picker(
            uow, request.user, order_id, clock(request)), _("The order is back in the queue."))

    @post("/orders/{order_id:int}/priority", name="board:priority")
    async def priority(self, request: Req, order_id: FromPath[int]) -> Response[Any]:
        return await _act(request, order_id, lambda uow: service.raise_priority(
            uow, request.user, order_id, clock(request)), _("Priority raised."))

    @post("/orders/{order_id:int}/lines/{line_id:int}/reopen", name="board:reopen")
    async def reopen(self, request: Req, order_id: FromPath[int], line_id: FromPath[int]
                     ) -> Response[Any]:
        """A line marked missing was found after all (issue 15): reopen it, with a reason."""
        form = await request.form()
        reason = str(form.get("reason", ""))[:1000]
        return await _act(request, order_id, lambda uow: oos.reopen_line(
            uow, request.user, order_id, line_id, reason, clock(request)),
            _("The line is open again; the picker will see it."))

    @get("/summary", name="board:summary")
    async def summary(self, request: Req) -> Template:
        user = request.user
        async with reading(request) as session:
            summary = await board_summary.shift_summary(session, user.store_id, clock(request),
                                                        user.timezone)
        return render(request, "board/summary.html", {
            "summary": summary, "chart": board_summary.chart(summary.hours)})

    @get("/pickup", name="board:pickup")
    async def pickup(self, request: Req) -> Template:
        async with reading(request) as session:
            current = await floor_queries.pickup_settings(session, request.user.store_id)
        return _pickup_page(request, arrival.settings_form(current))

    @post("/pickup", name="board:pickup:save")
    async def save_pickup(self, request: Req) -> Response[Any]:
        form = await request.form()
        typed = {name: str(form.get(name, "")) for name in arrival.SETTINGS_FIELDS}
        try:
            await arrival.save_typed_settings(new_uow(request), request.user.store_id, typed)
        except arrival.InvalidPickupSetting as bad:
            return _pickup_page(request, typed, Feedback("error", bad.sentence()), 422)
        return redirect(request, request.app.route_reverse("board:index"))

    @get("/limits", name="board:limits")
    async def limits(self, request: Req) -> Template:
        async with reading(request) as session:
            current = await board_queries.store_limits(session, request.user.store_id)
        return _limits_page(request, {k: str(v) for k, v in current.items()})

    @post("/limits", name="board:limits:save")
    async def save_limits(self, request: Req) -> Response[Any]:
        form = await request.form()
        typed = {status: str(form.get(status, "")) for status in DEFAULT_TIME_LIMITS}
        try:
            await service.set_time_limits(new_uow(request), request.user, typed)
        except InvalidTimeLimit as bad:
            message = _("%(status)s: type whole minutes from 1 to %(max)s.",
                        status=label(bad.status), max=MAX_LIMIT_MINUTES)
            return _limits_page(request, typed, Feedback("error", message), 422)
        return redirect(request, request.app.route_reverse("board:index"))


def _pickup_page(request: Req, values: dict[str, str], feedback: Feedback | None = None,
                 status_code: int = 200) -> Template:
    return render(request, "board/pickup.html", {"values": values, "feedback": feedback},
                  status_code=status_code)


def _limits_page(request: Req, values: dict[str, str], feedback: Feedback | None = None,
                 status_code: int = 200) -> Template:
    return render(request, "board/limits.html", {
        "values": values, "statuses": list(DEFAULT_TIME_LIMITS), "feedback": feedback,
        "max_minutes": MAX_LIMIT_MINUTES}, status_code=status_code)


async def _render_board(request: Req) -> str:
    """The whole ``#board`` as an out-of-band swap, for the SSE stream."""
    i18n.set_language(request.user.language)
    return render_fragment(request, BOARD_FRAGMENT, {**await board_context(request), "oob": True})


async def _act(request: Req, order_id: int, call: Any, ok_text: str) -> Response[Any]:
    try:
        await call(new_uow(request))
    except errors.PickingError as err:
        return await _order_panel(request, order_id, _describe(err), status_for(err))
    return await _done(request, order_id, ok_text)


async def _done(request: Req, order_id: int, ok_text: str) -> Response[Any]:
    if not is_htmx(request):
        return redirect(request, request.app.route_reverse("board:order", order_id=order_id))
    return await _order_panel(request, order_id, Feedback("ok", ok_text))


async def _order_panel(request: Req, order_id: int, feedback: Feedback | None = None,
                       status_code: int = 200, *, confirm_picker: int | None = None
                       ) -> Template:
    user, now = request.user, clock(request)
    async with reading(request) as session:
        board = await board_queries.open_board(session, user.store_id, now)
        history = await board_queries.order_history(session, user.store_id, order_id)
        pickers = await board_queries.store_pickers(session, user.store_id)
        order = await queries.order_for_screen(session, order_id, user.store_id)
    if order is None:
        return render(request, "error.html", {"feedback": describe(errors.OrderNotFound())},
                      status_code=404)
    row = next((r for r in board.rows if r.id == order_id), None)
    return render(request, "board/order.html", {
        "panel": order_panel(order), "row": row, "history": history, "pickers": pickers,
        "feedback": feedback, "event_label": event_label, "confirm_picker": confirm_picker,
        "due_at": board_queries.utc(order.due_at)},
        fragment=PANEL_FRAGMENT, status_code=status_code)


def _describe(err: errors.PickingError) -> Feedback:
    """The supervisor's wording (the error table's, where the board's differs)."""
    return describe(err, "supervisor")
