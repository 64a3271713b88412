"""The substitute page over HTTP, on SQLite and PostgreSQL: the pick page's camera and
photo buttons, and suggestions that stay in the product's category (issue #12, item 11)."""

from __future__ import annotations

import html
from typing import Any

from sqlalchemy import update

from app.db import tables
from tests.integration.test_photo_scan_http import blank_photo, photo_of
from tests.integration.test_substitution_http import outbox, short_order
from tests.support.people import Person
from tests.support.shop import KEFIR, NOT_IN_ANY_ORDER


async def categorise(db: Any, **categories: str) -> None:
    """Give test products narrow ``group/kind`` categories, as the demo catalog has."""
    async with db.writing() as session:
        for sku, category in categories.items():
            await session.execute(update(tables.products).where(tables.products.c.sku == sku)
                                  .values(category=category))
        await session.commit()


async def send_photo(picker: Person, order_id: int, line_id: int, data: bytes) -> Any:
    return await picker.post(f"/pick/{order_id}/lines/{line_id}/substitute/photo",
                             files={"photo": ("photo.jpg", data, "image/jpeg")}, htmx=True)


async def test_the_substitute_page_has_the_pick_pages_camera_and_photo_buttons(
        db: Any, shop: Any, picker: Person) -> None:
    order_id, bread = await short_order(db, shop, picker, {"bread": 2}, "bread")
    page = (await picker.get(f"/pick/{order_id}/lines/{bread}/substitute")).text
    assert 'id="camera-open"' in page and "js/camera.js" in page
    assert f'action="/pick/{order_id}/lines/{bread}/substitute/photo"' in page
    assert 'hx-target="#substitute-feedback"' in page and 'capture="environment"' in page


async def test_a_photo_of_the_substitute_offers_it_to_the_customer(
        db: Any, shop: Any, picker: Person) -> None:
    order_id, bread = await short_order(db, shop, picker, {"bread": 2}, "bread")
    blank = await send_photo(picker, order_id, bread, blank_photo())
    assert blank.status_code == 422 and 'id="substitute-feedback"' in blank.text
    assert "No barcode found" in blank.text
    sent = await send_photo(picker, order_id, bread, photo_of(NOT_IN_ANY_ORDER))
    assert sent.status_code == 204 and sent.headers["HX-Redirect"].endswith(f"#line-{bread}")
    (proposed,) = await outbox(db, order_id, "SubstitutionProposed")
    assert (proposed["sku"], proposed["quantity"]) == ("rye", 2)


async def test_a_photo_of_a_marked_substitutes_plain_ean_is_refused_like_a_scan(
        db: Any, shop: Any, picker: Person) -> None:
    order_id, milk = await short_order(db, shop, picker, {"milk": 1}, "milk")
    refused = await send_photo(picker, order_id, milk, photo_of(KEFIR))
    assert refused.status_code == 422 and 'id="substitute-feedback"' in refused.text
    assert "scan the DataMatrix code on the pack" in html.unescape(refused.text)
    assert await outbox(db, order_id, "SubstitutionProposed") == []


async def test_suggestions_stay_in_the_category_and_say_so_when_they_cannot(
        db: Any, shop: Any, picker: Person) -> None:
    await categorise(db, bread="bakery/bread", rye="bakery/bread", milk="dairy/milk",
                     kefir="dairy/fermented_milk", chocolate="sweets/chocolate")
    order_id, bread = await short_order(db, shop, picker, {"bread": 1}, "bread")
    page = html.unescape((await picker.get(f"/pick/{order_id}/lines/{bread}/substitute")).text)
    assert 'data-sku="rye"' in page and "data-wider" not in page
    assert 'data-sku="chocolate"' not in page and 'data-sku="kefir"' not in page
    await picker.post(f"/pick/{order_id}/finish")

    order_id, milk = await short_order(db, shop, picker, {"milk": 1}, "milk")
    page = html.unescape((await picker.get(f"/pick/{order_id}/lines/{milk}/substitute")).text)
    # another kind only when the picker asks for it (issue #15, item 1)
    assert 'data-sku="kefir"' not in page and "data-show-wider" in page
    assert "Nothing suitable of the same kind is in stock" in page
    page = html.unescape((await picker.get(
        f"/pick/{order_id}/lines/{milk}/substitute?wider=1")).text)
    assert 'data-sku="kefir"' in page and "data-wider" in page
    assert "Nothing of the same kind is in stock" in page and "another kind" in page
    assert 'data-sku="rye"' not in page and 'data-sku="chocolate"' not in page
