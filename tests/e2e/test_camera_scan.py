"""Live camera scanning on a phone, with Chromium's fake camera showing a barcode.

The fake camera loops a few seconds of an EAN-13 of a product on the order. The
line must count once (the camera keeps seeing the same code) with an ok banner,
whichever decoder the browser ended up with (BarcodeDetector or zxing-wasm).
"""

from __future__ import annotations

import re
from typing import Any

from PIL import ImageFilter

from tests.e2e.conftest import PHONE, LiveServer, sign_in
from tests.e2e.test_picker_flow import DEMO_PICKER, OrderLine, fits_the_phone, lines_of
from tests.support.barcode_images import ean13_image
from tests.support.y4m import still_video


def a_piece_line(lines: list[OrderLine]) -> OrderLine:
    """A plain piece line with an EAN-13 (not marked, not weighed)."""
    return next(ln for ln in lines if ln.unit == "piece" and not ln.marked and ln.gtin
                and len(ln.gtin.lstrip("0")) == 13)


def test_the_camera_counts_a_barcode_once(live_server: LiveServer, camera_browser: Any) -> None:
    browser, video = camera_browser
    context = browser.new_context(**PHONE, permissions=["camera"])
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        sign_in(page, live_server.url, *DEMO_PICKER)
        page.get_by_role("button", name="Take next order").click()
        page.wait_for_url(re.compile(r"/pick/\d+$"))
        line = a_piece_line(lines_of(live_server, int(page.url.rsplit("/", 1)[1])))
        still_video(ean13_image((line.gtin or "").lstrip("0").zfill(13)), video, seconds=3)

        page.get_by_role("button", name="Camera").click()
        close = page.get_by_role("button", name="Close camera")
        assert fits_the_phone(page) and close.bounding_box()["height"] >= 56  # thumb-sized
        page.wait_for_function(
            "document.querySelector('#scan-feedback .feedback[data-feedback]')", timeout=30_000)
        decoder = page.get_attribute("#camera", "data-decoder")
        print(f"camera decoder: {decoder}")
        assert decoder in ("native", "wasm")
        page.wait_for_timeout(4_000)  # the video loops: the same code keeps arriving

        banner = page.locator("#scan-feedback .feedback")
        assert banner.get_attribute("data-feedback") == "ok", banner.inner_text()
        item = page.locator(f"#line-{line.line_id}")  # folded away once done
        assert f"1 / {line.quantity}" in (item.text_content() or "")
        assert page.locator(".camera__status").inner_text() == banner.inner_text()

        page.get_by_role("button", name="Close camera").click()
        assert page.locator("#camera").is_hidden()
        assert page.evaluate("document.querySelector('#camera video').srcObject") is None
    finally:
        context.close()


def test_a_blurred_barcode_in_the_camera_says_hold_steady(live_server: LiveServer,
                                                         camera_browser: Any) -> None:
    """No code read for a while: the viewfinder says why (here: the picture is blurred)."""
    browser, video = camera_browser
    context = browser.new_context(**PHONE, permissions=["camera"])
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        sign_in(page, live_server.url, *DEMO_PICKER)
        page.get_by_role("button", name="Take next order").click()
        page.wait_for_url(re.compile(r"/pick/\d+$"))
        line = a_piece_line(lines_of(live_server, int(page.url.rsplit("/", 1)[1])))
        bars = ean13_image((line.gtin or "").lstrip("0").zfill(13), module_px=4)
        still_video(bars.filter(ImageFilter.GaussianBlur(9)), video, seconds=3)

        page.get_by_role("button", name="Camera").click()
        page.wait_for_function("document.querySelector('#camera').dataset.hint", timeout=30_000)
        assert page.get_attribute("#camera", "data-hint") == "textSteady"
        status = page.locator(".camera__status")
        assert status.inner_text() == "The picture is blurred: hold the phone steady."
        page.screenshot(path="/tmp/photos-shots/camera-hint-en.png")
        item = page.locator(f"#line-{line.line_id}")
        assert f"0 / {line.quantity}" in (item.text_content() or "")  # nothing counted

        page.get_by_role("button", name="Close camera").click()
        page.click("button[name=language]")  # the picker switches to Russian
        page.get_by_role("button", name="Камера").click()
        page.wait_for_function("document.querySelector('#camera').dataset.hint", timeout=30_000)
        assert status.inner_text() == "Изображение размыто: держите телефон неподвижно."
        page.screenshot(path="/tmp/photos-shots/camera-hint-ru.png")
    finally:
        context.close()
