from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from app.factory import create_app
from app.settings import Settings
from tests.support.people import Person
from tests.support.shop import NOW
from tests.support.view_guard import view_guard  # noqa: F401  (autouse)


class Clock:
    """A clock tests can move; the app reads it for every 'now'."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> Any:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def client(db_url: str, shop: Any, clock: Clock) -> AsyncIterator[AsyncTestClient[Any]]:
    settings = Settings(environment="development", database_url=db_url, run_relay=False)
    app = create_app(settings, clock=clock)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        test_client.headers["accept-language"] = "en-GB,en;q=0.9"  # anonymous pages in English
        yield test_client


@pytest.fixture
async def picker(client: AsyncTestClient[Any]) -> Person:
    person = Person(client, "picker")
    response = await person.sign_in()
    assert response.status_code in (302, 303), response.text[:300]
    return person


@pytest.fixture
def phone(client: AsyncTestClient[Any]) -> Any:
    """The customer's phone: the same app, but its own cookies (no staff session)."""
    from tests.integration.test_substitution_http import CookieJarSwap

    return CookieJarSwap(client)
