"""Every page of every role works under the Content-Security-Policy (issue #18, item 9).

A real Chromium visits each page (the accessibility test's list) with the camera
opened on the pick page (fake camera: getUserMedia, the wasm barcode reader),
and records every CSP violation the page reports; there must be none. Every
page carries the security headers.
"""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import PHONE
from tests.e2e.test_accessibility import Floor, floor, pages_by_role, sign_in_speaking
from tests.support.barcode_images import ean13_image
from tests.support.y4m import still_video

__all__ = ["floor"]  # the module-scoped fixture, shared with the accessibility test

WATCH = """window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
  `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));"""
HEADERS = {"content-security-policy", "x-frame-options", "x-content-type-options",
           "permissions-policy", "referrer-policy"}


def test_every_page_runs_under_the_csp_without_a_violation(
        floor: Floor, camera_browser: Any) -> None:
    browser, video = camera_browser
    still_video(ean13_image("4006381333931"), video, seconds=1)
    context = browser.new_context(**PHONE, permissions=["camera"])
    context.add_init_script(WATCH)
    page = context.new_page()
    page.set_default_timeout(20_000)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text)
            if "Content Security Policy" in m.text else None)
    violations: list[str] = []
    missing: list[str] = []
    try:
        for who, paths in pages_by_role(floor.ids):
            if who is not None:
                sign_in_speaking(page, floor.server.url, who, "en")
            for path in paths:
                answer = page.goto(floor.server.url + path)
                assert answer is not None and answer.status < 500, path
                missing += [f"{path}: {h}" for h in HEADERS - set(answer.headers)]
                if re.fullmatch(r"/pick/\d+", path):
                    assert page.evaluate("document.featurePolicy.allowsFeature('camera')")
                    page.get_by_role("button", name="Camera").click()
                    page.wait_for_function(  # a function, not a string: no eval under the CSP
                        "() => document.querySelector('#camera').dataset.decoder",
                        timeout=20_000)
                    page.get_by_role("button", name="Close camera").click()
                page.wait_for_timeout(300)  # live streams connect, htmx settles
                violations += [f"{path}: {v}" for v in page.evaluate("window.__csp")]
        page.goto(floor.server.url + "/offline")  # the page with an inline script
        page.wait_for_timeout(300)
        violations += [f"/offline: {v}" for v in page.evaluate("window.__csp")]
    finally:
        context.close()
    assert (violations, console, missing) == ([], [], [])
