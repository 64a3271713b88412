"""Staff opt in to Web Push per device: the app's VAPID key, subscribe, unsubscribe.

JSON in and out (the page's script sends the browser's ``PushSubscription``), with the
CSRF header. A subscription is always the signed-in person's, in their store: a body
that names other staff, or an endpoint another store's staff holds, is refused.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Response

from app import push
from app.auth import requires_staff
from app.web.deps import clock

Req = Request[Any, Any, Any]


def _answer(status: int, **body: Any) -> Response[dict[str, Any]]:
    return Response(body, status_code=status, headers={"Cache-Control": "no-store"})


class PushController(Controller):
    path = "/push"
    guards = [requires_staff]

    @get("/key", name="push:key")
    async def key(self, request: Req) -> Response[dict[str, Any]]:
        notifier = getattr(request.app.state, "notifier", None)
        if notifier is None:
            return _answer(503, error="push is not running")
        return _answer(200, key=push.public_key(notifier.vapid))

    @post("/subscribe", name="push:subscribe")
    async def subscribe(self, request: Req) -> Response[dict[str, Any]]:
        try:
            body = await request.json()
        except Exception:
            return _answer(422, error="send the browser's subscription as JSON")
        user, settings = request.user, request.app.state.settings
        try:
            async with request.app.state.db.writing() as session:
                await push.subscribe(session, user.id, user.store_id, body, clock(request),
                                     allow_http=settings.is_development)
                await session.commit()
        except push.BadSubscription as bad:
            return _answer(422, error=f"not a usable push subscription ({bad.reason})")
        except push.ForeignSubscription:
            return _answer(403, error="a subscription belongs to its own staff and store")
        return _answer(201, subscribed=True)

    @post("/unsubscribe", name="push:unsubscribe")
    async def unsubscribe(self, request: Req) -> Response[dict[str, Any]]:
        try:
            body = await request.json()
        except Exception:
            body = {}
        endpoint = body.get("endpoint") if isinstance(body, dict) else None
        async with request.app.state.db.writing() as session:
            await push.unsubscribe(session, request.user.id, str(endpoint or ""))
            await session.commit()
        return _answer(200, subscribed=False)
