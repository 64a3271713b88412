"""create_app(settings): the whole application, with nothing done at import time."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, Request, Response, Router
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.plugins.htmx import HTMXPlugin, HTMXRequest
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from markupsafe import Markup, escape

from app import background, i18n
from app.auth import SessionCache, SessionMiddleware, requires_role
from app.db.engine import open_database
from app.db.mapping import start_mappers
from app.heap import HeapSettler
from app.marking import checker_from_settings
from app.proxies import parse_networks
from app.settings import ROOT, Settings
from app.upload_image import UploadGate
from app.web import account, pwa
from app.web.gzip import GzipMiddleware
from app.web.labels import N_
from app.web.messages import describe, status_for
from app.web.picker import PickerController
from app.web.render import redirect, render
from app.web.security import (
    CSRFFailure,
    SessionCSRFMiddleware,
    add_security_headers,
    csp_nonce,
)
from app.web.trust_labels import attribute_label
from picking.errors import PickingError
from picking.keyboard import LAYOUT_KEYS
from picking.lines import shown_name

log = logging.getLogger("storepick")
Clock = Callable[[], datetime]
ROUTE_MODULES: list[Any] = []  # feature modules append their handlers via register()


def utc_now() -> datetime:
    return datetime.now(UTC)


def _jinja_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(ROOT / "templates"),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True, lstrip_blocks=True,
        # Templates do not change under a running process: no stat() of every template
        # and include on every render (a few per cent of a scan's CPU).
        auto_reload=False,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda s, **kw: i18n.gettext(s, **kw),
        # Jinja formats the translated text itself (Markup-aware: an order_no stays markup).
        i18n.ngettext_format,
        newstyle=True)
    env.globals["_"] = _template_gettext
    env.filters["order_no"] = order_no
    env.filters["keep_whole"] = keep_whole
    env.filters["keep_units"] = shown_name  # "2 шт": the number on its unit's line
    env.globals["duration"] = i18n.duration
    env.globals["csp_nonce"] = csp_nonce
    env.globals["attribute_label"] = attribute_label
    env.globals["layout_keys"] = LAYOUT_KEYS
    return env


def _template_gettext(message: str, **params: object) -> str:
    """``_()`` in templates: a plain string, as fast as ``i18n.gettext``; but where a value
    is already markup (``order_no``), the sentence is escaped and the markup kept."""
    if params and any(isinstance(v, Markup) for v in params.values()):
        return Markup(escape(i18n.gettext(message))) % params
    return i18n.gettext(message, **params)


def order_no(value: object) -> Markup:
    """An order's number that a line never splits at its hyphen ("OMS-" / "240002")."""
    return Markup('<span class="nowrap">{}</span>').format(value)


# An order's number in a sentence: letters, a hyphen, digits ("OMS-240002", "W-402").
_ORDER_NUMBER = re.compile(r"\b[A-Z]{1,10}(?:-[A-Z0-9]+)+\b")


def keep_whole(text: object) -> Markup:
    """A sentence (escaped) whose order numbers a line never splits at their hyphen."""
    return Markup(_ORDER_NUMBER.sub(lambda m: f'<span class="nowrap">{m.group(0)}</span>',
                                    str(escape(text))))


def _is_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/")


def _unauthorized(request: Request[Any, Any, Any], exc: Exception) -> Any:
    if _is_api(request):
        return Response({"detail": str(exc)}, status_code=401)
    return redirect(request, "/login")


def _html_error(status: int, message: str) -> Callable[..., Any]:
    def handler(request: Request[Any, Any, Any], exc: Exception) -> Any:
        if _is_api(request):  # a 500's own text may hold SQL: never send it
            return Response({"detail": str(exc) if status < 500 else "Internal server error"},
                            status_code=status)
        from app.web.messages import Feedback
        return render(request, "error.html", {"feedback": Feedback("error", i18n.gettext(message))},
                      status_code=status)
    return handler


def _picking_error(request: Request[Any, Any, Any], exc: PickingError) -> Any:
    return render(request, "error.html", {"feedback": describe(exc)}, status_code=status_for(exc))


def _server_error(request: Request[Any, Any, Any], exc: Exception) -> Any:
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        if _is_api(request):
            return Response({"detail": exc.detail, "errors": getattr(exc, "extra", None)},
                            status_code=exc.status_code)
        return _html_error(exc.status_code, N_("That request was not valid."))(request, exc)
    log.exception("unhandled error", exc_info=exc)
    return _html_error(500, N_("Something went wrong on our side. Nothing was changed."))(
        request, exc)


async def _set_language(request: Request[Any, Any, Any]) -> None:
    _choose_language(request)


def _choose_language(request: Request[Any, Any, Any]) -> None:
    user = request.scope.get("user")
    chosen = user.language if user else (
        request.cookies.get("lang") or i18n.pick_language(request.headers.get("accept-language")))
    i18n.set_language(chosen)


def _csrf_failure(request: Request[Any, Any, Any], exc: Exception) -> Any:
    _choose_language(request)  # refused in a middleware, before the language hook ran
    return _html_error(403, N_("This form has expired. Reload the page and try again."))(
        request, exc)


def _channels_backend(database_url: str) -> Any:
    """PostgreSQL LISTEN/NOTIFY so several processes share live updates (one listening
    and one publishing connection per process, app.live_pg); else memory."""
    if database_url.startswith("postgresql"):
        from app.live_pg import PgChannelsBackend, dsn_of

        return PgChannelsBackend(dsn_of(database_url))
    return MemoryChannelsBackend(history=0)


async def _dispose(db: Any, within: float = 5.0) -> None:
    """Close the database's connections, giving up after ``within`` seconds: closing an
    asyncpg connection whose cancelled query never answered can wait forever, and a
    server that is stopping must stop (the database ends those sessions itself)."""
    try:
        async with asyncio.timeout(within):
            await db.dispose()
    except TimeoutError:
        log.warning(
            "closing the database connections took over %.0f s; left to the server", within)


def create_app(settings: Settings, *, clock: Clock = utc_now,
               extra_routes: list[Any] | None = None) -> Litestar:
    """The app for ``settings``; engines open in the lifespan and close with it."""
    start_mappers()
    # httpx says every request it makes at INFO: the relay's each batch, the marking
    # checks, the pushes. Litestar's logging sends INFO on; those lines cost CPU beside
    # the scans and drown what the log is for. Failures are logged by their callers.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    backend = _channels_backend(settings.database_url)
    session_cache = SessionCache()
    if hasattr(backend, "session_cache"):
        backend.session_cache = session_cache  # forgotten sessions: in every process
    channels = ChannelsPlugin(backend=backend, arbitrary_channels_allowed=True)
    # On PostgreSQL the whole list goes to the publisher at once (one round trip).
    send_many = getattr(backend, "enqueue", None)

    async def publish(messages: list[dict[str, Any]]) -> None:
        addressed = [(json.dumps(message),
                      [f"store:{message['store_id']}", f"order:{message['order_id']}"])
                     for message in messages]
        if send_many is not None:
            send_many(addressed)
            return
        for data, names in addressed:
            channels.publish(data, names)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        """The one place the database opens and the background work starts."""
        db = app.state.db = open_database(settings.database_url)
        settler = HeapSettler() if settings.settle_heap else None
        try:
            if settler is not None:
                settler.start()
            async with background.running(db=db, settings=settings, clock=clock,
                                          publish=publish) as work:
                app.state.publish = work.publish  # every unit of work wakes the relay
                if work.relay is not None and hasattr(backend, "on_message"):
                    backend.on_message = work.relay.wake  # and those of other processes
                app.state.notifier = work.notifier
                yield
        finally:
            if settler is not None:
                settler.stop()
            await _dispose(db)
            if app.state.marking is not None:
                await app.state.marking.close()

    from app.web import routes
    handlers = [account.login_page, account.login, account.logout, account.change_language,
                account.home, pwa.service_worker, pwa.offline, pwa.health, PickerController,
                *routes.feature_handlers(), *(extra_routes or []),
                create_static_files_router(
                    path="/static", directories=[ROOT / "static"], name="static",
                    cache_control=CacheControlHeader(max_age=31_536_000, public=True),
                    include_in_schema=False)]
    return Litestar(
        route_handlers=handlers,
        lifespan=[lifespan],
        state=State({"settings": settings, "clock": clock, "publish": publish,
                     "trusted_proxies": parse_networks(settings.trusted_proxies),
                     "session_cache": session_cache,
                     "channels": channels, "static_url": pwa.StaticUrls(),
                     "marking": checker_from_settings(settings)}),
        template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(_jinja_env())),
        plugins=[HTMXPlugin(), channels],
        request_class=HTMXRequest,
        before_send=[add_security_headers],
        # OPTIONS too (Litestar skips it by default): the guards of every route see a user.
        middleware=[DefineMiddleware(GzipMiddleware, minimum_size=500, level=6),  # app.web.gzip
                    UploadGate,  # multipart bodies read a few at a time (app.upload_image)
                    DefineMiddleware(SessionMiddleware, exclude_http_methods=[],
                                     exclude=["^/static/", "^/sw.js$", "^/api/", "^/healthz$"]),
                    DefineMiddleware(SessionCSRFMiddleware, config=CSRFConfig(
                        secret=settings.secret_key, cookie_name="sp_csrf", cookie_httponly=True,
                        cookie_secure=bool(settings.secure_cookies), exclude=["^/api/"]))],
        before_request=_set_language,
        exception_handlers={
            NotAuthorizedException: _unauthorized,
            CSRFFailure: _csrf_failure,
            PermissionDeniedException: _html_error(403, N_("Your role cannot open this page.")),
            NotFoundException: _html_error(404, N_("Page not found.")),
            PickingError: _picking_error,
            Exception: _server_error,
        },
        # The machine-readable schema only (no HTML viewers: they load scripts from a
        # CDN), for admins; in development for anyone.
        openapi_config=OpenAPIConfig(
            title="storepick API", version="1.0.0", path="/schema",
            render_plugins=[JsonRenderPlugin(), YamlRenderPlugin()],
            openapi_router=Router(path="/schema", route_handlers=[],
                                  guards=[] if settings.is_development
                                  else [requires_role("admin")])),
        debug=settings.debug,
    )
