"""Staff push on a phone: the home page says what this device can do, and the service
worker shows a pushed notice (delivered through Chromium's DevTools protocol, as a push
service would) with the page to open."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer, seeded_database, sign_in, start_server

SHOTS = os.environ.get("STOREPICK_SHOTS")


async def _nothing(db: Any, shop: Any) -> None:
    return None


@pytest.fixture
def server(sqlite_template: Path, tmp_path: Path) -> Iterator[LiveServer]:
    url, _none = seeded_database(sqlite_template, tmp_path, _nothing)
    live = start_server(url, data_dir=tmp_path / "data")
    yield live
    live.stop()


def _registration_id(cdp: Any, page: Any) -> str:
    found: dict[str, str] = {}
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: found.update(
        {r["scopeURL"]: r["registrationId"] for r in event["registrations"]}))
    cdp.send("ServiceWorker.enable")
    page.wait_for_function("navigator.serviceWorker.ready.then(r => !!r.active)")
    page.wait_for_timeout(200)
    return next(iter(found.values()))


def test_a_supervisor_is_told_what_push_can_do_here_and_a_push_shows_a_notice(
        server: LiveServer, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-US")
    context.grant_permissions(["notifications"], origin=server.url)
    page = context.new_page()
    page.set_default_timeout(20_000)
    sign_in(page, server.url, "5001", "super-5001")
    page.goto(f"{server.url}/")
    page.wait_for_function(
        "document.querySelector('#push-optin').dataset.state !== undefined")
    state = page.get_attribute("#push-optin", "data-state")
    text = page.inner_text("#push-optin [data-push-state]")
    # Headless Chromium has the Push API but no push service behind it: subscribing
    # fails, and the page must say so truthfully rather than claim it is on.
    assert state in ("off", "failed"), (state, text)
    if state == "off":
        page.click("#push-optin button")
        page.wait_for_function("document.querySelector('#push-optin').dataset.state !== 'off'")
        assert page.get_attribute("#push-optin", "data-state") in ("failed", "on")
    if page.get_attribute("#push-optin", "data-state") == "failed":
        assert "Keep this page open" in page.inner_text("#push-optin")
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/push-optin-en.png", full_page=True)

    cdp = context.new_cdp_session(page)
    notice = {"title": "A customer is here", "body": "The customer of order 1 is at the "
              "pickup point.", "url": "/collect/", "tag": "customer_here-1"}
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": server.url, "registrationId": _registration_id(cdp, page),
        "data": json.dumps(notice)})
    shown = None
    for _ in range(50):  # the worker shows it asynchronously
        shown = page.evaluate("""() => navigator.serviceWorker.ready
            .then(r => r.getNotifications())
            .then(n => n.length ? n.map(x => [x.title, x.body, x.data.url]) : null)""")
        if shown:
            break
        page.wait_for_timeout(100)
    assert shown == [[notice["title"], notice["body"], "/collect/"]]
    context.close()
