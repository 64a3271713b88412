"""Sign-in, sign-out, language, and the role-based home page."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.response import Template
from sqlalchemy import select, update

from app import i18n
from app.auth import (
    SESSION_COOKIE,
    STRONG_MIN_LENGTH,
    Attempt,
    SignInFailure,
    known_device_tag,
    requires_staff,
    sign_in,
    sign_out,
)
from app.db import tables
from app.i18n import gettext as _
from app.i18n import ngettext
from app.staff import HUB_ROLES
from app.web.deps import client_ip, clock
from app.web.render import redirect, render
from picking.keyboard import from_russian_layout, typed_in_russian_layout

Req = Request[Any, Any, Any]


async def _stores(request: Req) -> list[dict[str, Any]]:
    async with request.app.state.db.reading() as session:
        rows = await session.execute(select(tables.stores.c.code, tables.stores.c.name)
                                     .order_by(tables.stores.c.code))
        return [dict(r._mapping) for r in rows]


def store_code(typed: str, stores: list[dict[str, Any]]) -> tuple[str | None, list[str]]:
    """The store a person typed, as its code: the code in any case or through the Russian
    layout ("ЬЫЛ-001" is MSK-001 typed with the Russian keys on), the list's own
    "CODE · name" text, or (JavaScript off, no suggestion tapped) the store's name or a
    part of it that names one store only. ``(None, candidates)`` when nothing or more
    than one store matches: the codes of the candidates, for the message."""
    text = " ".join(typed.split())
    by_code = {s["code"].casefold(): s["code"] for s in stores}
    guesses = [text, text.split(" · ", 1)[0]]
    if typed_in_russian_layout(text):
        guesses.append(from_russian_layout(text))
    for guess in guesses:
        if guess.casefold() in by_code:
            return by_code[guess.casefold()], []
    wanted = text.casefold()
    named = [s["code"] for s in stores if s["name"].casefold() == wanted]
    if len(wanted) >= 3 and not named:
        named = [s["code"] for s in stores if wanted in " ".join(s["name"].split()).casefold()]
    return (named[0], []) if len(named) == 1 else (None, named)


# The store this device signed in to last: chosen already on the sign-in page, so a
# picker of the second store does not start every shift from the first one.
STORE_COOKIE = "sp_store"


@get("/login", name="login")
async def login_page(request: Req) -> Template:
    stores = await _stores(request)
    last = request.cookies.get(STORE_COOKIE, "")
    form = {"store": last} if any(s["code"] == last for s in stores) else {}
    return render(request, "account/login.html", {"stores": stores, "form": form})


DEVICE_COOKIE = "sp_device"
_DEVICE_TAGS = 8  # accounts remembered per device


def _device(request: Req) -> tuple[str, list[str]]:
    """This device's id and the tags of the accounts that signed in on it."""
    parts = [p for p in request.cookies.get(DEVICE_COOKIE, "").split(".") if p]
    if parts and 8 <= len(parts[0]) <= 40:
        return parts[0], parts[1:1 + _DEVICE_TAGS]
    return secrets.token_urlsafe(12), []


@post("/login", name="login:post")
async def login(request: Req) -> Response[Any]:
    form = await request.form()
    values = {k: str(form.get(k, "")).strip()[:64] for k in ("store", "personnel_no")}
    password = str(form.get("pin", ""))[:256]
    settings = request.app.state.settings
    error, status, headers = None, 401, {}
    device_id, tags = _device(request)
    stores = await _stores(request)
    typed_store = values["store"]
    if typed_store:
        code, candidates = store_code(typed_store, stores)
        values["store"] = code or ""
    tag = known_device_tag(settings.secret_key, device_id, values["store"],
                           values["personnel_no"])
    if typed_store and not values["store"]:
        values["store"] = typed_store  # given back as typed, to be corrected
        error, status = (_("More than one store matches “%(typed)s”: %(codes)s. Choose "
                           "one from the list or type its code.", typed=typed_store,
                           codes=", ".join(candidates[:5]) + ("…" if len(candidates) > 5
                                                              else ""))
                         if candidates else
                         _("No store matches “%(typed)s”. Choose yours from the list or "
                           "type its code, as on your badge.", typed=typed_store)), 422
    elif not values["store"] or not values["personnel_no"] or not password:
        error, status = _("Enter your store, personnel number and PIN."), 422
    else:
        attempt = Attempt(store_code=values["store"], personnel_no=values["personnel_no"],
                          password=password, client=client_ip(request),
                          known_device=device_id if tag in tags else None)
        try:
            token = await sign_in(request.app.state.db, attempt, now=clock(request),
                                  session_lifetime=timedelta(hours=settings.session_hours))
        except SignInFailure as failure:
            if failure.reason == "throttled":
                seconds = failure.wait_seconds
                error, status = ngettext(
                    "Too many wrong attempts. Wait %(num)s second and try again.",
                    "Too many wrong attempts. Wait %(num)s seconds and try again.",
                    seconds), 429
                headers = {"Retry-After": str(seconds)}
            elif failure.reason == "weak":
                error, status = _(
                    "Supervisors and admins sign in with a password of at least "
                    "%(length)s characters. Ask an admin to set one for you.",
                    length=STRONG_MIN_LENGTH), 403
            else:
                error = _("Wrong personnel number or PIN.")
    if error:
        return render(request, "account/login.html",
                      {"stores": stores, "form": values, "error": error},
                      status_code=status, headers=headers)
    response = redirect(request, "/")
    response.cookies.append(Cookie(
        key=SESSION_COOKIE, value=token, httponly=True, samesite="lax", path="/",
        secure=settings.secure_cookies, max_age=settings.session_hours * 3600))
    remembered = [tag, *(t for t in tags if t != tag)][:_DEVICE_TAGS]
    response.cookies.append(Cookie(
        key=DEVICE_COOKIE, value=".".join([device_id, *remembered]), httponly=True,
        samesite="lax", path="/login", secure=settings.secure_cookies,
        max_age=180 * 86400))
    response.cookies.append(Cookie(
        key=STORE_COOKIE, value=values["store"], httponly=True, samesite="lax", path="/login",
        secure=settings.secure_cookies, max_age=180 * 86400))
    return response


@post("/logout", name="logout", guards=[requires_staff])
async def logout(request: Req) -> Response[Any]:
    token = request.cookies.get(SESSION_COOKIE)
    user = request.user
    if user is not None and user.role == "picker":
        # Signing out mid-run: the run's orders go back to the queue, totes kept.
        from app.services.runs import release_runs
        from app.web.deps import new_uow
        await release_runs(new_uow(request), user.id, user.store_id, clock(request))
    if token:
        async with request.app.state.db.writing() as session:
            await sign_out(session, token)
        await request.app.state.session_cache.forget_everywhere(token)
    response = redirect(request, "/login")
    response.cookies.append(Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/"))
    return response


@post("/me/language", name="language")
async def change_language(request: Req) -> Response[Any]:
    """Remember the language: on the person when signed in, in a cookie always."""
    form = await request.form()
    language = str(form.get("language", ""))
    back = str(form.get("next", "/"))
    response = redirect(request, back)  # redirect() follows only local paths
    if language in i18n.LANGUAGES:
        if request.user is not None:
            async with request.app.state.db.writing() as session:
                await session.execute(update(tables.staff).where(
                    tables.staff.c.id == request.user.id).values(language=language))
                await session.commit()
            await request.app.state.session_cache.forget_everywhere(
                request.cookies.get(SESSION_COOKIE, ""))
        response.cookies.append(Cookie(key="lang", value=language, max_age=365 * 86400,
                                       path="/", samesite="lax"))
    return response


@get("/", name="home", guards=[requires_staff])
async def home(request: Req) -> Response[Any]:
    """Supervisors and admins get a page listing every area they may open; a role
    with one main job lands on it (the top bar's menu links to the rest)."""
    areas = request.user.areas
    if areas and request.user.role not in HUB_ROLES:
        return redirect(request, request.app.route_reverse(areas[0].route))
    return render(request, "home.html", {"areas": areas})
