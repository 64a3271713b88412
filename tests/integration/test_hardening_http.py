"""The small hardening probes of issue #18, item 9, kept as tests.

Security headers on every response; redirects only to this site (``next=/\\evil``);
the picker's live stream refuses another store's order; CSRF tokens are bound
to the session.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from app.factory import create_app
from app.settings import Settings
from tests.integration.test_substitution_http import CookieJarSwap
from tests.support.people import Person
from tests.support.shop import add_order

HEADERS = ("content-security-policy", "x-frame-options", "x-content-type-options",
           "referrer-policy", "permissions-policy")


async def test_every_kind_of_response_carries_the_security_headers(client: Any) -> None:
    for path in ("/login", "/static/css/app.css", "/healthz", "/no-such-page", "/pick/"):
        response = await client.get(path, follow_redirects=False)
        assert all(h in response.headers for h in HEADERS), (path, response.headers)
    csp = (await client.get("/login")).headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-eval'" not in csp
    assert "camera=(self)" in (await client.get("/login")).headers["permissions-policy"]
    assert "strict-transport-security" not in (await client.get("/login")).headers  # dev: HTTP


async def test_hsts_outside_development(db_url: str, shop: Any) -> None:
    settings = Settings(database_url=db_url, run_relay=False, secret_key="s" * 40,
                        oms_shared_secret="o" * 40)
    async with AsyncTestClient(app=create_app(settings)) as production:
        response = await production.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_a_form_cannot_redirect_anywhere_but_this_site(client: Any) -> None:
    person = Person(client, "picker")
    for target in ("/\\evil.example", "//evil.example", "/\t/evil.example",
                   "https://evil.example", "/%5cevil.example"):
        plain = await person.post("/me/language", {"language": "en", "next": target})
        htmx = await person.post("/me/language", {"language": "en", "next": target},
                                 htmx=True)
        assert plain.headers["location"] in ("/", "/%5cevil.example"), target
        assert htmx.headers["hx-redirect"] == plain.headers["location"], target
    ok = await person.post("/me/language", {"language": "en", "next": "/pick/"})
    assert ok.headers["location"] == "/pick/"


@pytest.mark.timeout(30)  # before the fix the stream opened, and the test client waits forever
async def test_the_picker_stream_refuses_another_stores_order(
        db: Any, shop: Any, picker: Person) -> None:
    async with db.writing() as session:
        foreign = await add_order(session, shop, {"milk": 1}, store_id=shop.other_store_id)
    response = await picker.get(f"/pick/{foreign}/substitutions/live")
    assert response.status_code == 404
    assert (await picker.get("/pick/999999/substitutions/live")).status_code == 404


async def test_csrf_tokens_are_bound_to_the_session(client: Any) -> None:
    first, second = Person(client, "picker"), Person(CookieJarSwap(client), "picker2")
    anonymous = (await first.get("/login"), first.csrf)[1]
    assert (await first.sign_in()).status_code == 303
    assert first.csrf != anonymous  # a new token at sign-in
    assert (await second.sign_in()).status_code == 303
    assert first.csrf != second.csrf
    stolen = await second.client.post("/pick/next", headers={"x-csrftoken": first.csrf},
                                      follow_redirects=False)
    assert stolen.status_code == 403 and "This form has expired" in stolen.text
    stale = await first.client.post("/pick/next", headers={"x-csrftoken": anonymous},
                                    follow_redirects=False)
    assert stale.status_code == 403
    own = await first.post("/pick/next")
    assert own.status_code != 403


async def test_the_api_schema_is_for_admins_only_and_loads_nothing_from_a_cdn(
        db_url: str, shop: Any, client: Any) -> None:
    for viewer in ("/schema/swagger", "/schema/redoc", "/schema/rapidoc", "/schema/elements"):
        assert (await client.get(viewer)).status_code == 404  # no HTML viewers at all
    assert (await client.get("/schema/openapi.json")).status_code == 200  # development
    settings = Settings(database_url=db_url, run_relay=False, secret_key="s" * 40,
                        oms_shared_secret="o" * 40)
    async with AsyncTestClient(app=create_app(settings), base_url="https://testserver.local"
                               ) as production:
        anonymous = await production.get("/schema/openapi.json", follow_redirects=False)
        assert anonymous.status_code in (302, 303) and anonymous.headers["location"] == "/login"
        supervisor = Person(production, "supervisor")
        assert (await supervisor.sign_in()).status_code == 303
        assert (await production.get("/schema/openapi.json")).status_code == 403
