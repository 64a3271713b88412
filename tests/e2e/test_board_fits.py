"""The board on a tablet and on a phone (real server, real Chromium), after a long demo:
35 orders need attention, two of them already late.

The alerts above the tables stay a few lines high with the worst on top; tapping an
order anywhere on the board opens its panel in view (with htmx, and as its own page
without JavaScript); at 360 px nothing is cut off at the side.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PHONE, LiveServer, seeded_database, sign_in, start_server
from tests.support.shop import add_order

TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True, "locale": "en-US"}
DUE_IN_MINUTES = {"E-LATE-40": -40, "E-LATE-10": -10, "E-SOON": 35,
                  **{f"E-LATER-{n:02d}": 60 + 7 * n for n in range(32)}}


@pytest.fixture(scope="module")
def long_shift(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[LiveServer]:
    """35 orders queued 25 minutes ago (the queue's limit is 20): every one alerts."""
    created = datetime.now(UTC) - timedelta(minutes=25)

    async def orders(db: Any, shop: Any) -> None:
        async with db.writing() as session:
            for oms_id, minutes in DUE_IN_MINUTES.items():
                await add_order(session, shop, {"milk": 1, "bread": 1}, oms_id=oms_id,
                                due_in=timedelta(minutes=minutes + 25), now=created)

    url, _ = seeded_database(sqlite_template, tmp_path_factory.mktemp("shift"), orders)
    server = start_server(url)
    yield server
    server.stop()


def box(locator: Any) -> Any:
    """The element's box once it is on screen: the live board swaps its sections in
    (every 30 s and on each event), and a box read mid-swap would be None."""
    locator.wait_for(state="visible")
    found = locator.bounding_box()
    assert found is not None
    return found


def in_viewport(page: Any, selector: str) -> bool:
    return bool(page.evaluate("""(sel) => { const r = document.querySelector(sel)
        .getBoundingClientRect(); return r.top >= 0 && r.left >= 0 && r.height > 0 &&
        r.bottom <= innerHeight + 1 && r.right <= innerWidth + 1; }""", selector))


def test_on_a_tablet_the_worst_alerts_lead_and_an_order_opens_in_view(
        long_shift: LiveServer, browser: Any) -> None:
    context = browser.new_context(**TABLET)
    page = context.new_page()
    try:
        sign_in(page, long_shift.url, "5001", "super-5001")
        page.goto(f"{long_shift.url}/board/")
        assert page.locator("[data-count=attention]").inner_text() == "35"
        shown = page.locator("#board-alerts [data-alert]")
        assert [shown.nth(i).get_attribute("data-alert") for i in range(shown.count())] == [
            "E-LATE-40", "E-LATE-10", "E-SOON"]
        assert "and 32 more" in page.inner_text("#board-alerts summary")
        alerts_height = box(page.locator("#board-alerts"))["height"]
        assert alerts_height <= 240, alerts_height  # 35 banners were ~1,650 px

        last = page.locator('tr[data-order="E-LATER-31"] a')
        last.click()  # far down the board: Playwright scrolls to it, as a finger would
        page.wait_for_selector('#order-panel[data-order="E-LATER-31"]')
        assert page.evaluate("scrollY") > 768  # the board stayed scrolled where it was
        assert in_viewport(page, "#order-panel h2") and in_viewport(page, "#assign-picker")
        assert box(page.locator("#order-panel"))["height"] == 768  # a full side panel
        assert page.evaluate("document.activeElement.id") == "order-panel-title"
        page.click("#order-panel .order-panel__close")
        page.wait_for_selector("#order-panel:not([data-order])", state="attached")
        assert not page.locator("#order-panel").is_visible()
    finally:
        context.close()

    no_js = browser.new_context(**TABLET, java_script_enabled=False)
    page = no_js.new_page()
    try:
        sign_in(page, long_shift.url, "5001", "super-5001")
        page.goto(f"{long_shift.url}/board/")
        page.click('tr[data-order="E-LATER-31"] a')
        page.wait_for_url("**/board/orders/*")
        assert in_viewport(page, '#order-panel[data-order="E-LATER-31"] h2')
    finally:
        no_js.close()


def test_on_a_phone_the_board_fits_the_width_and_an_order_fills_the_screen(
        long_shift: LiveServer, browser: Any) -> None:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    try:
        sign_in(page, long_shift.url, "5001", "super-5001")
        page.goto(f"{long_shift.url}/board/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        row = page.locator('tr[data-order="E-SOON"]')
        assert box(row)["width"] <= 360
        labels = page.evaluate("""() => [...document.querySelector(
            'tr[data-order="E-SOON"]').cells].map((td) => getComputedStyle(td, '::before').content)
            """)  # one query in the page: the live board may swap the row in between
        assert labels[1] == '"Due: "', labels  # each cell says what it is
        row.locator("a").click()
        page.wait_for_selector('#order-panel[data-order="E-SOON"]')
        panel = box(page.locator("#order-panel"))
        assert panel["x"] >= 0 and panel["width"] <= 360 and panel["height"] <= 740
        assert in_viewport(page, "#order-panel .order-panel__close")
    finally:
        context.close()
