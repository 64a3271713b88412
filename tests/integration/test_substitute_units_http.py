"""Substitutes verified unit by unit over HTTP, on SQLite and PostgreSQL, and progress
that says picked, substituted and missing on every screen (issue #12, items 1, 2, 4)."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import select

from app.db import tables
from tests.integration.test_board_http import as_supervisor
from tests.integration.test_substitution_http import (
    Customer,
    line_of,
    offer,
    outbox,
    short_order,
)
from tests.support.people import Person, unwrapped
from tests.support.shop import BREAD, KEFIR, NOT_IN_ANY_ORDER, NOW, add_order, kefir_unit


def read(text: str) -> str:
    """A page's text as a person reads it: entities decoded, no-break spaces as spaces."""
    return unwrapped(html.unescape(text))


async def scans_of(db: Any, order_id: int, sku: str) -> list[tuple[str | None, int]]:
    ln, sc, p = tables.order_lines.c, tables.scans.c, tables.products.c
    async with db.reading() as session:
        rows = await session.execute(
            select(sc.marking_code, sc.quantity)
            .join(tables.order_lines, ln.id == sc.line_id)
            .join(tables.products, p.id == ln.product_id)
            .where(ln.order_id == order_id, p.sku == sku, sc.undone_at.is_(None))
            .order_by(sc.id))
        return [(code, quantity) for code, quantity in rows.all()]


async def approved(db: Any, phone: Any, order_id: int) -> Customer:
    (proposed,) = await outbox(db, order_id, "SubstitutionProposed")
    customer = Customer(phone, proposed["customer_url"])
    await customer.open(headers={"Accept-Language": "en"})
    answered = await customer.answer(proposed["proposal"], "approve")
    assert answered.status_code == 200, answered.text[:300]
    return customer


async def test_an_approved_substitute_counts_the_scanned_unit_and_wants_the_rest_scanned(
        db: Any, shop: Any, picker: Person, phone: Any) -> None:
    order_id, bread = await short_order(db, shop, picker, {"bread": 2}, "bread")
    assert (await offer(picker, order_id, bread, NOT_IN_ANY_ORDER)).status_code == 303
    await approved(db, phone, order_id)
    assert await scans_of(db, order_id, "rye") == [(None, 1)]
    page = (await picker.get(f"/pick/{order_id}")).text
    rye = re.search(r'<li id="line-\d+" class="line line--(\w+)[^"]*" data-sku="rye".*?</li>', page,
                    re.S)
    assert rye is not None and rye.group(1) == "open"
    assert re.search(r"<strong>1</strong> / 2", rye.group(0))

    second = await picker.scan(order_id, NOT_IN_ANY_ORDER)
    assert second.status_code == 200 and "already" not in second.text, second.text[:300]
    assert await scans_of(db, order_id, "rye") == [(None, 1), (None, 1)]
    third = await picker.scan(order_id, NOT_IN_ANY_ORDER)
    assert third.status_code == 422 and "already done" in third.text


async def test_a_marked_substitute_by_its_plain_ean_is_refused_with_the_pick_loop_sentence(
        db: Any, shop: Any, picker: Person) -> None:
    order_id, milk = await short_order(db, shop, picker, {"milk": 2}, "milk")
    refused = await offer(picker, order_id, milk, KEFIR)
    assert refused.status_code == 422
    assert "is marked goods: scan the DataMatrix code on the pack" in read(refused.text)
    assert await outbox(db, order_id, "SubstitutionProposed") == []


async def test_a_marked_substitute_keeps_its_code_and_the_next_unit_needs_another(
        db: Any, shop: Any, picker: Person, phone: Any) -> None:
    order_id, milk = await short_order(db, shop, picker, {"milk": 2}, "milk")
    first, second = kefir_unit("SUB0001"), kefir_unit("SUB0002")
    assert (await offer(picker, order_id, milk, first)).status_code == 303
    await approved(db, phone, order_id)
    (decided,) = await outbox(db, order_id, "SubstitutionDecided")
    key = f"01{KEFIR.zfill(14)}21SUB0001"
    assert (decided["picked"], decided["marking_code"]) == (1, key)
    assert await scans_of(db, order_id, "kefir") == [(key, 1)]

    again = await picker.scan(order_id, first)
    assert again.status_code == 422 and "already scanned" in again.text
    plain = await picker.scan(order_id, KEFIR)
    assert plain.status_code == 422 and "DataMatrix" in plain.text
    assert (await picker.scan(order_id, second)).status_code == 200
    (scanned,) = await outbox(db, order_id, "ItemScanned")
    assert scanned["marking_code"] == f"01{KEFIR.zfill(14)}21SUB0002"

    done = await picker.post(f"/pick/{order_id}/finish")
    assert done.status_code == 303, done.text[:300]
    (picked,) = await outbox(db, order_id, "OrderPicked")
    kefir = next(line for line in picked["lines"] if line["sku"] == "kefir")
    assert kefir["marking_codes"] == [key, f"01{KEFIR.zfill(14)}21SUB0002"]


async def test_a_unit_counted_on_another_order_cannot_be_offered_as_a_substitute(
        db: Any, shop: Any, picker: Person) -> None:
    order_id, milk = await short_order(db, shop, picker, {"milk": 1}, "milk")
    async with db.writing() as session:  # that bottle went out with another order
        other = await add_order(session, shop, {"kefir": 1})
        line = await session.scalar(select(tables.order_lines.c.id)
                                    .where(tables.order_lines.c.order_id == other))
        await session.execute(tables.scans.insert().values(
            line_id=line, scan_id="elsewhere", code="x", quantity=1, scanned_at=NOW,
            marking_code=f"01{KEFIR.zfill(14)}21SUB0009"))
        await session.commit()
    refused = await offer(picker, order_id, milk, kefir_unit("SUB0009"))
    assert refused.status_code == 422 and "already scanned" in refused.text
    assert await outbox(db, order_id, "SubstitutionProposed") == []


async def test_every_screen_says_picked_substituted_and_missing(
        db: Any, shop: Any, client: Any, picker: Person, phone: Any) -> None:
    order_id, milk = await short_order(
        db, shop, picker, {"milk": 1, "bread": 1, "water": 1, "chocolate": 1}, "milk")
    await offer(picker, order_id, milk, kefir_unit())
    water = await picker.post(f"/pick/{order_id}/lines/{await line_of(db, order_id, 'water')}"
                              "/short", {"reason": "damaged"}, htmx=True)
    assert water.status_code == 200
    await picker.scan(order_id, BREAD)
    customer = await approved(db, phone, order_id)  # kefir ×1: its one unit is scanned

    expected = "Picked 1 of 4 · substituted 1 · missing 1"
    pick_page = read((await picker.get(f"/pick/{order_id}")).text)
    assert expected in pick_page and 'aria-valuenow="3"' in pick_page
    assert "progress__bar--missing" in pick_page and "progress__bar--substituted" in pick_page
    queue = read((await picker.get("/pick/")).text)
    assert expected in queue
    customer_page = read((await customer.open(headers={"Accept-Language": "en"})).text)
    assert expected in customer_page
    supervisor = await as_supervisor(client)
    board = read((await supervisor.get("/board/")).text)
    assert expected in board
    panel = read((await supervisor.get(f"/board/orders/{order_id}")).text)
    assert expected in panel
    russian = read((await customer.open(headers={"Accept-Language": "ru"})).text)
    assert "Собрано 1 из 4 · заменено: 1 · нет в наличии: 1" in russian


async def test_a_substitute_found_nowhere_is_missing_on_the_lists_too(
        db: Any, shop: Any, client: Any, picker: Person, phone: Any) -> None:
    order_id, bread = await short_order(db, shop, picker, {"bread": 2}, "bread")
    await offer(picker, order_id, bread, NOT_IN_ANY_ORDER)
    await approved(db, phone, order_id)
    assert (await picker.post(f"/pick/{order_id}/undo", htmx=True)).status_code == 200
    rye = await line_of(db, order_id, "rye")
    shorted = await picker.post(f"/pick/{order_id}/lines/{rye}/short", {"reason": "damaged"},
                                htmx=True)
    assert shorted.status_code == 200, shorted.text[:300]
    assert "Picked 0 of 1 · missing 1" in read((await picker.get("/pick/")).text)
    supervisor = await as_supervisor(client)
    board = read((await supervisor.get("/board/")).text)
    assert "Picked 0 of 1 · missing 1" in board


async def test_a_weighed_substitute_starts_with_its_label_and_the_rest_is_weighed(
        db: Any, shop: Any, picker: Person, phone: Any) -> None:
    from tests.integration.test_weights_http import scale_label
    from tests.support.shop import Item, _insert_item
    async with db.writing() as session:  # loose apples beside the bananas, PLU 10102
        await _insert_item(session, shop, shop.store_id, Item(
            "apples", "Яблоки", "Apples", "weight", 14990, "ambient", 2, 21, plu="10102",
            category="fruit"))
        await session.commit()
    order_id, bananas = await short_order(db, shop, picker, {"bananas": 1000}, "bananas")
    assert (await offer(picker, order_id, bananas, scale_label(400, 10102))).status_code == 303
    await approved(db, phone, order_id)
    (decided,) = await outbox(db, order_id, "SubstitutionDecided")
    assert (decided["picked"], decided["weight_g"]) == (400, 400)
    assert await scans_of(db, order_id, "apples") == [(None, 400)]
    assert (await picker.scan(order_id, scale_label(600, 10102))).status_code == 200
    assert await scans_of(db, order_id, "apples") == [(None, 400), (None, 600)]
    (weighed,) = await outbox(db, order_id, "WeightRecorded")
    assert (weighed["weight_g"], weighed["total_g"]) == (600, 1000)
