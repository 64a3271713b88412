"""The photo fallback over HTTP, on SQLite and PostgreSQL: a photo counts like a scan."""

from __future__ import annotations

from typing import Any

from PIL import Image
from sqlalchemy import func, select

from app.db import tables
from tests.support.barcode_images import degrade, ean13_image, to_jpeg_bytes
from tests.support.people import Person, unwrapped
from tests.support.shop import MILK, NOT_IN_ANY_ORDER, add_order


async def order_with(db: Any, shop: Any, lines: dict[str, int]) -> int:
    async with db.writing() as session:
        return await add_order(session, shop, lines)


async def picked(db: Any, order_id: int) -> dict[str, int]:
    async with db.reading() as session:
        rows = await session.execute(
            select(tables.products.c.sku, tables.order_lines.c.picked_quantity)
            .join(tables.products, tables.products.c.id == tables.order_lines.c.product_id)
            .where(tables.order_lines.c.order_id == order_id))
        return dict(rows.all())


async def scan_rows(db: Any) -> int:
    async with db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(tables.scans)))


def photo_of(gtin: str, seed: int = 1) -> bytes:
    """A phone-like JPEG: the EAN-13 on a label, slightly turned, on a cluttered shelf."""
    return to_jpeg_bytes(degrade(ean13_image(gtin), rotation=4, noise=6, seed=seed,
                                 place_in=(1600, 1200)), quality=85)


def blank_photo() -> bytes:
    return to_jpeg_bytes(Image.new("RGB", (1200, 900), (182, 170, 150)))


async def send_photo(person: Person, order_id: int, data: bytes, *, filename: str = "photo.jpg",
                     content_type: str = "image/jpeg", htmx: bool = True, **kw: Any) -> Any:
    files = {"photo": (filename, data, content_type)}
    return await person.post(f"/pick/{order_id}/photo", files=files, htmx=htmx, **kw)


async def test_a_photo_of_a_product_on_the_order_counts_its_line(db: Any, shop: Any,
                                                                 picker: Person) -> None:
    order_id = await order_with(db, shop, {"milk": 2, "bread": 1})
    await picker.take_next()
    response = await send_photo(picker, order_id, photo_of(MILK))
    assert response.status_code == 200, response.text[:500]
    assert 'data-feedback="ok"' in response.text
    assert "Milk 3.2% 930 ml: 1 of 2" in unwrapped(response.text)
    assert await picked(db, order_id) == {"milk": 1, "bread": 0}


async def test_the_same_photo_sent_twice_counts_once(db: Any, shop: Any, picker: Person) -> None:
    order_id = await order_with(db, shop, {"milk": 2})
    await picker.take_next()
    data = photo_of(MILK, seed=3)
    await send_photo(picker, order_id, data)
    await send_photo(picker, order_id, data)
    assert await picked(db, order_id) == {"milk": 1}


async def test_a_photo_without_javascript_answers_with_the_whole_page(db: Any, shop: Any,
                                                                      picker: Person) -> None:
    order_id = await order_with(db, shop, {"milk": 1})
    await picker.take_next()
    page = await picker.get(f"/pick/{order_id}")
    assert 'id="photo-form"' in page.text and 'capture="environment"' in page.text
    response = await send_photo(picker, order_id, photo_of(MILK), htmx=False)
    assert response.status_code == 200
    assert 'id="scan-form"' in response.text and 'data-feedback="ok"' in response.text
    assert await picked(db, order_id) == {"milk": 1}


async def test_a_photo_of_a_product_not_on_the_order_asks_for_a_retake(db: Any, shop: Any,
                                                                      picker: Person) -> None:
    order_id = await order_with(db, shop, {"milk": 1})
    await picker.take_next()
    before = await scan_rows(db)
    response = await send_photo(picker, order_id, photo_of(NOT_IN_ANY_ORDER))
    assert response.status_code == 422
    assert "does not match this order" in response.text and "Take the photo again" in response.text
    assert "Wrong item" not in response.text
    assert await picked(db, order_id) == {"milk": 0}
    assert await scan_rows(db) == before


async def test_a_blank_photo_says_no_barcode_was_found(db: Any, shop: Any,
                                                       picker: Person) -> None:
    order_id = await order_with(db, shop, {"milk": 1})
    await picker.take_next()
    response = await send_photo(picker, order_id, blank_photo())
    assert response.status_code == 422
    assert "No barcode found" in response.text and "more light" in response.text
    assert await picked(db, order_id) == {"milk": 0}


async def test_a_blurred_photo_says_hold_steady_and_a_dark_one_asks_for_light(
        db: Any, shop: Any, picker: Person) -> None:
    order_id = await order_with(db, shop, {"milk": 1})
    await picker.take_next()
    blurred = to_jpeg_bytes(degrade(ean13_image(MILK), rotation=3, noise=4, blur=3.5, seed=2,
                                    place_in=(1600, 1200)), quality=88)
    response = await send_photo(picker, order_id, blurred)
    assert response.status_code == 422
    assert "too blurred" in response.text and "Hold the phone steady" in response.text
    dark = to_jpeg_bytes(degrade(ean13_image(MILK), rotation=4, noise=12, low_light=0.93,
                                 seed=3, place_in=(1600, 1200)), quality=88)
    response = await send_photo(picker, order_id, dark)
    assert response.status_code == 422
    assert "too dark" in response.text and "flash" in response.text
    assert await picked(db, order_id) == {"milk": 0}


async def test_a_16_mb_upload_is_refused_and_the_server_carries_on(db: Any, shop: Any,
                                                                   picker: Person) -> None:
    order_id = await order_with(db, shop, {"milk": 1})
    await picker.take_next()
    huge = b"\xff\xd8\xff" + bytes(16 * 1024 * 1024)
    response = await send_photo(picker, order_id, huge)
    assert response.status_code == 413
    assert "too large" in response.text
    after = await send_photo(picker, order_id, photo_of(MILK))
    assert after.status_code == 200 and await picked(db, order_id) == {"milk": 1}


async def test_a_text_file_is_not_a_photo(db: Any, shop: Any, picker: Person) -> None:
    order_id = await order_with(db, shop, {"milk": 1})
    await picker.take_next()
    response = await send_photo(picker, order_id, b"4601234567893\n", filename="code.txt",
                                content_type="text/plain")
    assert response.status_code == 422
    assert "not a photo" in response.text
    assert await picked(db, order_id) == {"milk": 0}


async def test_a_photo_without_the_csrf_token_is_forbidden(db: Any, shop: Any,
                                                           picker: Person) -> None:
    order_id = await order_with(db, shop, {"milk": 1})
    await picker.take_next()
    files = {"photo": ("photo.jpg", photo_of(MILK), "image/jpeg")}
    response = await picker.client.post(f"/pick/{order_id}/photo", files=files,
                                        headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert await picked(db, order_id) == {"milk": 0}


async def test_the_csrf_token_may_travel_as_a_form_field(db: Any, shop: Any,
                                                         picker: Person) -> None:
    order_id = await order_with(db, shop, {"milk": 1})
    await picker.take_next()
    await picker.get(f"/pick/{order_id}")
    files = {"photo": ("photo.jpg", photo_of(MILK), "image/jpeg")}
    response = await picker.client.post(f"/pick/{order_id}/photo", files=files,
                                        data={"_csrf_token": picker.csrf})
    assert response.status_code == 200
    assert await picked(db, order_id) == {"milk": 1}


async def test_a_photo_of_a_line_already_done_says_so(db: Any, shop: Any,
                                                      picker: Person) -> None:
    order_id = await order_with(db, shop, {"milk": 1, "bread": 1})
    await picker.take_next()
    await picker.scan(order_id, MILK)
    response = await send_photo(picker, order_id, photo_of(MILK))
    assert response.status_code == 422
    assert "Too many" in response.text or "already done" in response.text
    assert await picked(db, order_id) == {"milk": 1, "bread": 0}
