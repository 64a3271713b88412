"""A click & collect customer checks in from their phone; the counter sees them waiting."""

from __future__ import annotations

import os
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


def test_a_customer_checks_in_at_a_bay_and_the_counter_sees_them_waiting(
        pickup: Pickup, phone: Any, browser: Any) -> None:
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
    phone.wait_for_selector("[data-step=on_the_way]")
    assert "knows you are on the way" in phone.inner_text("#pickup")
    assert phone.inner_text("[data-pickup-code]") == pickup.code
    phone.select_option("#pickup-bay", "2")
    phone.click("#pickup button[value=arrived]")
    phone.wait_for_selector("[data-step=arrived]")
    assert "at 2" in phone.inner_text("#pickup")
    _shot(phone, "customer-here-en")
    phone.goto(f"{pickup.server.url}{pickup.path}?lang=ru")
    phone.click("#pickup >> text=Показать код получения")
    phone.wait_for_selector("[data-pickup-code]")
    _shot(phone, "customer-here-ru")

    counter = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-US")
    clerk = counter.new_page()
    sign_in(clerk, pickup.server.url, "1001", "1111")
    clerk.goto(f"{pickup.server.url}/collect/")
    row = clerk.locator("#arrivals [data-order=E-CC]")
    assert "bay 2" in row.inner_text() and "waiting 0 min" in row.inner_text()
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
