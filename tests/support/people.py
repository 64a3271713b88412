"""People using the app through its HTTP interface, the way a browser would.

``Person`` signs in with the store's form, keeps the cookies, and sends the
CSRF token it finds in each page, like a browser sending a form.
"""

from __future__ import annotations

import re
from typing import Any

from httpx import Response

from tests.support.shop import PEOPLE

_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
_WHOLE = re.compile(r'<span class="nowrap">([^<]*)</span>')


def unwrapped(html: str) -> str:
    """A page's text with the spans that keep order numbers whole taken out, and the
    no-break spaces that keep a number on its unit's line ("930\u00a0ml") read as the
    spaces they look like: to look for a sentence as a person reads it."""
    return _WHOLE.sub(r"\1", html).replace("\u00a0", " ")


class Person:
    def __init__(self, client: Any, key: str) -> None:
        self.client = client
        self.store, self.number, self.role, self.pin, self.language = PEOPLE[key]
        self.csrf = ""

    def _remember_csrf(self, response: Response) -> Response:
        found = _CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    async def get(self, url: str, **kw: Any) -> Response:
        return self._remember_csrf(await self.client.get(url, **kw))

    async def post(self, url: str, data: dict[str, Any] | None = None, *, htmx: bool = False,
                   **kw: Any) -> Response:
        if not self.csrf:
            await self.get("/login")
        headers = {"x-csrftoken": self.csrf, **kw.pop("headers", {})}
        if htmx:
            headers["HX-Request"] = "true"
        kw.setdefault("follow_redirects", False)
        response = await self.client.post(url, data=data or {}, headers=headers, **kw)
        return self._remember_csrf(response)

    async def sign_in(self, pin: str | None = None) -> Response:
        await self.get("/login")
        response = await self.post("/login", {"store": self.store, "personnel_no": self.number,
                                              "pin": pin or self.pin})
        if response.status_code in (302, 303):
            # CSRF tokens are bound to the session: a browser lands on its home page
            # and takes the new session's token from there.
            await self.get("/", follow_redirects=True)
        return response

    # -- picker actions ------------------------------------------------------

    async def take_next(self) -> int:
        response = await self.post("/pick/next")
        assert response.status_code in (302, 303), response.text[:500]
        return int(response.headers["location"].rstrip("/").split("/")[-1])

    async def scan(self, order_id: int, code: str, *, scan_id: str | None = None,
                   quantity: int = 1, htmx: bool = True, confirm: bool = False) -> Response:
        data = {"code": code, "quantity": str(quantity)}
        if scan_id:
            data["scan_id"] = scan_id
        if confirm:
            data["confirm"] = "1"
        return await self.post(f"/pick/{order_id}/scan", data, htmx=htmx)
