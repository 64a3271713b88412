"""The camera button shows only where a tap can open the camera; otherwise one line says why."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import PHONE, LiveServer, sign_in

PLAIN_HTTP_ON_A_LAN = """
Object.defineProperty(navigator, 'mediaDevices', { value: undefined });
Object.defineProperty(window, 'isSecureContext', { value: false });
"""


def open_an_order(browser: Any, server: LiveServer, who: tuple[str, str], *,
                  javascript: bool = True, init: str = "") -> Any:
    context = browser.new_context(**PHONE, java_script_enabled=javascript)
    if init:
        context.add_init_script(init)
    page = context.new_page()
    sign_in(page, server.url, *who)
    page.locator("form[action='/pick/next'] button").click()
    page.wait_for_url(re.compile(r"/pick/\d+$"))
    return page


def test_with_a_camera_api_the_button_shows(live_server: LiveServer, browser: Any) -> None:
    page = open_an_order(browser, live_server, ("1003", "9134"))
    try:
        assert page.locator("#camera-open").is_visible()
        assert not page.locator("#camera-hint").is_visible()
    finally:
        page.context.close()


def test_without_javascript_there_is_no_camera_button(live_server: LiveServer,
                                                      browser: Any) -> None:
    page = open_an_order(browser, live_server, ("1003", "9134"), javascript=False)
    try:
        assert not page.locator("#camera-open").is_visible()
        assert not page.locator("#camera-hint").is_visible()
        assert page.locator(".photo-form__pick").is_visible()
    finally:
        page.context.close()


@pytest.mark.parametrize(("who", "says"), [
    (("1003", "9134"), "The camera needs HTTPS: use the photo button."),
    (("1001", "4821"), "Камере нужен HTTPS: снимите фото кнопкой «Фото»."),
])
def test_on_plain_http_the_page_says_why_there_is_no_camera(
        live_server: LiveServer, browser: Any, who: tuple[str, str], says: str) -> None:
    page = open_an_order(browser, live_server, who, init=PLAIN_HTTP_ON_A_LAN)
    try:
        page.wait_for_load_state("load")
        assert not page.locator("#camera-open").is_visible()
        hint = page.locator("#camera-hint")
        assert hint.is_visible() and hint.inner_text() == says
    finally:
        page.context.close()
