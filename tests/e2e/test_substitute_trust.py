"""A substitute the customer can trust, in two browsers: the picker sees the customer's
note and the attribute that must stay, finds nothing of the same kind, asks for other
kinds, offers one with a shelf photo; the customer sees it is another kind and the
photo beside the catalog picture (issue #15, items 1, 3 and 4)."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import update

from app.db import tables
from tests.e2e.conftest import PHONE, LiveServer, seeded_database, sign_in, start_server
from tests.e2e.test_substitution_live import customer_link
from tests.support.shop import add_order, kefir_label

NOTE = "Please check the date <b>carefully</b>"


@pytest.fixture
def trust_server(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[LiveServer, Path]]:
    """The test shop where milk and kefir are lactose-free and of different kinds, and
    one order of milk with the customer's notes."""

    async def order(db: Any, shop: Any) -> None:
        p, ln, o = tables.products, tables.order_lines, tables.orders
        async with db.writing() as session:
            for sku, category in (("milk", "dairy/milk"), ("kefir", "dairy/fermented_milk")):
                await session.execute(update(p).where(p.c.sku == sku).values(
                    category=category, attributes=["lactose_free"]))
            order_id = await add_order(session, shop, {"milk": 1, "bread": 1})
            await session.execute(update(ln).where(ln.c.order_id == order_id,
                                                   ln.c.product_id == shop.products["milk"])
                                  .values(note=NOTE, max_difference_pct=50))
            await session.execute(update(o).where(o.c.id == order_id)
                                  .values(note="Ring twice"))
            await session.commit()

    url, _ = seeded_database(sqlite_template, tmp_path, order)
    server = start_server(url, data_dir=tmp_path / "data")
    yield server, Path(url.split(":///", 1)[1])
    server.stop()


def shelf_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1600, 1200), (30, 140, 200)).save(out, "JPEG")
    return out.getvalue()


def offer_another_kind_with_a_photo(picker: Any, url: str, shots: Path | None = None,
                                    lang: str = "en") -> None:
    """The picker's walk, from the pick list to a proposal with a shelf photo."""
    def shot(name: str) -> None:
        if shots is not None:
            picker.screenshot(path=str(shots / f"{name}-{lang}.png"), full_page=True)

    picker.goto(f"{url}/pick/")
    picker.click("form[action$='/pick/next'] button")
    milk = picker.locator("li[data-sku=milk]")
    milk.locator("[data-attribute=lactose_free]").wait_for()
    shot("pick-line-note")
    milk.locator("summary").click()
    milk.locator("button[value=out_of_stock]").click()
    milk.locator("a[href$='/substitute']").click()
    picker.wait_for_selector("[data-show-wider]")
    shot("substitute-same-kind-empty")
    picker.click("[data-show-wider]")
    picker.wait_for_selector("li.suggestion[data-sku=kefir] .badge--other-kind")
    shot("substitute-other-kinds")
    picker.fill("#substitute-code", kefir_label())
    picker.click("#scan-form button[type=submit]")
    form = picker.locator("li[data-sku=milk] [data-proposal-photo]")
    # One tap: the button is what shows; the photo, once taken, goes by itself.
    assert form.locator("label.btn").is_visible()
    assert not form.locator("button[type=submit]").is_visible()
    form.locator("input[type=file]").set_input_files(
        files=[{"name": "shelf.jpg", "mimeType": "image/jpeg", "buffer": shelf_photo()}])
    picker.wait_for_selector(".feedback--ok")
    shot("photo-sent")


def test_the_picker_offers_another_kind_with_a_shelf_photo_and_the_customer_sees_both(
        browser: Any, phone: Any, trust_server: tuple[LiveServer, Path]) -> None:
    server, path = trust_server
    sign_in(phone, server.url, "1001", "1111")
    phone.goto(f"{server.url}/pick/")
    offer_another_kind_with_a_photo(phone, server.url)
    assert "Photo sent" in phone.inner_text(".feedback--ok")
    with sqlite3.connect(path) as db:
        (order_id,) = db.execute("SELECT id FROM orders").fetchone()
    phone.goto(f"{server.url}/pick/{order_id}")
    line = phone.locator("li[data-sku=milk]")
    assert NOTE in line.inner_text()  # shown as text, not markup
    assert phone.locator("[data-order-note]").inner_text().endswith("Ring twice")

    customer_context = browser.new_context(**{**PHONE, "locale": "en-US"})
    try:
        customer = customer_context.new_page()
        customer.goto(customer_link(path, server.url) + "?lang=en")
        customer.wait_for_selector("[data-other-kind]")
        photo = customer.locator("[data-shelf-photo] img")
        photo.wait_for()
        # measured in the same moment the image is seen loaded: the live updates may swap
        # the offer in between two separate calls (a detached element has no box)
        box = customer.wait_for_function(
            "() => { const shown = document.querySelector('[data-shelf-photo]');"
            " const img = shown && shown.querySelector('img');"
            " if (!img || !(img.naturalWidth > 0)) return false;"
            " const r = shown.getBoundingClientRect();"
            " return {width: r.width, height: r.height}; }").json_value()
        assert box["width"] >= 44 and box["height"] >= 44
    finally:
        customer_context.close()
