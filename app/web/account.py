"""Sign-in, sign-out, language, and the role-based home page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template
from sqlalchemy import select, update

from app import i18n
from app.auth import SESSION_COOKIE, SignInFailure, requires_staff, sign_in, sign_out
from app.db import tables
from app.i18n import gettext as _
from app.staff import HUB_ROLES
from app.web.deps import clock
from app.web.render import redirect, render

Req = Request[Any, Any, Any]


async def _stores(request: Req) -> list[dict[str, Any]]:
    async with request.app.state.db.reading() as session:
        rows = await session.execute(select(tables.stores.c.code, tables.stores.c.name)
                                     .order_by(tables.stores.c.code))
        return [dict(r._mapping) for r in rows]


@get("/login", name="login")
async def login_page(request: Req) -> Template:
    return render(request, "account/login.html", {"stores": await _stores(request),
                                                  "form": {}})


@post("/login", name="login:post")
async def login(request: Req) -> Template | Redirect:
    form = await request.form()
    values = {k: str(form.get(k, "")).strip() for k in ("store", "personnel_no")}
    password = str(form.get("pin", ""))
    settings = request.app.state.settings
    error = None
    if not values["store"] or not values["personnel_no"] or not password:
        error = _("Enter your store, personnel number and PIN.")
    else:
        try:
            async with request.app.state.db.writing() as session:
                token = await sign_in(
                    session, store_code=values["store"], personnel_no=values["personnel_no"],
                    password=password, now=clock(request),
                    max_failures=settings.login_max_failures,
                    lockout=timedelta(minutes=settings.login_lockout_minutes),
                    session_lifetime=timedelta(hours=settings.session_hours))
        except SignInFailure as failure:
            error = (_("Too many wrong attempts. Try again in %(minutes)s minutes.",
                       minutes=settings.login_lockout_minutes)
                     if failure.reason == "locked"
                     else _("Wrong personnel number or PIN."))
    if error:
        return render(request, "account/login.html",
                      {"stores": await _stores(request), "form": values, "error": error},
                      status_code=401 if "PIN" in error or "attempts" in error else 422)
    response = redirect(request, "/")
    response.cookies.append(Cookie(
        key=SESSION_COOKIE, value=token, httponly=True, samesite="lax", path="/",
        secure=settings.secure_cookies, max_age=settings.session_hours * 3600))
    return response


@post("/logout", name="logout", guards=[requires_staff])
async def logout(request: Req) -> Redirect:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        async with request.app.state.db.writing() as session:
            await sign_out(session, token)
        request.app.state.session_cache.forget(token)
    response = redirect(request, "/login")
    response.cookies.append(Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/"))
    return response


@post("/me/language", name="language")
async def change_language(request: Req) -> Response[Any]:
    """Remember the language: on the person when signed in, in a cookie always."""
    form = await request.form()
    language = str(form.get("language", ""))
    back = str(form.get("next", "/"))
    response = redirect(request, back if back.startswith("/") and not back.startswith("//")
                        else "/")
    if language in i18n.LANGUAGES:
        if request.user is not None:
            async with request.app.state.db.writing() as session:
                await session.execute(update(tables.staff).where(
                    tables.staff.c.id == request.user.id).values(language=language))
                await session.commit()
            request.app.state.session_cache.forget(request.cookies.get(SESSION_COOKIE, ""))
        response.cookies.append(Cookie(key="lang", value=language, max_age=365 * 86400,
                                       path="/", samesite="lax"))
    return response


@get("/", name="home", guards=[requires_staff])
async def home(request: Req) -> Template | Redirect:
    """Supervisors and admins get a page listing every area they may open; a role
    with one main job lands on it (the top bar's menu links to the rest)."""
    areas = request.user.areas
    if areas and request.user.role not in HUB_ROLES:
        return redirect(request, request.app.route_reverse(areas[0].route))
    return render(request, "home.html", {"areas": areas})
