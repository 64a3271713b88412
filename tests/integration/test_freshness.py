"""The freshness promise at the scan (SQLite and PostgreSQL): the store's default per
category, the OMS's promise per line, the expiry kept on the scan, and the board's
count of refusals per product (a shelf that needs rotation)."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

from sqlalchemy import insert, select, update

from app.db import tables
from app.db.tables_marking import freshness_defaults
from app.services.stores import forget_store
from tests.support.people import Person, unwrapped
from tests.support.shop import MILK, add_order

SAY = "pick a fresher one, with at least {n}."


def milk_dated(yymmdd: str) -> str:
    return f"(01){MILK.zfill(14)}(17){yymmdd}"


async def test_a_unit_too_close_to_its_date_is_refused_and_a_fresher_one_counts(
        db: Any, shop: Any, client: Any, picker: Person) -> None:
    async with db.writing() as session:
        await session.execute(insert(freshness_defaults).values(
            store_id=shop.store_id, category="dairy", min_days=5))
        first = await add_order(session, shop, {"milk": 1})  # due 2026-11-22
        second = await add_order(session, shop, {"milk": 1})
        await session.execute(update(tables.order_lines).where(
            tables.order_lines.c.order_id == second).values(min_days_left=10))
        await session.commit()
    forget_store(shop.store_id)
    assert await picker.take_next() == first
    response = await picker.scan(first, milk_dated("261125"))  # 3 days left
    assert response.status_code == 422
    assert ("Milk 3.2% 930 ml has 3 days left at delivery: " + SAY.format(n=5)) in \
        unwrapped(html.unescape(response.text))
    assert (await picker.scan(first, milk_dated("261130"))).status_code == 200  # 8 days
    async with db.reading() as session:
        kept = await session.scalars(select(tables.scans.c.expiry))
        assert kept.all() == [date(2026, 11, 30)]
    await picker.post(f"/pick/{first}/finish")
    summary = html.unescape((await picker.get(f"/pick/{first}/summary")).text)
    assert "Fresh: 8 days left at delivery (promised at least 5)" in summary
    # the customer's page says the same (their link, as the OMS would have sent it)
    from tests.support.handover import customer_link

    page = unwrapped(html.unescape(
        (await client.get(f"{await customer_link(db, first)}?lang=en")).text))
    assert 'data-fresh-lines="1"' in page
    assert "Milk 3.2% 930 ml: 8 days left at delivery, at least 5 promised" in page
    assert await picker.take_next() == second
    response = await picker.scan(second, milk_dated("261130"))  # the OMS promised 10 days
    assert response.status_code == 422
    assert SAY.format(n=10) in unwrapped(html.unescape(response.text))

    supervisor = Person(client, "supervisor")
    await supervisor.sign_in()
    board = html.unescape((await supervisor.get("/board/")).text)
    assert 'data-stale="1"' in board and "<strong>Milk 3.2% 930 ml</strong> ×2" in unwrapped(board)


async def test_the_oms_sends_a_promise_per_line_and_a_new_version_changes_it(
        db: Any, client: Any, clock: Any) -> None:
    from tests.support.oms import OmsClient

    oms = OmsClient(client, clock)
    line = {"sku": "milk", "quantity": 1, "min_days_left": 7}
    for version, days in ((1, 7), (2, 4)):
        response = await oms.send("PUT", oms.order_path("F-1"), {
            "version": version, "due_at": "2026-11-22T11:00:00+03:00",
            "lines": [{**line, "min_days_left": days}]})
        assert response.status_code == 200, response.text
        async with db.reading() as session:
            assert await session.scalar(select(tables.order_lines.c.min_days_left)) == days
    bad = await oms.send("PUT", oms.order_path("F-2"), {
        "version": 1, "due_at": "2026-11-22T11:00:00+03:00",
        "lines": [{**line, "min_days_left": -1}]})
    assert bad.status_code in (400, 422) and "min_days_left" in bad.text


async def test_a_perishable_without_a_code_date_asks_the_picker_for_the_date_on_the_pack(
        db: Any, shop: Any, picker: Person) -> None:
    async with db.writing() as session:
        await session.execute(update(tables.products).where(
            tables.products.c.sku == "milk").values(ask_expiry=True, min_days_left=5))
        order_id = await add_order(session, shop, {"milk": 1})
        await session.commit()
    await picker.take_next()
    asked = html.unescape((await picker.scan(order_id, MILK)).text)  # plain EAN: no date
    assert "has no date in its code: type the date on the pack (at least 5 days" in asked
    assert 'name="expiry"' in asked and 'type="date"' in asked
    for typed, said in (("31.02.2026", "Type the date on the pack as day, month and year."),
                        ("2026-11-25", SAY.format(n=5))):
        response = await picker.post(f"/pick/{order_id}/scan",
                                     {"code": MILK, "expiry": typed}, htmx=True)
        assert response.status_code == 422, typed
        assert said in unwrapped(html.unescape(response.text)), typed
    response = await picker.post(f"/pick/{order_id}/scan",
                                 {"code": MILK, "expiry": "2026-11-30"}, htmx=True)
    assert response.status_code == 200
    async with db.reading() as session:
        assert (await session.scalars(select(tables.scans.c.expiry))).all() == [
            date(2026, 11, 30)]


async def test_loose_goods_keep_the_promise_typed_or_from_a_scale_label(
        db: Any, shop: Any, picker: Person) -> None:
    """A weighed perishable (no date in a scale label, none with a typed weight) asks for
    the date on the pack like a piece without one, and a stale one is refused; the weight
    is counted once, with the date kept on its scan."""
    from tests.integration.test_weights_http import bananas_order, scale_label

    async with db.writing() as session:
        await session.execute(update(tables.products).where(
            tables.products.c.sku == "bananas").values(ask_expiry=True, min_days_left=3))
        await session.commit()
    order_id, line = await bananas_order(db, shop, picker)
    weight = f"/pick/{order_id}/lines/{line}/weight"
    asked = await picker.post(weight, {"weight": "0,6"}, htmx=True)
    text = html.unescape(asked.text)
    assert asked.status_code == 422 and "type the date on the pack (at least 3 days" in text
    assert f'action="{weight}"' in text and 'name="expiry"' in text
    assert 'name="weight" value="0,6"' in text  # the same weight goes again with the date
    stale = await picker.post(weight, {"weight": "0,6", "expiry": "2026-11-23"}, htmx=True)
    assert stale.status_code == 422 and SAY.format(n=3) in html.unescape(stale.text)
    fresh = await picker.post(weight, {"weight": "0,6", "expiry": "2026-11-30"}, htmx=True)
    assert fresh.status_code == 200, fresh.text[:300]
    label = await picker.scan(order_id, scale_label(400))  # a label: no date either
    assert label.status_code == 422
    assert "type the date on the pack" in html.unescape(label.text)
    dated = await picker.post(f"/pick/{order_id}/scan",
                              {"code": scale_label(400), "expiry": "2026-12-01"}, htmx=True)
    assert dated.status_code == 200, dated.text[:300]
    async with db.reading() as session:
        rows = (await session.execute(select(tables.scans.c.quantity, tables.scans.c.expiry)
                                      .order_by(tables.scans.c.id))).all()
    assert [tuple(r) for r in rows] == [(600, date(2026, 11, 30)), (400, date(2026, 12, 1))]
