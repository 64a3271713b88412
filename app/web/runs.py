"""The picker's run screens: take a run, bind totes, scan items and put each into
its tote, finish orders one by one. One scan field takes items and tote labels.

Each handler parses, calls one service of ``app.services.runs``, and renders the
run page (htmx: its body only).
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import segno
from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Response, Template
from sqlalchemy import select

from app import i18n, queries, runs_queries
from app.auth import requires_area
from app.db import tables
from app.floor_queries import load_store
from app.i18n import gettext as _
from app.services import runs as service
from app.web.deps import clock, new_uow, reading
from app.web.forms import FormError, parse_confirm, parse_quantity, scan_id_from, scanned_at_from
from app.web.labels import label
from app.web.messages import Feedback, describe, status_for
from app.web.render import is_htmx, redirect, render
from picking import errors
from picking.run_views import COLOURS, run_page_view
from picking.runs import MAX_RUN, RunRules, short_tote

Req = Request[Any, Any, Any]


class RunController(Controller):
    path = "/pick/runs"
    guards = [requires_area("pick")]

    @post("/next", name="runs:next")
    async def take_next(self, request: Req) -> Response[Any]:
        try:
            run_id = await service.take_next_run(new_uow(request), request.user, clock(request))
        except errors.PickingError as err:
            return render(request, "error.html", {"feedback": describe(err)},
                          status_code=status_for(err))
        return redirect(request, request.app.route_reverse("runs:run", run_id=run_id))

    @post("/totes/print", name="runs:print_totes")
    async def print_totes(self, request: Req) -> Response[Any]:
        """New tote labels for the store: a QR and the code in letters on each."""
        form = await request.form()
        text = str(form.get("count", "10")).strip()
        count = int(text) if text.isdigit() and 0 < int(text) <= 100 else 0
        if not count:
            return render(request, "error.html", {"feedback": Feedback(
                "error", _("Print from 1 to 100 tote labels."))}, status_code=422)
        codes = await service.print_totes(new_uow(request), request.user, count)
        labels = [{"code": code, "short": short_tote(code),
                   "qr": segno.make(code, error="m").svg_inline(scale=4, border=2)}
                  for code in codes]
        return render(request, "runs/tote_labels.html", {"labels": labels})

    @get("/{run_id:int}", name="runs:run")
    async def run(self, request: Req, run_id: FromPath[int]) -> Response[Any]:
        return await _run_page(request, run_id)

    @post("/{run_id:int}/scan", name="runs:scan")
    async def scan(self, request: Req, run_id: FromPath[int]) -> Response[Any]:
        form = await request.form()
        code = str(form.get("code", "")).strip()
        user = request.user
        try:
            scan_id = scan_id_from(form)
            at, adjusted = scanned_at_from(form, clock(request))
            async with reading(request) as session:
                tote = await runs_queries.is_tote_label(session, user.store_id, code)
                view = await runs_queries.load_run(session, run_id, user.store_id)
                binding = bool(view and view.unbound() and not view.pending)
            if tote and binding:
                letter, zone, tote_text = await service.bind_tote(
                    new_uow(request), user, run_id, code, at)
                feedback = Feedback("ok", _("Tote %(tote)s is order %(letter)s, %(zone)s.",
                                            tote=short_tote(tote_text), letter=letter,
                                            zone=label(zone)))
            elif tote:
                put = await service.put_to_tote(new_uow(request), user, run_id, code,
                                                put_id=scan_id, now=at)
                feedback = Feedback("ok", _("In tote %(letter)s, %(zone)s: %(name)s.",
                                            letter=put.letter, zone=label(put.zone),
                                            name=put.product.name(user.language)
                                            if put.product else ""))
            else:
                found = await service.scan_in_run(
                    lambda: new_uow(request), user, run_id, code, scan_id=scan_id, now=at,
                    quantity=parse_quantity(form.get("quantity")), confirm=parse_confirm(form),
                    clock_adjusted=adjusted)
                feedback = Feedback("ok", _(
                    "%(name)s → tote %(letter)s, %(zone)s (%(tote)s). Scan the tote.",
                    name=found.outcome.product.name(user.language), letter=found.letter,
                    zone=label(found.zone), tote=short_tote(found.tote or "")))
        except (errors.PickingError, FormError) as err:
            if isinstance(err, errors.PickingError):
                fb, status = describe(err), status_for(err)
            else:
                fb, status = Feedback("error", str(err)), 422
            confirm = isinstance(err, errors.WeightNeedsConfirmation)
            return _outcome(await _run_page(request, run_id, fb, status, scanned=code,
                                            confirm_needed=confirm), "refused")
        return _outcome(await _run_page(request, run_id, feedback), "accepted")

    @post("/{run_id:int}/orders/{order_id:int}/finish", name="runs:finish")
    async def finish(self, request: Req, run_id: FromPath[int], order_id: FromPath[int]
                     ) -> Response[Any]:
        try:
            closed = await service.finish_in_run(lambda: new_uow(request), request.user,
                                                 run_id, order_id, clock(request))
        except errors.PickingError as err:
            return await _run_page(request, run_id, describe(err), status_for(err))
        if closed:
            return redirect(request, request.app.route_reverse("pick:queue"))
        return await _run_page(request, run_id, Feedback("ok", _("Order finished.")))

    @post("/{run_id:int}/totes/{tote_id:int}/emptied", name="runs:emptied")
    async def emptied(self, request: Req, run_id: FromPath[int], tote_id: FromPath[int]
                      ) -> Response[Any]:
        await service.tote_emptied(new_uow(request), request.user, tote_id, clock(request))
        return await _run_page(request, run_id, Feedback("ok", _("Tote emptied.")))


def _outcome(response: Response[Any], outcome: str) -> Response[Any]:
    """Mark an action's answer, so a phone replaying its queue knows it was answered."""
    response.headers["X-Scan-Outcome"] = outcome
    return response


async def _run_page(request: Req, run_id: int, feedback: Feedback | None = None,
                    status_code: int = 200, **extra: Any) -> Response[Any]:
    user = request.user
    async with reading(request) as session:
        view = await runs_queries.load_run(session, run_id, user.store_id)
        if view is None or view.picker_id != user.id:
            return render(request, "error.html",
                          {"feedback": describe(errors.RunNotFound(run_id=run_id))},
                          status_code=404)
        codes: dict[int, list[str]] = {}
        if not is_htmx(request):  # the whole page: what the offline queue knows of the run
            for member in view.active_orders:
                codes.update(await queries.order_barcodes(session, member.order.id or 0))
        store = await load_store(session, user.store_id)
        # the page's read model (picking.run_views), built once: the templates see this,
        # never the run's orders and lines
        page = run_page_view(view, language=i18n.current_language(), now=clock(request),
                             codes=codes)
        context = {"run": page, "feedback": feedback, "store": store,
                   "feedback_id": secrets.token_hex(4), "scan_nonce": secrets.token_urlsafe(12),
                   **extra}
        return render(request, "runs/run.html", context, fragment="runs/_body.html",
                      status_code=status_code)



class BoardRunsController(Controller):
    """The supervisor's view of runs: which orders walk together, their progress,
    limits and stuck reasons; build a run by hand, take an order out of one."""

    path = "/board/runs"
    guards = [requires_area("board")]

    @get("/", name="board:runs")
    async def runs(self, request: Req) -> Template:
        return await _board_runs(request)

    @post("/", name="board:runs:build")
    async def build(self, request: Req) -> Template:
        form = await request.form()
        picker = str(form.get("picker_id", ""))
        ids = [int(v) for v in form.getall("order_id", []) if str(v).isdigit()]
        if not picker.isdigit() or not ids:
            return await _board_runs(request, Feedback(
                "error", _("Choose a picker and at least one queued order.")), 422)
        try:
            await service.build_run(new_uow(request), request.user, int(picker), ids,
                                    clock(request))
        except errors.PickingError as err:
            return await _board_runs(request, describe(err, "supervisor"), status_for(err))
        return await _board_runs(request, Feedback("ok", _("Run built.")))

    @post("/settings", name="board:runs:settings")
    async def settings(self, request: Req) -> Template:
        form = await request.form()
        try:
            rules = parse_rules(form)
        except FormError as err:
            return await _board_runs(request, Feedback("error", str(err)), 422)
        await service.save_rules(new_uow(request), request.user, rules)
        return await _board_runs(request, Feedback("ok", _("Run settings saved.")))

    @post("/{run_id:int}/orders/{order_id:int}/remove", name="board:runs:remove")
    async def remove(self, request: Req, run_id: FromPath[int], order_id: FromPath[int]
                     ) -> Template:
        try:
            await service.remove_from_run(new_uow(request), request.user, run_id, order_id,
                                          clock(request))
        except errors.PickingError as err:
            return await _board_runs(request, describe(err, "supervisor"), status_for(err))
        return await _board_runs(request, Feedback("ok", _("Order taken out of the run.")))


def parse_rules(form: Any) -> RunRules:
    """The store's run settings from the board's form. Raises FormError, saying why."""
    size, window = str(form.get("max_orders", "")).strip(), str(form.get("window", "")).strip()
    if not size.isdigit() or not 1 <= int(size) <= MAX_RUN:
        raise FormError(_("Orders per run: a whole number from 1 to %(max)s.", max=MAX_RUN))
    if not window.isdigit() or not 0 <= int(window) <= 720:
        raise FormError(_("Due within: a whole number of minutes from 0 to 720."))
    prefix = str(form.get("own_prefix", "")).strip().upper()
    if (prefix and not re.fullmatch(r"[A-Z][A-Z0-9\-]{1,15}", prefix)) or prefix.startswith("SPT"):
        raise FormError(_("Own tote barcodes: 2 to 16 letters and digits, starting with a "
                          "letter (not SPT, storepick's own labels)."))
    mixes = (frozenset({"delivery", "collect"}),) if form.get("mix") else ()
    return RunRules(max_orders=int(size), window_minutes=int(window), mixes=mixes,
                    own_tote_prefix=prefix or None)


async def _board_runs(request: Req, feedback: Feedback | None = None,
                      status_code: int = 200) -> Template:
    from app import board_queries

    user, now = request.user, clock(request)
    async with reading(request) as session:
        board = await board_queries.open_board(session, user.store_id, now)
        runs = await runs_queries.active_runs(session, user.store_id)
        pickers = (await session.execute(
            select(tables.staff.c.id, tables.staff.c.name).where(
                tables.staff.c.store_id == user.store_id, tables.staff.c.role == "picker",
                tables.staff.c.active.is_(True)).order_by(tables.staff.c.name))).all()
        rules = await runs_queries.rules_for(session, user.store_id)
    rows = {row.id: row for row in board.rows}
    queued = [row for row in board.rows if row.status == "queued"]
    return render(request, "board/runs.html", {
        "runs": runs, "rows": rows, "queued": queued, "pickers": pickers,
        "feedback": feedback, "colours": COLOURS, "limits": board.limits,
        "rules": rules, "max_run": MAX_RUN},
        status_code=status_code)
