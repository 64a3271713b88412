"""The picker's own pace, for their eyes only: a small fragment the queue and the pick
page load and refresh every minute. It reads the signed-in picker's numbers and no one
else's; there is no way to ask for another picker's."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template

from app.auth import requires_area
from app.floor_queries import my_pace
from app.web.deps import clock, reading
from app.web.render import render

Req = Request[Any, Any, Any]


class PaceController(Controller):
    path = "/pace"
    guards = [requires_area("pick")]

    @get("/", name="pace:mine")
    async def mine(self, request: Req) -> Template:
        async with reading(request) as session:
            pace = await my_pace(session, request.user, clock(request))
        return render(request, "picking/pace.html", {"pace": pace},
                      fragment="picking/_pace.html", headers={"Cache-Control": "no-store"})
