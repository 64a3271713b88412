"""The picker's loop over HTTP, on SQLite and PostgreSQL: take, scan, short, finish."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from app.db import tables
from picking.gtin import complete
from tests.support.people import Person, unwrapped
from tests.support.shop import BREAD, CHOCOLATE_EAN8, MILK, NOT_IN_ANY_ORDER, WATER_UPC, add_order


async def order_with(db: Any, shop: Any, lines: dict[str, int], **kw: Any) -> int:
    async with db.writing() as session:
        return await add_order(session, shop, lines, **kw)


async def picked(db: Any, order_id: int) -> dict[str, tuple[int, str]]:
    async with db.reading() as session:
        rows = await session.execute(
            select(tables.products.c.sku, tables.order_lines.c.picked_quantity,
                   tables.order_lines.c.state)
            .join(tables.products, tables.products.c.id == tables.order_lines.c.product_id)
            .where(tables.order_lines.c.order_id == order_id))
        return {sku: (qty, state) for sku, qty, state in rows.all()}


async def outbox_types(db: Any, order_id: int) -> list[str]:
    async with db.reading() as session:
        rows = await session.scalars(select(tables.outbox.c.type)
                                     .where(tables.outbox.c.order_id == order_id)
                                     .order_by(tables.outbox.c.sequence))
        return list(rows)


async def test_take_next_gives_the_most_urgent_order(db: Any, shop: Any, picker: Person) -> None:
    await order_with(db, shop, {"bread": 1}, due_in=timedelta(hours=3))
    urgent = await order_with(db, shop, {"milk": 1}, due_in=timedelta(minutes=20))
    assert await picker.take_next() == urgent
    page = await picker.get(f"/pick/{urgent}")
    assert page.status_code == 200 and "Milk 3.2% 930 ml" in unwrapped(page.text)


async def test_a_picker_who_comes_back_gets_the_same_order(db: Any, shop: Any,
                                                           picker: Person) -> None:
    first = await order_with(db, shop, {"bread": 1})
    await order_with(db, shop, {"milk": 1})
    assert await picker.take_next() == first
    assert await picker.take_next() == first
    queue = await picker.get("/pick/")
    assert "Continue my order" in queue.text


async def test_scanning_every_code_form_counts_against_its_line(db: Any, shop: Any,
                                                                picker: Person) -> None:
    order_id = await order_with(db, shop, {"milk": 2, "water": 1, "chocolate": 1})
    await picker.take_next()
    for code in (MILK, MILK.zfill(14), WATER_UPC, "0" + WATER_UPC, CHOCOLATE_EAN8):
        response = await picker.scan(order_id, code)
        if code == "0" + WATER_UPC:
            assert response.status_code == 422  # water was already complete
            continue
        assert response.status_code == 200, response.text[:400]
        assert 'data-feedback="ok"' in response.text
    assert await picked(db, order_id) == {"milk": (2, "picked"), "water": (1, "picked"),
                                          "chocolate": (1, "picked")}


async def test_wrong_unknown_and_malformed_codes_change_nothing_and_say_why(
        db: Any, shop: Any, picker: Person) -> None:
    order_id = await order_with(db, shop, {"milk": 1})
    await picker.take_next()
    cases = {
        NOT_IN_ANY_ORDER: "Wrong item: Rye bread is not on this order.",
        complete("460000000000"): "Unknown code",
        MILK[:-1] + str((int(MILK[-1]) + 1) % 10): "check digit is wrong",
        "hello": "not a product barcode",
        "": "Nothing was scanned",
    }
    for code, message in cases.items():
        response = await picker.scan(order_id, code)
        assert response.status_code == 422, code
        assert message in response.text and 'data-feedback="error"' in response.text
    assert await picked(db, order_id) == {"milk": (0, "open")}
    assert await outbox_types(db, order_id) == ["PickingStarted"]


async def test_one_more_than_ordered_is_refused(db: Any, shop: Any, picker: Person) -> None:
    order_id = await order_with(db, shop, {"milk": 2})
    await picker.take_next()
    response = await picker.scan(order_id, MILK, quantity=3)
    assert response.status_code == 422 and "Too many" in response.text
    await picker.scan(order_id, MILK, quantity=2)
    assert await picked(db, order_id) == {"milk": (2, "picked")}


async def test_a_double_submitted_scan_counts_once(db: Any, shop: Any, picker: Person) -> None:
    order_id = await order_with(db, shop, {"milk": 3})
    await picker.take_next()
    for _ in range(2):
        response = await picker.scan(order_id, MILK, scan_id="tap-123456789")
        assert response.status_code == 200
    assert await picked(db, order_id) == {"milk": (1, "open")}


async def test_a_double_submitted_finish_and_packing_answer_as_the_first_did(
        db: Any, shop: Any, picker: Person) -> None:
    """A second "Finish picking" or "Confirm packing" (a double tap without JavaScript, a form
    sent again) answered 409 "can no longer be changed" after the first had succeeded."""
    order_id = await order_with(db, shop, {"milk": 1})
    await picker.take_next()
    await picker.scan(order_id, MILK)
    for _ in range(2):
        done = await picker.post(f"/pick/{order_id}/finish")
        assert done.status_code == 303, done.text[:300]
        assert done.headers["location"] == f"/pick/{order_id}/summary"
    form = {"bags_chilled": "1", "place_chilled": "Fridge 1"}
    for _ in range(2):
        packed = await picker.post(f"/pack/{order_id}", form)
        assert packed.status_code == 303, packed.text[:300]
        assert packed.headers["location"] == f"/pack/{order_id}/labels"
    async with db.reading() as session:
        events = (await session.scalars(select(tables.outbox.c.type).where(
            tables.outbox.c.order_id == order_id))).all()
    assert events.count("OrderPicked") == 1 and events.count("OrderPacked") == 1


async def test_undo_short_and_finish_with_a_summary(db: Any, shop: Any, picker: Person) -> None:
    order_id = await order_with(db, shop, {"milk": 1, "bread": 2})
    await picker.take_next()
    await picker.scan(order_id, MILK)
    await picker.scan(order_id, BREAD)
    undone = await picker.post(f"/pick/{order_id}/undo", htmx=True)
    assert "Last scan undone" in undone.text
    early = await picker.post(f"/pick/{order_id}/finish")
    assert early.status_code == 422 and "still open" in early.text
    lines = await picked(db, order_id)
    assert lines["bread"] == (0, "open")
    bread_line = await line_id(db, order_id, "bread")
    shorted = await picker.post(f"/pick/{order_id}/lines/{bread_line}/short",
                                {"reason": "out_of_stock"}, htmx=True)
    assert shorted.status_code == 200
    done = await picker.post(f"/pick/{order_id}/finish")
    assert done.status_code == 303
    summary = await picker.get(done.headers["location"])
    assert "is picked" in summary.text and "Out of stock" in summary.text
    assert await outbox_types(db, order_id) == [  # an empty shelf tells the OMS (issue 15)
        "PickingStarted", "ItemScanned", "ItemScanned", "ScanUndone", "LineShorted",
        "ItemUnavailable", "OrderPicked"]


async def test_the_summary_says_picked_only_of_a_picked_order(db: Any, shop: Any,
                                                              picker: Person) -> None:
    order_id = await order_with(db, shop, {"milk": 1, "bread": 1})
    await picker.take_next()
    assert (await picker.scan(order_id, MILK)).status_code == 200
    early = await picker.get(f"/pick/{order_id}/summary",  # typed, or the back button
                             follow_redirects=False)
    assert early.status_code == 303 and early.headers["location"] == f"/pick/{order_id}"
    async with db.writing() as session:
        await session.execute(tables.orders.update().where(tables.orders.c.id == order_id)
                              .values(status="cancelled"))
        await session.commit()
    cancelled = await picker.get(f"/pick/{order_id}/summary")
    assert cancelled.status_code == 200
    assert "was cancelled" in cancelled.text and "is picked" not in cancelled.text
    put_back = cancelled.text.split("Put back on the shelves", 1)[1]
    # only what was picked
    assert "Milk 3.2% 930 ml" in unwrapped(put_back) and "Bread" not in put_back
    assert "Nothing is missing" not in cancelled.text and "Total" not in cancelled.text


async def test_every_action_works_as_a_plain_form_post(db: Any, shop: Any,
                                                       picker: Person) -> None:
    order_id = await order_with(db, shop, {"milk": 1})
    await picker.take_next()
    response = await picker.scan(order_id, MILK, htmx=False)
    assert response.status_code == 200 and "<html" in response.text
    assert 'class="line line--picked"' in response.text


async def test_unsigned_visitors_are_sent_to_sign_in(client: Any) -> None:
    response = await client.get("/pick/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"


async def test_a_picker_never_sees_another_stores_orders(db: Any, shop: Any,
                                                         picker: Person) -> None:
    foreign = await order_with(db, shop, {"milk": 1}, store_id=shop.other_store_id)
    assert (await picker.get(f"/pick/{foreign}")).status_code == 404
    response = await picker.scan(foreign, MILK)
    assert response.status_code == 404
    queue = await picker.get("/pick/")
    assert "T-" not in queue.text or str(foreign) not in queue.text
    async with db.reading() as session:
        status = await session.scalar(select(tables.orders.c.status)
                                      .where(tables.orders.c.id == foreign))
    assert status == "queued"


async def test_posts_without_the_csrf_token_are_refused(db: Any, shop: Any,
                                                        picker: Person) -> None:
    order_id = await order_with(db, shop, {"milk": 1})
    response = await picker.client.post(f"/pick/{order_id}/scan", data={"code": MILK})
    assert response.status_code == 403


async def line_id(db: Any, order_id: int, sku: str) -> int:
    async with db.reading() as session:
        return int(await session.scalar(
            select(tables.order_lines.c.id)
            .join(tables.products, tables.products.c.id == tables.order_lines.c.product_id)
            .where(tables.order_lines.c.order_id == order_id, tables.products.c.sku == sku)))


async def test_count_helper_sanity(db: Any, shop: Any) -> None:
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(tables.products)) == 18
