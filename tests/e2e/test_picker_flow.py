"""A demo picker on a phone: take an order, scan every line, short one, finish."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from picking.gtin import complete
from tests.e2e.conftest import LiveServer, sign_in
from tests.support.people import unwrapped

DEMO_PICKER = ("1003", "9134")  # Sam Taylor, English


@dataclass
class OrderLine:
    line_id: int
    name: str
    unit: str
    quantity: int
    marked: bool
    gtin: str | None
    plu: str | None


def lines_of(server: LiveServer, order_id: int) -> list[OrderLine]:
    path = server.database_url.split(":///", 1)[1]
    with sqlite3.connect(path) as con:
        rows = con.execute(
            "SELECT l.id, p.name_en, p.unit, l.quantity, p.marked, "
            "(SELECT gtin FROM product_barcodes b WHERE b.product_id = p.id LIMIT 1), p.plu "
            "FROM order_lines l JOIN products p ON p.id = l.product_id WHERE l.order_id = ? "
            "ORDER BY l.position", (order_id,)).fetchall()
    return [OrderLine(*row) for row in rows]


def codes_for(line: OrderLine) -> list[str]:
    """What a scanner would send for everything this line needs."""
    if line.unit == "weight":
        return [complete(f"22{int(line.plu or 0):05d}{line.quantity:05d}")]
    if line.marked:
        return [f"01{line.gtin}21SER{line.line_id:04d}{i:03d}<GS>93AbCd"
                for i in range(line.quantity)]
    return [line.gtin or ""] * line.quantity


def scan(page: Any, code: str) -> None:
    page.fill("#scan-input", code)
    page.press("#scan-input", "Enter")
    page.wait_for_function("!document.querySelector('.htmx-request')")


def fits_the_phone(page: Any) -> bool:
    """A page wider than the screen makes a phone zoom out: everything gets tiny."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_demo_picker_picks_a_whole_order_on_a_phone(live_server: LiveServer,
                                                      phone: Any) -> None:
    sign_in(phone, live_server.url, *DEMO_PICKER)
    assert fits_the_phone(phone)
    phone.get_by_role("button", name="Take next order").click()
    phone.wait_for_url(re.compile(r"/pick/\d+$"))
    assert fits_the_phone(phone)
    order_id = int(phone.url.rsplit("/", 1)[1])
    lines = lines_of(live_server, order_id)
    to_short, *to_pick = sorted(lines, key=lambda ln: ln.unit != "piece")  # short a piece line

    for line in to_pick:
        for code in codes_for(line):
            scan(phone, code)
            feedback = phone.locator("#scan-feedback .feedback")
            assert feedback.get_attribute("data-feedback") == "ok", feedback.inner_text()
        item = phone.locator(f"#line-{line.line_id}")
        assert "line--picked" in (item.get_attribute("class") or ""), line.name
    assert phone.evaluate("document.activeElement.id") == "scan-input"

    scan(phone, codes_for(to_pick[0])[0])  # one more than ordered
    assert phone.locator("#scan-feedback .feedback--error").is_visible()

    short_line = phone.locator(f"#line-{to_short.line_id}")
    short_line.locator("summary").click()
    short_line.get_by_role("button", name="Not on the shelf").click()
    phone.wait_for_function(
        f"document.querySelector('#line-{to_short.line_id}').classList.contains('line--short')")

    progress = unwrapped(phone.locator("#pick-progress .progress__text").inner_text())
    # one line is short: it counts as missing, never as picked (issue #12, item 4)
    assert progress == f"Picked {len(lines) - 1} of {len(lines)} · missing 1"
    phone.get_by_role("button", name="Finish picking").click()
    phone.wait_for_url(re.compile(r"/summary$"))
    summary = phone.locator("main").inner_text()
    assert "is picked" in summary and to_short.name in summary.replace("\u00a0", " ")
    assert "Not on the shelf" in summary
    assert phone.locator(".summary .line--short").count() == 1


def test_a_wrong_item_is_refused_with_a_red_banner(live_server: LiveServer, phone: Any) -> None:
    sign_in(phone, live_server.url, *DEMO_PICKER)
    phone.get_by_role("button", name="Take next order").click()
    phone.wait_for_url(re.compile(r"/pick/\d+$"))
    scan(phone, complete("460000000000"))
    banner = phone.locator("#scan-feedback .feedback")
    assert banner.get_attribute("data-feedback") == "error"
    assert "Unknown code" in banner.inner_text()
    assert phone.locator(".line--picked").count() == 0


def test_picking_works_with_javascript_off(live_server: LiveServer, browser: Any) -> None:
    from tests.e2e.conftest import PHONE

    context = browser.new_context(**PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, *DEMO_PICKER)
        page.get_by_role("button", name="Take next order").click()
        page.wait_for_url(re.compile(r"/pick/\d+$"))
        order_id = int(page.url.rsplit("/", 1)[1])
        line = next(ln for ln in lines_of(live_server, order_id)
                    if ln.unit == "piece" and not ln.marked and ln.gtin)
        page.fill("#scan-input", line.gtin or "")
        page.press("#scan-input", "Enter")
        page.wait_for_load_state("load")
        assert page.locator("#scan-feedback .feedback--ok").is_visible()
        item = page.locator(f"#line-{line.line_id}")  # folded away once done
        assert f"1 / {line.quantity}" in (item.text_content() or "")
    finally:
        context.close()


def test_a_picker_is_told_at_once_when_the_oms_cancels_the_order(
        live_server: LiveServer, phone: Any) -> None:
    import json
    import time

    import httpx

    from sync.signing import signed_request_headers

    sign_in(phone, live_server.url, *DEMO_PICKER)
    phone.context.add_init_script(
        "document.addEventListener('htmx:sseOpen', () => { window.liveOpen = true; })")
    phone.get_by_role("button", name="Take next order").click()
    phone.wait_for_url(re.compile(r"/pick/\d+$"))
    phone.reload()  # with the init script in place
    phone.wait_for_function("window.liveOpen === true")
    oms_id = phone.locator(".pick__order").inner_text().strip()
    body = json.dumps({"reason": "customer changed their mind"}).encode()
    path = f"/api/v1/stores/MSK-001/orders/{oms_id}/cancel"
    headers = {**signed_request_headers("dev-oms-secret", int(time.time()), "POST", path, body),
               "Content-Type": "application/json"}
    answer = httpx.post(live_server.url + path, content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    banner = phone.locator("#subs-notice .feedback--error")
    banner.wait_for(timeout=20_000)  # no reload: pushed over the open stream
    assert "cancelled" in banner.inner_text()
