"""Dead letters: events the OMS refused for good. Supervisors see them and retry them.

A retried letter goes back in line with fresh attempts; the events of its
order that waited behind it follow once it is delivered.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Response, Template
from sqlalchemy import select

from app.auth import requires_area
from app.db import tables
from app.web.board import event_label
from app.web.deps import clock, reading
from app.web.render import redirect, render
from sync.outbox import retry_dead_letter

Req = Request[Any, Any, Any]


async def dead_letters(session: Any, store_code: str) -> list[Any]:
    """The store's dead letters, oldest first: what the page shows."""
    o = tables.outbox.c
    rows = await session.execute(
        select(o.event_id, o.oms_order_id, o.type, o.sequence, o.occurred_at, o.attempts,
               o.last_error)
        .where(o.status == "dead", o.store_code == store_code).order_by(o.id).limit(200))
    return list(rows.all())


class DeadLetterController(Controller):
    path = "/sync/dead-letters"
    guards = [requires_area("dead_letters")]

    @get("/", name="sync:dead_letters")
    async def list_letters(self, request: Req) -> Template:
        async with reading(request) as session:
            letters = await dead_letters(session, request.user.store_code)
        retried = request.query_params.get("retried")
        return render(request, "sync/dead_letters.html",
                      {"letters": letters, "retried": retried, "event_label": event_label})

    @post("/{event_id:str}/retry", name="sync:retry_dead_letter")
    async def retry(self, request: Req, event_id: FromPath[str]) -> Response[Any]:
        async with request.app.state.db.writing() as session:
            done = await retry_dead_letter(session, event_id, clock(request),
                                           store_code=request.user.store_code)
            await session.commit()
        relay = getattr(request.app.state, "relay", None)
        if relay is not None:
            relay.wake()
        flag = "1" if done else "0"
        return redirect(request, f"{request.app.route_reverse('sync:dead_letters')}?retried={flag}")
