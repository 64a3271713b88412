"""The supervisor's board updates by itself when a picker scans (real server, real Chromium)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PHONE, LiveServer, seeded_database, sign_in, start_server
from tests.support.people import unwrapped
from tests.support.shop import MILK, add_order


@pytest.fixture
def shop_server(sqlite_template: Path, tmp_path: Path) -> Iterator[LiveServer]:
    """The test shop with two orders, served by uvicorn on a fresh SQLite file."""

    async def orders(db: Any, shop: Any) -> None:
        async with db.writing() as session:
            await add_order(session, shop, {"milk": 1, "bread": 1}, oms_id="E-MILK",
                            due_in=timedelta(minutes=30))
            await add_order(session, shop, {"water": 1}, oms_id="E-WATER",
                            due_in=timedelta(hours=2))

    url, _ = seeded_database(sqlite_template, tmp_path, orders)
    server = start_server(url)
    yield server
    server.stop()


def test_the_board_shows_a_scan_without_a_reload(
        shop_server: LiveServer, browser: Any) -> None:
    board_context = browser.new_context(viewport={"width": 1280, "height": 900},
                                        locale="en-US")
    board = board_context.new_page()
    picker_context = browser.new_context(**PHONE)
    phone = picker_context.new_page()
    try:
        sign_in(board, shop_server.url, "5001", "super-5001")
        board.click(".home-area[data-area=board]")  # the first card of the supervisor's home
        board.wait_for_url("**/board")
        row = board.locator('tr[data-order="E-MILK"]')
        assert "0 of 2" in unwrapped(row.locator("[data-progress]").inner_text())
        # Marks that a whole-board swap would wipe: the stream sends only what changes.
        board.evaluate("window.__sameDocument = true; document.querySelector('#board')"
                       ".dataset.mark = 'loaded'")
        board.wait_for_function("document.querySelector('[sse-connect]') && "
                                "htmx.find('[sse-connect]')")
        time.sleep(0.3)  # let the EventSource open

        sign_in(phone, shop_server.url, "1001", "1111")
        phone.click("text=Take next order")
        phone.wait_for_selector("#scan-input")
        # taken: the row moves from the queue to "picking", and the counters follow
        board.wait_for_selector('#rows-picking tr[data-order="E-MILK"]', timeout=20_000)
        assert board.locator('tr[data-order="E-MILK"]').count() == 1
        assert board.inner_text("[data-count=picking]") == "1"
        assert board.inner_text("[data-count=queued]") == "1"
        assert board.locator('[data-section=queued] tr[data-order="E-WATER"]').is_visible()
        phone.fill("#scan-input", MILK)
        phone.press("#scan-input", "Enter")
        # How fast it arrives is measured by benchmarks/board.py, not asserted here.
        board.wait_for_function(
            "document.querySelector('tr[data-order=\"E-MILK\"] [data-progress]')"
            ".innerText.replace(/\u00a0/g, ' ').includes('1 of 2')", timeout=20_000)
        assert board.evaluate("window.__sameDocument") is True  # no reload happened
        assert board.evaluate("document.querySelector('#board').dataset.mark") == "loaded"
        picker_cell = board.locator('tr[data-order="E-MILK"] td').nth(2).inner_text()
        assert picker_cell.strip() == "Picker"
    finally:
        board_context.close()
        picker_context.close()


def test_the_supervisor_reassigns_from_the_order_panel_and_sees_the_history(
        shop_server: LiveServer, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    try:
        sign_in(page, shop_server.url, "5001", "super-5001")
        page.goto(f"{shop_server.url}/board/")
        page.click('tr[data-order="E-WATER"] a')
        page.wait_for_selector('#order-panel[data-order="E-WATER"]')
        # nobody is preselected: the supervisor chooses, seeing who is free
        assert page.locator("#assign-picker").input_value() == ""
        page.select_option("#assign-picker", label="Picker2 — free")
        page.click("#order-panel button:has-text('Assign')")
        page.wait_for_selector("#order-panel >> text=Picker assigned.")
        assert page.locator('#order-panel [data-event="PickerAssigned"]').count() == 1
        page.wait_for_function(
            "document.querySelector('tr[data-order=\"E-WATER\"]').innerText.includes('Picker2')",
            timeout=20_000)
        # Picker2 is busy now: giving them a second order takes a confirmation
        page.click('tr[data-order="E-MILK"] a')
        page.wait_for_selector('#order-panel[data-order="E-MILK"]')
        page.select_option("#assign-picker", label="Picker2 — picking 1 order")
        page.click("#order-panel button:has-text('Assign')")
        page.wait_for_selector("#order-panel >> text=Picker2 is already picking 1 order.")
        assert page.locator('#order-panel [data-event="PickerAssigned"]').count() == 0
        page.click("#order-panel button:has-text('Yes, assign anyway')")
        page.wait_for_selector("#order-panel >> text=Picker assigned.")
        assert page.locator('#order-panel [data-event="PickerAssigned"]').count() == 1
    finally:
        context.close()
