"""A shelf photo on a proposal, over HTTP on SQLite and PostgreSQL: shrunk and stripped
like a delivery proof, shown to the customer beside the catalog picture, served only
through the order's link (issue #15, item 4)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy import func, select

from app.db.tables_trust import proposal_photos
from app.factory import create_app
from app.settings import Settings
from tests.integration.test_handover_http import _jpeg_with_gps
from tests.integration.test_photo_decode import png_header
from tests.integration.test_substitution_http import (
    CookieJarSwap,
    Customer,
    offer,
    outbox,
    short_order,
)
from tests.support.people import Person
from tests.support.shop import NOT_IN_ANY_ORDER


@pytest.fixture
async def client(db_url: str, shop: Any, clock: Any,
                 tmp_path: Path) -> AsyncIterator[AsyncTestClient[Any]]:
    settings = Settings(environment="development", database_url=db_url, run_relay=False,
                        data_dir=tmp_path / "data")
    async with AsyncTestClient(app=create_app(settings, clock=clock),
                               base_url="http://testserver.local") as test_client:
        yield test_client


async def offered_rye(db: Any, shop: Any, picker: Person) -> tuple[int, int, dict[str, Any]]:
    order_id, bread = await short_order(db, shop, picker, {"bread": 1}, "bread")
    assert (await offer(picker, order_id, bread, NOT_IN_ANY_ORDER)).status_code == 303
    (proposed,) = await outbox(db, order_id, "SubstitutionProposed")
    return order_id, bread, proposed


async def send(picker: Person, order_id: int, line: int, ref: str, data: bytes,
               name: str = "shelf.jpg") -> Any:
    return await picker.post(f"/pick/{order_id}/lines/{line}/proposals/{ref}/photo",
                             files={"photo": (name, data, "image/jpeg")})


async def photos(db: Any) -> int:
    async with db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(proposal_photos)))


async def test_a_shelf_photo_is_cleaned_and_the_customer_sees_it_beside_the_offer(
        db: Any, shop: Any, picker: Person, client: Any, tmp_path: Path) -> None:
    order_id, bread, proposed = await offered_rye(db, shop, picker)
    pick_page = (await picker.get(f"/pick/{order_id}")).text
    assert "data-proposal-photo" in pick_page
    sent = await send(picker, order_id, bread, proposed["proposal"], _jpeg_with_gps())
    assert sent.status_code == 200 and "Photo sent" in sent.text
    (saved,) = (tmp_path / "data" / "proofs").glob("*.jpg")
    with Image.open(saved) as image:
        assert max(image.size) == 1280 and not image.getexif() and "exif" not in image.info

    customer = Customer(CookieJarSwap(client), proposed["customer_url"])
    page = (await customer.open(headers={"Accept-Language": "en"})).text
    assert "data-shelf-photo" in page and "Photo from the shelf" in page
    served = await customer.client.get(f"{customer.path}/p/{proposed['proposal']}/photo")
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.content == saved.read_bytes()
    wrong = await customer.client.get(f"{customer.path}/p/0123456789abcdef/photo")
    assert wrong.status_code == 404 and b"\xff\xd8" not in wrong.content

    # a second photo replaces the first, file and all
    await send(picker, order_id, bread, proposed["proposal"], _jpeg_with_gps((800, 600)))
    (replaced,) = (tmp_path / "data" / "proofs").glob("*.jpg")
    assert replaced != saved and await photos(db) == 1


async def test_a_photo_bomb_junk_or_a_decided_offer_is_refused_and_stores_nothing(
        db: Any, shop: Any, picker: Person, client: Any, tmp_path: Path) -> None:
    order_id, bread, proposed = await offered_rye(db, shop, picker)
    ref = proposed["proposal"]
    bomb = await send(picker, order_id, bread, ref, png_header(30_000, 30_000), "bomb.png")
    assert bomb.status_code == 413 and "too many pixels" in bomb.text
    junk = await send(picker, order_id, bread, ref, b"not a photo at all")
    assert junk.status_code == 422 and "not a readable photo" in junk.text
    customer = Customer(CookieJarSwap(client), proposed["customer_url"])
    await customer.open()
    assert (await customer.answer(ref, "reject")).status_code == 200
    late = await send(picker, order_id, bread, ref, _jpeg_with_gps((640, 480)))
    assert late.status_code == 409
    assert await photos(db) == 0
    assert not list((tmp_path / "data").rglob("*.jpg"))
