"""A live stream that ends is picked up again by the browser (issue #18, item 7).

The server ends each board stream after 1 s (``live_max_seconds``; an hour in
production, so that a session ended since is noticed) and tells the browser to
come back after a short ``retry:``. The board keeps reconnecting on its own,
without reloading the page, and a scan made after several reconnects still
reaches it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.web import live
from tests.e2e.conftest import PHONE, LiveServer, seeded_database, sign_in, start_server
from tests.support.shop import MILK, add_order


@pytest.fixture
def short_streams(sqlite_template: Path, tmp_path: Path, monkeypatch: Any
                  ) -> Iterator[LiveServer]:
    async def orders(db: Any, shop: Any) -> None:
        async with db.writing() as session:
            await add_order(session, shop, {"milk": 1, "bread": 1}, oms_id="E-MILK",
                            due_in=timedelta(minutes=30))

    monkeypatch.setattr(live, "RETRY_MS", (200, 400))  # the server runs in this process
    url, _ = seeded_database(sqlite_template, tmp_path, orders)
    server = start_server(url, live_keepalive_seconds=0.3, live_max_seconds=1.0)
    yield server
    server.stop()


def test_the_board_reconnects_by_itself_and_still_hears_a_scan(
        short_streams: LiveServer, browser: Any) -> None:
    board_context = browser.new_context(viewport={"width": 1024, "height": 768},
                                        locale="en-US")
    board = board_context.new_page()
    phone_context = browser.new_context(**PHONE)
    phone = phone_context.new_page()
    try:
        sign_in(board, short_streams.url, "5001", "super-5001")
        board.goto(f"{short_streams.url}/board")  # a supervisor lands on the home page
        board.evaluate("""window.__sameDocument = true; window.__opens = 0;
            document.body.addEventListener('htmx:sseOpen', () => { window.__opens += 1; });""")
        board.wait_for_function("window.__opens >= 3", timeout=20_000)  # ended, came back
        sign_in(phone, short_streams.url, "1001", "1111")
        phone.click("text=Take next order")
        phone.wait_for_selector("#scan-input")
        phone.fill("#scan-input", MILK)
        phone.press("#scan-input", "Enter")
        board.wait_for_function(
            "document.querySelector('tr[data-order=\"E-MILK\"] [data-progress]')"
            ".innerText.replace(/\u00a0/g, ' ').includes('1 of 2')", timeout=20_000)
        assert board.evaluate("window.__sameDocument") is True  # no reload happened
    finally:
        board_context.close()
        phone_context.close()
