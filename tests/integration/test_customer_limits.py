"""Customer-link rate limits behind a reverse proxy, shared by processes (issue #18, item 8).

The live server's peer is 127.0.0.1, standing for the reverse proxy. Trusted,
its X-Forwarded-For tells customers apart; untrusted, the header is ignored.
Budgets live in the database: a second app process on the same database sees
what the first counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.web.customer import LINK_RULE
from tests.e2e.conftest import LiveServer, start_server

pytestmark = pytest.mark.timeout(60)
LINK = "/c/" + "x" * 43  # limits apply before the link is looked up (unknown: 404)


def codes(client: httpx.Client, n: int, client_ip: str) -> list[int]:
    return [client.get(LINK, headers={"X-Forwarded-For": client_ip}).status_code
            for _ in range(n)]


@pytest.fixture
def proxied(db_url: str, shop: Any) -> Iterator[tuple[LiveServer, LiveServer]]:
    first = start_server(db_url, trusted_proxies="127.0.0.1")
    second = start_server(db_url, trusted_proxies="127.0.0.1")
    yield first, second
    first.stop()
    second.stop()


def test_behind_a_trusted_proxy_each_customer_has_their_own_budget_in_every_process(
        proxied: tuple[LiveServer, LiveServer]) -> None:
    first, second = proxied
    with httpx.Client(base_url=first.url) as one, httpx.Client(base_url=second.url) as two:
        # someone else holding the link spends their own budget ...
        spent = codes(one, LINK_RULE.free + 1, "198.51.100.66")
        assert set(spent[:-1]) == {404} and spent[-1] == 429
        assert int(one.get(LINK, headers={"X-Forwarded-For": "198.51.100.66"})
                   .headers["retry-after"]) <= 60
        # ... in every process, since the budget is in the database ...
        assert codes(two, 1, "198.51.100.66") == [429]
        # ... and the customer, behind the same proxy, still opens the link
        assert codes(two, 3, "203.0.113.20") == [404] * 3


def test_without_trusted_proxies_a_forged_header_does_not_buy_a_new_budget(
        db_url: str, shop: Any) -> None:
    server = start_server(db_url)
    try:
        with httpx.Client(base_url=server.url) as client:
            forged = [client.get(LINK, headers={"X-Forwarded-For": f"198.51.100.{i}"})
                      .status_code for i in range(LINK_RULE.free + 1)]
    finally:
        server.stop()
    assert forged[-1] == 429, forged
