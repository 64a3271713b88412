"""A pack blocked for sale is refused at the shelf in red, with its reason, and
another pack from the same shelf counts (issue #14), against the fake national
marking system over HTTP; the board says the check is on. Screenshots go to
/tmp/marking-shots/ (360x740 and 1024x768, English and Russian) to be looked at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer, seeded_database, sign_in, start_server
from tests.support.marking import TOKEN, MarkingServer
from tests.support.shop import KEFIR, add_order

SHOTS = Path("/tmp/marking-shots")
BLOCKED = f"(01){KEFIR.zfill(14)}(21)BLK001(93)AbCd"  # typed from the label (no GS)
GOOD = f"(01){KEFIR.zfill(14)}(21)GOOD01(93)AbCd"

pytestmark = pytest.mark.browser


@pytest.fixture
def checked_shop(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[LiveServer, Any]]:
    async def order(db: Any, shop: Any) -> None:
        async with db.writing() as session:
            await add_order(session, shop, {"kefir": 1, "bread": 1})

    url, _ = seeded_database(sqlite_template, tmp_path, order)
    fake = MarkingServer().start()
    fake.set(f"01{KEFIR.zfill(14)}21BLK001", "blocked")
    server = start_server(url, marking_check_url=fake.online_url,
                          marking_local_url=fake.local_url, marking_token=TOKEN)
    yield server, fake
    server.stop()
    fake.stop()


def scan(page: Any, code: str) -> None:
    page.fill("#scan-input", code)
    page.press("#scan-input", "Enter")


def test_a_blocked_pack_is_refused_in_red_and_another_one_counts(
        browser: Any, phone: Any, checked_shop: tuple[LiveServer, Any]) -> None:
    server, fake = checked_shop
    SHOTS.mkdir(exist_ok=True)
    picker = phone
    sign_in(picker, server.url, "1001", "1111")
    picker.goto(f"{server.url}/pick/")
    picker.click("text=Take next order")
    picker.wait_for_selector("li[data-sku=kefir]")
    scan(picker, BLOCKED)
    alert = picker.wait_for_selector("#scan-feedback .feedback--error")
    assert "This pack is blocked for sale: take another one." in alert.inner_text()
    assert picker.locator("li[data-sku=kefir].line--picked").count() == 0
    picker.screenshot(path=str(SHOTS / "refused-en.png"))
    picker.click("button[name=language]")  # the picker switches to Russian
    picker.wait_for_selector("html[lang=ru]")
    scan(picker, BLOCKED)  # scanned again: refused again, now in Russian
    picker.wait_for_selector("#scan-feedback .feedback--error >> "
                             "text=Эта упаковка заблокирована для продажи: возьмите другую.")
    picker.screenshot(path=str(SHOTS / "refused-ru.png"))
    scan(picker, GOOD)
    picker.wait_for_selector("li[data-sku=kefir].line--picked", state="attached")
    assert fake.fake.requests["online"] == 2  # the second look at BLK001 came from the cache

    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-US")
    try:
        board = context.new_page()
        sign_in(board, server.url, "5001", "super-5001")
        board.goto(f"{server.url}/board")
        assert "Marking check: on" in board.inner_text("[data-marking=on]")
        board.screenshot(path=str(SHOTS / "board-en.png"))
        board.click("button[name=language]")
        board.wait_for_selector("[data-marking=on] >> text=Проверка маркировки: включена")
        board.screenshot(path=str(SHOTS / "board-ru.png"))
    finally:
        context.close()


@pytest.fixture
def counter(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[LiveServer, int, str]]:
    from app.db.uow import UnitOfWork
    from app.services import handover as service
    from tests.support.handover import picked_order, staff_user
    from tests.support.shop import NOW

    async def prepare(db: Any, shop: Any) -> tuple[int, str]:
        order_id = await picked_order(db, shop, {"beer": 2, "water": 1}, oms_id="E-MRK",
                                      fulfilment="collect")
        _order, code = await service.pack_order(UnitOfWork(db), staff_user(shop, "picker"),
                                                order_id, {"ambient": 1}, {"ambient": "A"}, NOW)
        assert code is not None
        return order_id, code

    url, (order_id, code) = seeded_database(sqlite_template, tmp_path, prepare)
    server = start_server(url)
    yield server, order_id, code
    server.stop()


def test_a_beer_given_back_at_the_counter_is_named_by_its_code(
        phone: Any, counter: tuple[LiveServer, int, str]) -> None:
    from picking.bags import BagCode
    from tests.support.shop import BEER, marking_code

    server, order_id, pickup = counter
    sign_in(phone, server.url, "1001", "1111")
    phone.goto(f"{server.url}/collect/")
    for text in (pickup, BagCode("E-MRK", 1, 1, "ambient").text()):
        phone.fill("#scan-input", text)
        phone.press("#scan-input", "Enter")
        phone.wait_for_load_state("networkidle")
    beer = phone.locator(".refusal-line[data-sku=beer]")
    beer.locator("summary").click()
    field = beer.locator("input[name=unit_code]")
    assert (box := field.bounding_box()) is not None and box["height"] >= 44, box
    field.fill(marking_code(BEER, "notours1"))  # a pack that was never handed over
    beer.locator("label.choice:has(input[value=damaged])").click()
    beer.locator("text=Record refusal").click()
    phone.wait_for_load_state("networkidle")
    assert "This code is not a pack handed over on this line" in phone.inner_text(
        "#scan-feedback")
    beer = phone.locator(".refusal-line[data-sku=beer]")
    beer.locator("summary").click()
    beer.locator("input[name=unit_code]").fill(marking_code(BEER, f"beer{order_id}x1"))
    beer.locator("label.choice:has(input[value=damaged])").click()  # chosen afresh each time
    beer.locator("text=Record refusal").click()
    phone.wait_for_load_state("networkidle")
    assert "Refusal recorded" in phone.inner_text("#scan-feedback")
    assert f"…beer{order_id}x1" in phone.inner_text(".returned-codes")
    phone.locator(".refusal-line[data-sku=beer] summary").click()
    phone.screenshot(path=str(SHOTS / "counter-returned-en.png"), full_page=True)
    phone.click("button[name=language]")
    phone.wait_for_selector("html[lang=ru]")
    phone.goto(f"{server.url}/collect/{order_id}")
    assert "Возвращённые упаковки (коды):" in phone.inner_text(".returned-codes")
    phone.locator(".refusal-line[data-sku=beer] summary").click()
    phone.screenshot(path=str(SHOTS / "counter-returned-ru.png"), full_page=True)
