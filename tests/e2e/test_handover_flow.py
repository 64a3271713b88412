"""A picker packs, a courier takes and delivers, a customer collects: on a phone."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from app.db.uow import UnitOfWork
from app.services import handover as service
from picking.bags import BagCode
from tests.e2e.conftest import LiveServer, seeded_database, sign_in, start_server
from tests.support.handover import picked_order, staff_user
from tests.support.people import unwrapped

PLACES = {"ambient": "Shelf 1", "chilled": "Fridge 1", "frozen": "Freezer 1"}


@dataclass
class Floor:
    server: LiveServer
    data_dir: Path
    orders: dict[str, int]
    pickup_code: str


async def _prepare(db: Any, shop: Any) -> tuple[dict[str, int], str]:
    picker = staff_user(shop, "picker")
    orders = {
        "to_pack": await picked_order(db, shop, {"water": 1, "pizza": 1}, oms_id="E-PACK"),
        "two_bags": await picked_order(db, shop, {"water": 1, "milk": 1}, oms_id="E-TWO"),
        "collect": await picked_order(db, shop, {"water": 2, "beer": 1}, oms_id="E-COL",
                                      fulfilment="collect"),
    }
    await service.pack_order(UnitOfWork(db), picker, orders["two_bags"],
                             {"ambient": 1, "chilled": 1}, PLACES, _now())
    _order, code = await service.pack_order(UnitOfWork(db), picker, orders["collect"],
                                            {"ambient": 1}, PLACES, _now())
    assert code is not None
    return orders, code


def _now() -> Any:
    from tests.support.shop import NOW
    return NOW


@pytest.fixture
def floor(sqlite_template: Path, tmp_path: Path) -> Iterator[Floor]:
    url, (orders, code) = seeded_database(sqlite_template, tmp_path, _prepare)
    server = start_server(url, data_dir=tmp_path / "data")
    yield Floor(server, tmp_path / "data", orders, code)
    server.stop()


def _scan(page: Any, text: str) -> None:
    page.fill("#scan-input", text)
    page.press("#scan-input", "Enter")
    page.wait_for_load_state("networkidle")


def _gps_jpeg() -> bytes:
    exif = Image.Exif()
    exif.get_ifd(0x8825)[2] = (55.0, 45.0, 21.0)
    out = io.BytesIO()
    Image.new("RGB", (3000, 2000), (30, 90, 160)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_a_picker_packs_an_order_and_opens_its_labels(floor: Floor, phone: Any) -> None:
    sign_in(phone, floor.server.url, "1001", "1111")
    phone.goto(f"{floor.server.url}/pick/{floor.orders['to_pack']}/summary")
    phone.click("text=Pack this order")
    phone.wait_for_load_state("networkidle")
    assert phone.input_value("#bags-ambient") == "1" and phone.input_value("#bags-frozen") == "1"
    posts: list[str] = []
    phone.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    # Bad signal (400 ms each way) and a second tap while the first is on its way: sent once,
    # and the labels come, not "this step is not possible now".
    cdp = phone.context.new_cdp_session(phone)
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 400, "downloadThroughput": -1, "uploadThroughput": -1})
    phone.locator("button[type=submit] >> text=Confirm packing").evaluate(
        "b => { b.click(); setTimeout(() => b.click(), 150); }")
    phone.wait_for_url(re.compile(r"/labels"))
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    phone.wait_for_load_state("networkidle")
    assert len(posts) == 1, posts
    assert phone.locator(".feedback--error").count() == 0
    assert phone.locator(".label").count() == 2
    assert phone.locator(".label svg").count() == 2
    assert "Bag 2 of 2" in unwrapped(phone.inner_text(".labels"))


def test_a_courier_is_blocked_by_a_missing_bag_then_takes_and_delivers_with_a_photo(
        floor: Floor, phone: Any) -> None:
    sign_in(phone, floor.server.url, "3001", "4444")
    assert phone.url.rstrip("/").endswith("/courier")  # the courier lands on their deliveries
    _scan(phone, BagCode("E-TWO", 1, 2, "ambient").text())
    phone.click("text=Take the order")
    phone.wait_for_load_state("networkidle")
    assert "Missing: bag 2 of 2 (chilled)" in unwrapped(phone.inner_text("#scan-feedback"))
    _scan(phone, BagCode("E-COL", 1, 1, "ambient").text())
    assert "belongs to order E-COL" in phone.inner_text("#scan-feedback")
    _scan(phone, BagCode("E-TWO", 2, 2, "chilled").text())
    phone.click("text=Take the order")
    phone.wait_for_load_state("networkidle")
    phone.click("#my-orders >> text=E-TWO")
    phone.wait_for_load_state("networkidle")
    assert "Тверская 7" in phone.inner_text("main")
    phone.set_input_files("#photo", files=[{"name": "door.jpg", "mimeType": "image/jpeg",
                                            "buffer": _gps_jpeg()}])
    phone.click("button >> text=Delivered")
    phone.wait_for_load_state("networkidle")
    assert phone.locator("#my-orders li").count() == 0
    [saved] = list((floor.data_dir / "proofs").glob("*.jpg"))
    with Image.open(saved) as image:
        assert max(image.size) == 1280 and not image.getexif()


def test_a_courier_brings_back_an_order_when_the_customer_is_absent(
        floor: Floor, phone: Any) -> None:
    sign_in(phone, floor.server.url, "3001", "4444")
    _scan(phone, BagCode("E-TWO", 1, 2, "ambient").text())
    _scan(phone, BagCode("E-TWO", 2, 2, "chilled").text())
    phone.click("text=Take the order")
    phone.wait_for_load_state("networkidle")
    phone.click("#my-orders >> text=E-TWO")
    phone.click("summary >> text=Delivery failed")
    phone.locator("label.choice:has(input[value=customer_absent])").click()  # the row
    phone.click("text=Bring the order back")
    phone.wait_for_load_state("networkidle")
    assert phone.locator("#my-orders li").count() == 0
    sign_in(phone, floor.server.url, "5001", "super-5001")
    phone.goto(f"{floor.server.url}/pack/")
    assert "Customer absent" in phone.inner_text("main")


def test_a_customer_collects_and_refuses_a_line_at_the_counter(floor: Floor, phone: Any) -> None:
    sign_in(phone, floor.server.url, "1001", "1111")
    phone.goto(f"{floor.server.url}/collect/")
    _scan(phone, floor.pickup_code)
    # the beer makes it 18+: said on top, in view before anything is scanned
    notice = phone.locator("[data-adult-notice]")
    assert notice.is_visible() and "check the customer's ID" in notice.inner_text()
    box = notice.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 740
    _scan(phone, BagCode("E-COL", 1, 1, "ambient").text())
    water = phone.locator(".refusal-line[data-sku=water]")
    water.locator("summary").click()
    water.locator("input[name=quantity]").fill("1")
    water.locator("label.choice:has(input[value=damaged])").click()
    water.locator("text=Record refusal").click()
    phone.wait_for_load_state("networkidle")
    assert "Refusal recorded" in phone.inner_text("#scan-feedback")
    phone.click("text=Hand over to the customer")
    phone.wait_for_load_state("networkidle")
    assert "18+" in phone.inner_text("#scan-feedback")
    phone.check("input[name=id_checked]")
    phone.click("text=Hand over to the customer")
    phone.wait_for_load_state("networkidle")
    assert "Handed over" in phone.inner_text("main")
    # the customer shows the code again: not a wrong code, and no attempt used
    _scan(phone, floor.pickup_code)
    said = phone.inner_text("main")
    assert "Order E-COL was already handed over at" in said and "Wrong" not in said


def test_a_courier_scans_a_bag_label_with_the_phone_camera(floor: Floor,
                                                          camera_browser: Any) -> None:
    from tests.e2e.conftest import PHONE
    from tests.support.barcode_images import qr_image
    from tests.support.y4m import still_video

    browser, video = camera_browser
    still_video(qr_image(BagCode("E-TWO", 1, 2, "ambient").text()), video, seconds=3)
    page = browser.new_context(**PHONE, permissions=["camera"]).new_page()
    page.set_default_timeout(20_000)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    sign_in(page, floor.server.url, "3001", "4444")
    posts.clear()
    page.get_by_role("button", name="Camera").click()
    page.wait_for_url("**/courier/**take**", timeout=15_000)
    assert "1 of 2" in unwrapped(page.inner_text("main"))
    # The camera comes back on for the next bag, and the bag still in view is not sent again.
    page.wait_for_selector("#camera:not([hidden])")
    page.wait_for_timeout(2500)
    assert len(posts) == 1, posts
