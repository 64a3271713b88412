"""Weighed goods over HTTP, on SQLite and PostgreSQL: labels, typed weights, tolerance.

The test store allows ±10% without a question and up to ±30% with the picker's
confirmation; 1 kg of bananas is ordered (PLU 10101).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.db import tables
from picking.gtin import complete
from tests.support.people import Person
from tests.support.shop import add_order

BANANAS_PLU = 10101


def scale_label(grams: int, plu: int = BANANAS_PLU) -> str:
    """A store scale label '22 PPPPP WWWWW C' as the scanner sends it."""
    return complete(f"22{plu:05d}{grams:05d}")


async def bananas_order(db: Any, shop: Any, picker: Person, grams: int = 1000) -> tuple[int, int]:
    async with db.writing() as session:
        order_id = await add_order(session, shop, {"bananas": grams, "milk": 1})
    assert await picker.take_next() == order_id
    return order_id, await line_id(db, order_id)


async def line_id(db: Any, order_id: int) -> int:
    async with db.reading() as session:
        return int(await session.scalar(
            select(tables.order_lines.c.id)
            .join(tables.products, tables.products.c.id == tables.order_lines.c.product_id)
            .where(tables.order_lines.c.order_id == order_id, tables.products.c.sku == "bananas")))


async def bananas(db: Any, order_id: int) -> tuple[int, str, str | None]:
    """Picked grams, state and weight note of the bananas line."""
    async with db.reading() as session:
        row = (await session.execute(
            select(tables.order_lines.c.picked_quantity, tables.order_lines.c.state,
                   tables.order_lines.c.weight_note)
            .where(tables.order_lines.c.id == await line_id(db, order_id)))).one()
        return row.picked_quantity, row.state, row.weight_note


async def type_weight(picker: Person, order_id: int, line: int, weight: str, *,
                      confirm: bool = False) -> Any:
    data = {"weight": weight, **({"confirm": "1"} if confirm else {})}
    return await picker.post(f"/pick/{order_id}/lines/{line}/weight", data, htmx=True)


async def test_the_pick_page_shows_the_target_weight_and_its_band(db: Any, shop: Any,
                                                                  picker: Person) -> None:
    order_id, line = await bananas_order(db, shop, picker)
    page = await picker.get(f"/pick/{order_id}")
    item = page.text.split(f'id="line-{line}"', 1)[1].split("</li>", 1)[0]
    assert "1,000\u00a0kg ±10%" in item  # "1,000" never ends a line without "kg"


async def test_a_scale_label_fills_the_weight(db: Any, shop: Any, picker: Person) -> None:
    order_id, _ = await bananas_order(db, shop, picker)
    response = await picker.scan(order_id, scale_label(1000))
    assert response.status_code == 200 and 'data-feedback="ok"' in response.text
    assert await bananas(db, order_id) == (1000, "picked", None)


async def test_two_labels_add_up_and_a_small_difference_is_noted(db: Any, shop: Any,
                                                                 picker: Person) -> None:
    order_id, line = await bananas_order(db, shop, picker)
    await picker.scan(order_id, scale_label(600))
    assert await bananas(db, order_id) == (600, "open", None)
    response = await picker.scan(order_id, scale_label(450))
    assert response.status_code == 200
    assert await bananas(db, order_id) == (1050, "picked", "soft")
    item = response.text.split(f'id="line-{line}"', 1)[1].split("</li>", 1)[0]
    assert "weight differs +5%" in item


async def test_a_typed_weight_in_kilograms_with_a_comma_counts(db: Any, shop: Any,
                                                               picker: Person) -> None:
    order_id, line = await bananas_order(db, shop, picker, grams=1200)
    response = await type_weight(picker, order_id, line, "1,25")
    assert response.status_code == 200, response.text[:300]
    assert await bananas(db, order_id) == (1250, "picked", "soft")


async def test_a_typed_weight_in_grams_counts(db: Any, shop: Any, picker: Person) -> None:
    order_id, line = await bananas_order(db, shop, picker, grams=1200)
    assert (await type_weight(picker, order_id, line, "1250")).status_code == 200
    assert await bananas(db, order_id) == (1250, "picked", "soft")


async def test_a_typed_weight_with_a_dot_and_a_unit_counts(db: Any, shop: Any,
                                                           picker: Person) -> None:
    order_id, line = await bananas_order(db, shop, picker)
    assert (await type_weight(picker, order_id, line, "0.98 kg")).status_code == 200
    assert await bananas(db, order_id) == (980, "picked", "soft")


async def test_beyond_the_soft_band_the_picker_must_confirm(db: Any, shop: Any,
                                                           picker: Person) -> None:
    order_id, line = await bananas_order(db, shop, picker)
    response = await type_weight(picker, order_id, line, "1,2")
    assert response.status_code == 422
    assert 'data-feedback="warn"' in response.text and "Keep this weight" in response.text
    assert 'name="confirm" value="1"' in response.text
    assert await bananas(db, order_id) == (0, "open", None)
    confirmed = await type_weight(picker, order_id, line, "1,2", confirm=True)
    assert confirmed.status_code == 200
    assert await bananas(db, order_id) == (1200, "picked", "confirmed")


async def test_a_label_beyond_the_soft_band_asks_for_confirmation_too(db: Any, shop: Any,
                                                                      picker: Person) -> None:
    order_id, _ = await bananas_order(db, shop, picker)
    response = await picker.scan(order_id, scale_label(1250))
    assert response.status_code == 422 and "Keep this weight" in response.text
    assert await bananas(db, order_id) == (0, "open", None)
    assert (await picker.scan(order_id, scale_label(1250), confirm=True)).status_code == 200
    assert await bananas(db, order_id) == (1250, "picked", "confirmed")


async def test_beyond_the_hard_limit_the_weight_is_blocked(db: Any, shop: Any,
                                                          picker: Person) -> None:
    order_id, line = await bananas_order(db, shop, picker)
    response = await type_weight(picker, order_id, line, "1,5")
    assert response.status_code == 422
    assert 'data-feedback="error"' in response.text and "too far" in response.text
    assert "Keep this weight" not in response.text
    await type_weight(picker, order_id, line, "1,5", confirm=True)
    assert await bananas(db, order_id) == (0, "open", None)


async def test_an_absurd_weight_is_refused(db: Any, shop: Any, picker: Person) -> None:
    order_id, line = await bananas_order(db, shop, picker)
    response = await type_weight(picker, order_id, line, "99999")
    assert response.status_code == 422 and "not plausible" in response.text
    for junk in ("0", "-1", "lots"):
        assert (await type_weight(picker, order_id, line, junk)).status_code == 422
    assert await bananas(db, order_id) == (0, "open", None)
