"""ASGI factories the benchmarks serve with uvicorn in a separate process."""

from __future__ import annotations

import os
from typing import Any

from litestar import Litestar, Request, get, post
from litestar.response import Response


def storepick_app() -> Any:
    from app.factory import create_app
    from app.settings import Settings

    return create_app(Settings.from_env({"STOREPICK_ENV": "development", **os.environ}))


def storepick_probed_app() -> Any:
    """storepick with one more path for the memory benchmark, answered before the app
    sees the request: ``/_bench/sqlite-heap``, the bytes SQLite itself holds in this
    process (``sqlite3_memory_used()``: page caches, schemas, prepared statements).
    Asked on the event loop like any request, so SQLite's own lock is taken as its
    callers take it (asking from outside, through a debugger, can stop a thread that
    holds it and then wait for it forever)."""
    import ctypes

    sqlite = ctypes.CDLL("libsqlite3.so.0")  # the library the sqlite3 module loaded
    sqlite.sqlite3_memory_used.restype = ctypes.c_longlong
    app = storepick_app()

    async def probed(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/_bench/sqlite-heap":
            body = str(sqlite.sqlite3_memory_used()).encode()
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)

    return probed


_FRAGMENT = ('<div id="scan-feedback"><div class="feedback feedback--ok">{name}: {picked} of '
             '{ordered}</div></div><li id="line-{id}" hx-swap-oob="true">{name} {picked}</li>')


def bare_app() -> Any:
    """The bare stack: Litestar + aiosqlite, one read + one write + a small render."""
    import asyncio

    import aiosqlite
    from jinja2 import Template

    path = os.environ["DATABASE_URL"].split(":///", 1)[1]
    template = Template(_FRAGMENT.replace("{", "{{ ").replace("}", " }}"))
    state: dict[str, Any] = {}

    async def connect(app: Litestar) -> None:
        conn = await aiosqlite.connect(path, isolation_level=None)
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        state["conn"] = conn
        # One connection, one transaction at a time: writes wait their turn, as the
        # app's own single SQLite writer does (without it, concurrent BEGINs fail).
        state["lock"] = asyncio.Lock()

    @get("/healthz")
    async def health() -> str:
        return "ok"

    @get("/pick/{order_id:int}")
    async def page(order_id: int) -> Response[str]:
        return Response('<input name="_csrf_token" value="x">', media_type="text/html")

    @post("/pick/{order_id:int}/scan")
    async def scan(request: Request[Any, Any, Any], order_id: int) -> Response[str]:
        await request.form()
        conn = state["conn"]
        async with state["lock"]:
            await conn.execute("BEGIN IMMEDIATE")
            async with conn.execute(
                    "SELECT l.id, l.quantity, l.picked_quantity, p.name_en FROM order_lines l "
                    "JOIN products p ON p.id = l.product_id WHERE l.order_id = ?",
                    (order_id,)) as cur:
                line_id, quantity, picked, name = await cur.fetchone()
            await conn.execute("UPDATE order_lines SET picked_quantity = ? WHERE id = ?",
                               (picked + 1, line_id))
            await conn.execute("COMMIT")
        html = template.render(name=name, picked=picked + 1, ordered=quantity, id=line_id)
        return Response(html, media_type="text/html", status_code=200)

    return Litestar([health, page, scan], on_startup=[connect])
