"""Weighed goods on a phone: the band is shown, and a weight beyond it needs a tap to keep."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import LiveServer, sign_in
from tests.e2e.test_picker_flow import DEMO_PICKER, lines_of


def test_a_weight_beyond_the_soft_band_is_kept_after_confirming(live_server: LiveServer,
                                                                phone: Any) -> None:
    sign_in(phone, live_server.url, *DEMO_PICKER)
    phone.get_by_role("button", name="Take next order").click()
    phone.wait_for_url(re.compile(r"/pick/\d+$"))
    order_id = int(phone.url.rsplit("/", 1)[1])
    line = next(ln for ln in lines_of(live_server, order_id) if ln.unit == "weight")
    item = phone.locator(f"#line-{line.line_id}")
    band = re.search(r"±(\d+)%", item.locator(".line__target").inner_text())
    assert band, item.inner_text()

    too_much = line.quantity * (100 + int(band[1]) + 3) // 100  # just past the band
    item.locator("input[name=weight]").fill(str(too_much))
    item.get_by_role("button", name="Save weight").click()
    keep = phone.get_by_role("button", name="Keep this weight")
    keep.wait_for()
    assert phone.locator("#scan-feedback .feedback").get_attribute("data-feedback") == "warn"
    assert "line--open" in (item.get_attribute("class") or "")

    keep.click()
    phone.wait_for_function(
        f"document.querySelector('#line-{line.line_id}').classList.contains('line--picked')")
    assert phone.locator("#scan-feedback .feedback").get_attribute("data-feedback") == "ok"
    assert "confirmed" in (phone.locator(f"#line-{line.line_id} .line__weight-note")
                           .text_content() or "")  # folded away with the done lines
