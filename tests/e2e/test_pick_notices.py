"""A notice from outside reaches the picker wherever they are on the pick page."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx

from sync.signing import signed_request_headers
from tests.e2e.conftest import LiveServer, sign_in
from tests.e2e.test_picker_flow import DEMO_PICKER

WATCH = """
document.addEventListener('htmx:sseOpen', () => { window.liveOpen = true; });
window.vibrations = [];
navigator.vibrate = (pattern) => { window.vibrations.push(pattern); return true; };
"""


SCROLL_TO_BOTTOM = """() => {
    window.scrollTo(0, document.scrollingElement.scrollHeight);
    return window.scrollY > 740;
}"""


def cancel_from_the_oms(server: LiveServer, oms_id: str) -> None:
    body = json.dumps({"reason": "customer changed their mind"}).encode()
    path = f"/api/v1/stores/MSK-001/orders/{oms_id}/cancel"
    headers = {**signed_request_headers("dev-oms-secret", int(time.time()), "POST", path, body),
               "Content-Type": "application/json"}
    answer = httpx.post(server.url + path, content=body, headers=headers)
    assert answer.status_code == 200, answer.text


def test_a_cancellation_shows_on_screen_with_vibration_while_scrolled_to_the_bottom(
        live_server: LiveServer, phone: Any) -> None:
    phone.context.add_init_script(WATCH)
    sign_in(phone, live_server.url, *DEMO_PICKER)
    phone.get_by_role("button", name="Take next order").click()
    phone.wait_for_url(re.compile(r"/pick/\d+$"))
    phone.wait_for_function("window.liveOpen === true")
    oms_id = phone.locator(".pick__order").inner_text().strip()
    phone.wait_for_function(SCROLL_TO_BOTTOM)

    cancel_from_the_oms(live_server, oms_id)
    notice = phone.locator("#subs-notice .notice")
    notice.wait_for(timeout=20_000)
    assert "cancelled" in notice.inner_text()
    box = notice.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 740, box
    text_top = notice.locator(".feedback__text").bounding_box()
    assert phone.evaluate(  # on top of everything, not under the list or the action bar
        f"document.elementFromPoint(180, {text_top['y'] + 5}).closest('.notice') !== null")
    phone.wait_for_function("window.vibrations.length > 0")

    close = notice.get_by_role("button", name="Got it")
    size = close.bounding_box()
    assert size["height"] >= 44 and size["width"] >= 44
    close.click()
    assert phone.locator("#subs-notice .notice").count() == 0


def test_the_pace_refreshing_leaves_the_picker_where_they_scrolled(
        live_server: LiveServer, phone: Any) -> None:
    """The pace card refreshes itself every minute; a picker who scrolled down the list
    to see what comes next must not be thrown back to the current line by it (before,
    every swap on the page, this one included, scrolled the current line into view)."""
    sign_in(phone, live_server.url, *DEMO_PICKER)
    phone.get_by_role("button", name="Take next order").click()
    phone.wait_for_url(re.compile(r"/pick/\d+$"))
    phone.wait_for_selector("#pace")  # its first load, which came with the page
    phone.wait_for_function(SCROLL_TO_BOTTOM)
    phone.evaluate("document.getElementById('pace').dataset.old = '1'")
    # The card's own minute poll, now: the same request and the same swap.
    phone.evaluate("htmx.ajax('GET', document.getElementById('pace').getAttribute('hx-get'),"
                   " {target: '#pace', swap: 'outerHTML'})")
    phone.wait_for_function("document.getElementById('pace') && "
                            "!document.getElementById('pace').dataset.old")
    phone.wait_for_timeout(300)  # settling, and anything that would scroll after it
    assert phone.evaluate("window.scrollY") > 740
    # The test shop's orders were due days ago: read in days and hours, not 17,000 minutes.
    assert re.search(r"Order overdue by \d+\s?d(\s\d+\s?h)?(?!\s?\d*\s?min)",
                     phone.locator("#pace").inner_text())

    # An answer to the picker's own scan still brings the current line into view.
    phone.fill("#scan-input", "0000000000000")
    phone.press("#scan-input", "Enter")
    phone.wait_for_selector("#scan-feedback .feedback[data-feedback]")
    phone.wait_for_function("window.scrollY < 740")
