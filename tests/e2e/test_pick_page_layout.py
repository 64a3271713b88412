"""The pick page on a 360 px phone: the next line to pick is the obvious thing on screen."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import LiveServer, sign_in
from tests.e2e.test_picker_flow import DEMO_PICKER, codes_for, lines_of, scan

SCREEN_HEIGHT = 740
NOTHING_WIDER_THAN_THE_SCREEN = "document.scrollingElement.scrollWidth <= window.innerWidth"
PLACEHOLDER_FITS = """() => {
  const input = document.querySelector('#scan-input');
  const style = getComputedStyle(input, '::placeholder');
  const box = getComputedStyle(input);
  const context = document.createElement('canvas').getContext('2d');
  context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const room = input.clientWidth - parseFloat(box.paddingLeft) - parseFloat(box.paddingRight);
  return context.measureText(input.placeholder).width <= room;
}"""


def take_an_order(page: Any, server: LiveServer) -> int:
    sign_in(page, server.url, *DEMO_PICKER)
    page.get_by_role("button", name="Take next order").click()
    page.wait_for_url(re.compile(r"/pick/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def test_the_next_line_to_pick_sits_under_the_scan_field_and_done_lines_fold_away(
        live_server: LiveServer, phone: Any) -> None:
    order_id = take_an_order(phone, live_server)
    lines = lines_of(live_server, order_id)
    weighed = next(ln for ln in lines if ln.unit == "weight")
    pieces = sorted((ln for ln in lines if ln.unit == "piece" and not ln.marked and ln.gtin),
                    key=lambda ln: -ln.quantity)
    # A weight 13 % over, kept on purpose: its "weight differs +13%" badge must fit.
    item = phone.locator(f"#line-{weighed.line_id}")
    item.locator("input[name=weight]").fill(str(weighed.quantity * 113 // 100))
    item.get_by_role("button", name="Save weight").click()
    phone.get_by_role("button", name="Keep this weight").click()
    phone.wait_for_function(f"document.querySelector('#line-{weighed.line_id}')"
                            ".classList.contains('line--picked')")
    codes = codes_for(pieces[0])
    assert len(codes) >= 2, "the demo order should have a line of several pieces"
    for n, code in enumerate(codes, 1):
        scan(phone, code)
        if n < len(codes):  # still open: its quantities alone were swapped, in place
            line = phone.locator(f"#pick-lines > #line-{pieces[0].line_id}.line--open")
            assert line.locator(".line__qty strong").inner_text() == str(n)

    phone.reload()
    assert phone.locator(".topbar").bounding_box()["height"] <= 56  # one row
    assert phone.evaluate(PLACEHOLDER_FITS)
    current = phone.locator("#pick-lines .line--current")
    assert current.count() == 1
    first_open = phone.evaluate(
        "[...document.querySelectorAll('#pick-lines .line')].find("
        "el => el.classList.contains('line--open')).id")
    assert current.get_attribute("id") == first_open
    scan_field = phone.locator("#scan-input").bounding_box()
    top = current.bounding_box()["y"]
    assert scan_field["y"] < top < SCREEN_HEIGHT / 2, top

    done = phone.locator("details.done-group")
    assert done.locator("summary").inner_text().strip() == "2 done"
    assert not phone.locator(f"#line-{weighed.line_id}").is_visible()
    assert not phone.locator(f"#line-{pieces[0].line_id}").is_visible()
    assert phone.evaluate(NOTHING_WIDER_THAN_THE_SCREEN)

    done.locator("summary").click()
    badge = phone.locator(f"#line-{weighed.line_id} .line__weight-note")
    assert badge.is_visible() and "+13%" in badge.inner_text()
    box = badge.bounding_box()
    assert box["x"] + box["width"] <= 360
    assert phone.evaluate(NOTHING_WIDER_THAN_THE_SCREEN)


def test_no_stylesheet_hides_what_overflows_the_page(live_server: LiveServer,
                                                     phone: Any) -> None:
    take_an_order(phone, live_server)
    for element in ("document.documentElement", "document.body"):
        assert phone.evaluate(f"getComputedStyle({element}).overflowX") == "visible"


def test_the_answer_to_an_action_far_down_the_list_is_not_hidden_under_the_scan_bar(
        live_server: LiveServer, phone: Any) -> None:
    take_an_order(phone, live_server)
    last = phone.locator("#pick-lines > .line--open").last
    last.locator("summary").click()
    last.locator("button[value=out_of_stock]").click()
    phone.wait_for_function("!document.querySelector('.htmx-request')")
    phone.wait_for_timeout(300)  # scan.js scrolls the current line into view after settling
    text = phone.locator("#scan-feedback .feedback__text").bounding_box()
    assert text is not None
    assert phone.evaluate(  # what is on screen there is the answer, not the sticky scan bar
        f"document.elementFromPoint(100, {text['y'] + text['height'] / 2})"
        ".closest('#scan-feedback') !== null")
