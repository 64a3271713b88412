"""A click & collect customer checks in from their phone; the counter sees them waiting."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.db.repo_floor import PickupRepository
from app.db.uow import UnitOfWork
from app.services import handover as service
from app.services.arrival import CheckInLink, PickupSettings
from app.settings import DEV_SECRET
from tests.e2e.conftest import LiveServer, seeded_database, sign_in, start_server
from tests.support.handover import outbox_payload, picked_order, staff_user
from tests.support.shop import NOW

SHOTS = os.environ.get("STOREPICK_SHOTS")  # a folder: screenshots for a person to look at


@dataclass
class Pickup:
    server: LiveServer
    path: str  # the customer's link, without the host
    code: str


async def _prepare(db: Any, shop: Any) -> tuple[str, str]:
    async with db.writing() as session:
        await PickupRepository(session).save_settings(shop.store_id, PickupSettings(
            place="Pickup desk by entrance B", hours="08:00–22:00", bays=("1", "2", "3")))
        await session.commit()
    order_id = await picked_order(db, shop, {"water": 2, "bread": 1}, oms_id="E-CC",
                                  fulfilment="collect")
    _order, code = await service.pack_order(
        UnitOfWork(db), staff_user(shop, "picker"), order_id, {"ambient": 1},
        {"ambient": "Shelf 4"}, NOW, check_in_link=CheckInLink("http://link.example", DEV_SECRET))
    packed = await outbox_payload(db, order_id, "OrderPacked")
    assert code is not None
    return packed["customer_url"].removeprefix("http://link.example"), code


@pytest.fixture
def pickup(sqlite_template: Path, tmp_path: Path) -> Iterator[Pickup]:
    url, (path, code) = seeded_database(sqlite_template, tmp_path, _prepare)
    server = start_server(url)
    yield Pickup(server, path, code)
    server.stop()


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


# Every live-stream message the customer's page receives, and which of them it drew.
_RECORD_STREAM = """
window.__stream = [];
const note = word => e => window.__stream.push(word + " " + e.detail.type);
document.addEventListener("htmx:sseBeforeMessage", note("heard"));
document.addEventListener("htmx:sseMessage", note("drew"));
"""


def _answer_late(route: Any) -> None:
    """Let the request through, and hand its answer to the page a second later."""
    answer = route.fetch()
    time.sleep(1)
    route.fulfill(response=answer)


def _stream_caught_up(page: Any) -> None:
    """Wait until the stream's first message (every section, on connecting) has come."""
    page.wait_for_function("() => (window.__stream || []).includes('heard pickup')")


def test_the_pickup_code_stays_on_screen_while_the_page_is_redrawn_live(
        pickup: Pickup, browser: Any) -> None:
    """The code comes only in a POST's answer; the stream's redraws (on connecting, on a
    check-in from another phone) must neither hide it nor redraw what has not changed."""
    phones = [browser.new_context(viewport={"width": 360, "height": 740}) for _ in range(2)]
    mine, other = (context.new_page() for context in phones)
    mine.add_init_script(_RECORD_STREAM)
    mine.goto(f"{pickup.server.url}{pickup.path}?lang=en")
    _stream_caught_up(mine)
    # Connecting sent the pickup section again, unchanged: it was not swapped in.
    assert "drew pickup" not in mine.evaluate("window.__stream")
    # On a slow network the tap's answer comes after the stream's echo of the same tap,
    # which has already redrawn the section the answer was meant for: hold the answer back.
    mine.route("**/check-in*", _answer_late)
    mine.click("#pickup button[value=on_the_way]")
    mine.wait_for_function("() => window.__stream.includes('drew pickup')")  # the echo
    mine.wait_for_selector("[data-pickup-code]")  # then the answer, with the code
    assert mine.inner_text("[data-pickup-code]") == pickup.code
    assert "knows you are on the way" in mine.inner_text("#pickup")
    mine.unroute("**/check-in*")

    # The customer's partner, at the car park, says they are here from another phone.
    other.goto(f"{pickup.server.url}{pickup.path}?lang=en")
    other.select_option("#pickup-bay", "3")
    other.click("#pickup button[value=arrived]")
    other.wait_for_selector("[data-step=arrived]")

    # The first phone learns it live, and the code it showed is still there.
    mine.wait_for_selector("[data-step=arrived]")
    assert "at 3" in mine.inner_text("#pickup")
    assert mine.inner_text("[data-pickup-code]") == pickup.code
    assert mine.locator("#pickup [data-pickup-reveal]").count() == 0
    for context in phones:
        context.close()


def test_a_customer_checks_in_at_a_bay_and_the_counter_sees_them_waiting(
        pickup: Pickup, phone: Any, browser: Any) -> None:
    phone.add_init_script(_RECORD_STREAM)
    phone.goto(f"{pickup.server.url}{pickup.path}?lang=en")
    assert "Pickup desk by entrance B" in phone.inner_text("#pickup")
    assert pickup.code not in phone.content()
    for button in ("on_the_way", "arrived"):
        # The live stream's first message may swap the section in again: wait for the
        # button in place (a button that never reaches the size fails by timeout).
        phone.wait_for_function(
            "b => { const e = document.querySelector(`#pickup button[value=${b}]`);"
            " if (!e) return false; const r = e.getBoundingClientRect();"
            " return r.width >= 300 && r.height >= 44; }", arg=button)
    _shot(phone, "customer-ready-en")
    phone.click("#pickup button[value=on_the_way]")
    # The stream's echo of the tap may draw the new step first: wait for the answer itself.
    phone.wait_for_selector("[data-pickup-code]")
    assert "knows you are on the way" in phone.inner_text("#pickup")
    assert phone.inner_text("[data-pickup-code]") == pickup.code
    phone.select_option("#pickup-bay", "2")
    phone.click("#pickup button[value=arrived]")
    phone.wait_for_selector("[data-step=arrived]")
    assert "at 2" in phone.inner_text("#pickup")
    _shot(phone, "customer-here-en")
    phone.goto(f"{pickup.server.url}{pickup.path}?lang=ru")
    _stream_caught_up(phone)
    phone.click("#pickup >> text=Показать код получения")
    phone.wait_for_selector("[data-pickup-code]")
    _shot(phone, "customer-here-ru")

    counter = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-US")
    clerk = counter.new_page()
    sign_in(clerk, pickup.server.url, "1001", "1111")
    clerk.goto(f"{pickup.server.url}/collect/")
    row = clerk.locator("#arrivals [data-order=E-CC]")
    assert "bay 2" in row.inner_text() and "waiting 0\u00a0min" in row.inner_text()
    _shot(clerk, "counter-en")
    counter.close()
    if SHOTS:  # the supervisor's board and the Russian screens, for a person to look at
        board = browser.new_context(viewport={"width": 1024, "height": 768}, locale="ru-RU")
        page = board.new_page()
        sign_in(page, pickup.server.url, "5001", "super-5001")
        for language in ("ru", "en"):
            page.goto(f"{pickup.server.url}/")
            page.evaluate("1")  # settle
            page.request.post(f"{pickup.server.url}/me/language", form={
                "language": language, "next": "/",
                "_csrf_token": page.locator("input[name=_csrf_token]").first.input_value()})
            page.goto(f"{pickup.server.url}/board/")
            _shot(page, f"board-{language}")
            page.goto(f"{pickup.server.url}/collect/")
            page.set_viewport_size({"width": 360, "height": 740})
            _shot(page, f"counter-{language}")
            page.goto(f"{pickup.server.url}/board/pickup")
            _shot(page, f"pickup-settings-{language}")
            page.set_viewport_size({"width": 1024, "height": 768})
        board.close()
