"""The one helper that decides page or fragment, and what every template sees."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from litestar import Request, Response
from litestar.response import Redirect, Template
from markupsafe import Markup

from app import i18n
from app.staff import may_open
from app.web import sizes
from app.web.labels import label
from app.web.places import place_label


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """An htmx request that wants a fragment (boosted navigation wants the page)."""
    headers = request.headers
    return headers.get("hx-request") == "true" and headers.get("hx-boosted") != "true"


def render(
    request: Request[Any, Any, Any],
    page: str,
    context: dict[str, Any] | None = None,
    *,
    fragment: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Template:
    """Render ``fragment`` for htmx requests and ``page`` otherwise.

    A page includes its fragments, so the two cannot drift apart; ``Vary``
    keeps caches from handing one where the other was asked for.
    """
    name = fragment if fragment and is_htmx(request) else page
    return Template(
        name,
        context={**base_context(request), **(context or {})},
        status_code=status_code,
        headers={"Vary": "HX-Request", "Cache-Control": "no-store", **(headers or {})},
    )


def render_fragment(request: Request[Any, Any, Any], name: str, context: dict[str, Any]) -> str:
    """A template rendered to a string (for server-sent events), seeing what a page sees."""
    template = Template(name, context={**base_context(request), **context})
    full = template.create_template_context(request)
    engine = request.app.template_engine
    assert engine is not None  # the app is built with its Jinja engine (app.factory)
    return str(engine.get_template(name).render(**full))


def local_path(target: str, fallback: str = "/") -> str:
    """``target`` when it is a path on this site, else ``fallback``.

    Browsers read ``/\\host`` and ``//host`` (and the same with tabs or newlines
    inside, which they strip) as another site, so only a single leading slash
    followed by something other than a slash or backslash passes.
    """
    if (not target.startswith("/") or target[1:2] in ("/", "\\")
            or any(ch == "\\" or ord(ch) < 32 or ord(ch) == 127 for ch in target)):
        return fallback
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else fallback


def redirect(request: Request[Any, Any, Any], path: str) -> Response[Any]:
    """See-other for plain posts; for htmx a 204 with ``HX-Redirect``.

    An XMLHttpRequest follows a 3xx silently, so htmx would swap the target
    page into the fragment's place; ``HX-Redirect`` makes it navigate instead.
    Only paths on this site are followed (``local_path``): whatever a form
    sent cannot send anyone elsewhere.
    """
    path = local_path(path)
    if request.headers.get("hx-request") == "true":
        return Response(content=b"", status_code=204,
                        headers={"HX-Redirect": path, "Vary": "HX-Request"})
    return Redirect(path, status_code=303, headers={"Vary": "HX-Request"})


def base_context(request: Request[Any, Any, Any]) -> dict[str, Any]:
    user = request.scope.get("user")
    locale = user.locale if user else "ru_RU"
    currency = user.currency if user else "RUB"
    tz = ZoneInfo(user.timezone if user else "Europe/Moscow")
    return {
        "user": user,
        "lang": i18n.current_language(),
        "nonce": secrets.token_urlsafe(12),
        "money": lambda minor: i18n.money(minor, currency, locale),
        "weight": lambda grams: i18n.weight(grams, locale),
        "number": lambda value, digits=0: i18n.number(value, locale, digits),
        "local_time": lambda dt: _local(dt, tz).strftime("%H:%M") if dt else "",
        "now": request.app.state.clock(),
        "static": request.app.state.static_url,
        "label": label,
        "size_of": sizes.size_text,
        "price_basis": sizes.price_basis,
        "place_label": place_label,
        # Links to another area are shown only to those its guard lets in.
        "may_open": lambda area: user is not None and may_open(user.role, area),
        "is_late": lambda dt: dt is not None and _local(dt, tz) < request.app.state.clock(),
        "due": lambda dt: _due(dt, tz, request.app.state.clock()),
        "of": of,
    }


def _local(dt: datetime, tz: ZoneInfo) -> datetime:
    return dt.astimezone(tz)


def of(part: object, whole: object) -> Markup:
    """"2 / 3", "0 g / 1,000 kg" as one piece a line never breaks ("0 /" and "1" apart)."""
    return Markup('<span class="nowrap">{} / {}</span>').format(part, whole)


def _due(dt: datetime | None, tz: ZoneInfo, now: datetime) -> Markup:
    """"due 20:30", in red on every screen once the time has passed."""
    if dt is None:
        return Markup("")
    text = f"{i18n.gettext('due')} {_local(dt, tz).strftime('%H:%M')}"
    if dt < now:
        return Markup('<span class="text-danger" data-late>{}</span>').format(text)
    return Markup("<span>{}</span>").format(text)
