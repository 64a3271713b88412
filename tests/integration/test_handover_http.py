"""Packing, courier and counter screens over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from PIL import Image

from app.factory import create_app
from app.settings import Settings
from picking.bags import BagCode
from tests.support.handover import outbox_payload, picked_order
from tests.support.people import Person, unwrapped


@pytest.fixture
async def app_client(db_url: str, shop: Any, clock: Any,
                     tmp_path: Path) -> AsyncIterator[AsyncTestClient[Any]]:
    settings = Settings(environment="development",
                        database_url=db_url, run_relay=False, data_dir=tmp_path / "data")
    async with AsyncTestClient(app=create_app(settings, clock=clock),
                               base_url="http://testserver.local") as test_client:
        yield test_client


async def _person(client: Any, key: str) -> Person:
    person = Person(client, key)
    response = await person.sign_in()
    assert response.status_code in (302, 303)
    return person


async def _packed(db: Any, client: Any, shop: Any, oms_id: str, lines: dict[str, int],
                  bags: dict[str, str]) -> int:
    order_id = await picked_order(db, shop, lines, oms_id=oms_id)
    picker = await _person(client, "picker")
    await picker.get(f"/pack/{order_id}")
    form = {**{f"bags_{z}": n for z, n in bags.items()},
            **{f"place_{z}": "Shelf 1" for z in bags}}
    response = await picker.post(f"/pack/{order_id}", form)
    assert response.status_code == 303, response.text[:400]
    return order_id


def _jpeg_with_gps(size: tuple[int, int] = (2400, 1800)) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825)[2] = (55.0, 45.0, 21.0)  # GPSLatitude
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


async def _taken(db: Any, client: Any, shop: Any, oms_id: str) -> tuple[int, Person]:
    order_id = await _packed(db, client, shop, oms_id, {"bread": 1}, {"ambient": "1"})
    courier = await _person(client, "courier")
    await courier.get("/courier/")
    await courier.post("/courier/scan", {"code": BagCode(oms_id, 1, 1, "ambient").text()})
    assert (await courier.post(f"/courier/take/{order_id}")).status_code == 303
    return order_id, courier


async def test_the_labels_page_prints_one_qr_label_per_bag(
        db: Any, app_client: Any, shop: Any) -> None:
    order_id = await _packed(db, app_client, shop, "H-1", {"water": 1, "pizza": 1},
                             {"ambient": "2", "frozen": "1"})
    page = await app_client.get(f"/pack/{order_id}/labels?size=100x150")
    assert page.status_code == 200
    assert page.text.count("<svg") == 3 and "Bag 3 of 3" in unwrapped(page.text)
    assert "size: 100mm 150mm" in page.text


async def test_a_missing_bag_blocks_the_courier_with_the_bag_named(
        db: Any, app_client: Any, shop: Any) -> None:
    order_id = await _packed(db, app_client, shop, "H-2", {"water": 1, "milk": 1},
                             {"ambient": "1", "chilled": "1"})
    courier = await _person(app_client, "courier")
    await courier.post("/courier/scan", {"code": BagCode("H-2", 1, 2, "ambient").text()})
    response = await courier.post(f"/courier/take/{order_id}")
    assert response.status_code == 422
    assert "Missing: bag 2 of 2 (chilled)" in unwrapped(response.text)


async def test_a_delivery_photo_is_shrunk_and_loses_its_exif(
        db: Any, app_client: Any, shop: Any, tmp_path: Path) -> None:
    order_id, courier = await _taken(db, app_client, shop, "H-3")
    response = await courier.post(f"/courier/orders/{order_id}/delivered", files={
        "photo": ("door.jpg", _jpeg_with_gps(), "image/jpeg")})
    assert response.status_code == 303, response.text[:400]
    saved = list((tmp_path / "data" / "proofs").glob("*.jpg"))
    assert len(saved) == 1
    with Image.open(saved[0]) as image:
        assert max(image.size) == 1280 and not image.getexif() and "exif" not in image.info
    assert (await outbox_payload(db, order_id, "OrderDelivered"))["proof_photo"] is True


async def test_a_photo_with_too_many_pixels_is_refused_with_413(
        db: Any, app_client: Any, shop: Any) -> None:
    order_id, courier = await _taken(db, app_client, shop, "H-4")
    huge = io.BytesIO()
    Image.new("L", (8000, 6000)).save(huge, "PNG")
    response = await courier.post(f"/courier/orders/{order_id}/delivered", files={
        "photo": ("huge.png", huge.getvalue(), "image/png")})
    assert response.status_code == 413 and "too many pixels" in response.text


async def test_a_photo_over_the_byte_limit_is_refused_with_413(
        db: Any, app_client: Any, shop: Any) -> None:
    order_id, courier = await _taken(db, app_client, shop, "H-5")
    response = await courier.post(f"/courier/orders/{order_id}/delivered", files={
        "photo": ("big.jpg", b"\xff\xd8" + b"0" * (13 * 2**20), "image/jpeg")})
    assert response.status_code == 413 and "too large" in response.text


async def test_an_upload_that_is_no_photo_is_refused_with_422(
        db: Any, app_client: Any, shop: Any) -> None:
    order_id, courier = await _taken(db, app_client, shop, "H-6")
    response = await courier.post(f"/courier/orders/{order_id}/delivered", files={
        "photo": ("notes.jpg", b"hello, not a photo", "image/jpeg")})
    assert response.status_code == 422 and "not a readable photo" in response.text


async def test_a_proof_photo_is_not_decoded_or_stored_when_the_delivery_is_refused(
        db: Any, app_client: Any, shop: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #18: a proof photo was decoded and written before the order, store and
    state were checked. Now a refused delivery costs no decode and leaves no file."""
    from app import proof_photo

    decoded: list[int] = []
    real_clean = proof_photo.clean_photo
    monkeypatch.setattr(proof_photo, "clean_photo",
                        lambda data, **kw: decoded.append(len(data)) or real_clean(data, **kw))
    packed = await _packed(db, app_client, shop, "H-20", {"bread": 1}, {"ambient": "1"})
    courier = await _person(app_client, "courier")
    not_taken = await courier.post(f"/courier/orders/{packed}/delivered", files={
        "photo": ("door.jpg", _jpeg_with_gps(), "image/jpeg")})
    assert not_taken.status_code >= 400
    beer_order, courier = await _taken_with(db, app_client, shop, "H-21", {"beer": 1})
    no_id_check = await courier.post(f"/courier/orders/{beer_order}/delivered", files={
        "photo": ("door.jpg", _jpeg_with_gps(), "image/jpeg")})
    assert no_id_check.status_code == 422, no_id_check.text[:300]
    assert decoded == []
    assert not list((tmp_path / "data").rglob("*.jpg"))
    accepted = await courier.post(f"/courier/orders/{beer_order}/delivered", data={
        "id_checked": "1"}, files={"photo": ("door.jpg", _jpeg_with_gps(), "image/jpeg")})
    assert accepted.status_code == 303, accepted.text[:300]
    assert len(decoded) == 1
    assert [p.parent.name for p in (tmp_path / "data").rglob("*.jpg")] == ["proofs"]


async def _taken_with(db: Any, client: Any, shop: Any, oms_id: str,
                      lines: dict[str, int]) -> tuple[int, Person]:
    order_id = await _packed(db, client, shop, oms_id, lines, {"ambient": "1"})
    courier = await _person(client, "courier")
    await courier.post("/courier/scan", {"code": BagCode(oms_id, 1, 1, "ambient").text()})
    assert (await courier.post(f"/courier/take/{order_id}")).status_code == 303
    return order_id, courier
