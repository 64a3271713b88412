"""A keyboard-wedge scanner on a phone with JavaScript off: every page answer leaves the
scan field empty, so a refused code is never glued onto the next scan."""

from __future__ import annotations

import re
from typing import Any

from picking.gtin import complete
from tests.e2e.conftest import PHONE, LiveServer, sign_in
from tests.e2e.test_picker_flow import DEMO_PICKER, lines_of


def wedge_scan(page: Any, code: str) -> None:
    """Type into whatever the field holds, the way a scanner does, then Enter."""
    page.focus("#scan-input")
    page.keyboard.press("End")
    page.keyboard.type(code)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_refused_code_is_shown_and_the_next_scan_goes_through(
        live_server: LiveServer, browser: Any) -> None:
    context = browser.new_context(**PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, *DEMO_PICKER)
        page.get_by_role("button", name="Take next order").click()
        page.wait_for_url(re.compile(r"/pick/\d+$"))
        order_id = int(page.url.rsplit("/", 1)[1])
        line = next(ln for ln in lines_of(live_server, order_id)
                    if ln.unit == "piece" and not ln.marked and ln.gtin)

        wrong = complete("460000000000")
        wedge_scan(page, wrong)
        banner = page.locator("#scan-feedback .feedback")
        assert banner.get_attribute("data-feedback") == "error"
        assert wrong in banner.inner_text()
        assert page.input_value("#scan-input") == ""

        wedge_scan(page, line.gtin or "")
        assert page.locator("#scan-feedback .feedback").get_attribute("data-feedback") == "ok"
        assert page.input_value("#scan-input") == ""
        assert f"1 / {line.quantity}" in (page.locator(f"#line-{line.line_id}").text_content()
                                          or "")
    finally:
        context.close()
