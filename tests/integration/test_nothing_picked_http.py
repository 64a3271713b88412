"""An order of which nothing was found: finished, but never sent to packing as if it had
goods, and never shown to anyone as "picked" or "ready". SQLite and PostgreSQL."""

from __future__ import annotations

import html
from typing import Any

from sqlalchemy import select

from app.db import tables
from tests.integration.test_substitution_http import line_of
from tests.support.handover import customer_link, outbox_events, picked_order
from tests.support.people import Person, unwrapped
from tests.support.shop import add_order


async def _finished_with_nothing(db: Any, shop: Any, picker: Person) -> int:
    async with db.writing() as session:
        await add_order(session, shop, {"water": 2, "milk": 1}, oms_id="EMPTY-1")
    order_id = await picker.take_next()
    for sku in ("water", "milk"):
        answer = await picker.post(f"/pick/{order_id}/lines/{await line_of(db, order_id, sku)}"
                                   "/short", {"reason": "not_found"})
        assert answer.status_code in (200, 303), answer.text[:300]
    finished = await picker.post(f"/pick/{order_id}/finish")
    assert finished.status_code in (302, 303), finished.text[:300]
    return order_id


async def test_nothing_found_is_finished_but_not_called_picked_nor_sent_to_packing(
        db: Any, shop: Any, client: Any, picker: Person) -> None:
    full = await picked_order(db, shop, {"bread": 1}, oms_id="FULL-1")  # the control
    order_id = await _finished_with_nothing(db, shop, picker)

    summary = html.unescape((await picker.get(f"/pick/{order_id}/summary")).text)
    assert 'Order <span class="nowrap">EMPTY-1</span> is finished: nothing was picked.' in summary
    assert "is picked." not in summary and f'href="/pack/{order_id}"' not in summary
    assert "Pack this order" in (await picker.get(f"/pick/{full}/summary")).text

    desk = html.unescape((await picker.get("/pack/")).text)
    to_pack, _sep, apart = desk.partition("data-nothing-picked")
    assert f'href="/pack/{full}"' in to_pack and "EMPTY-1" not in to_pack
    assert "EMPTY-1" in apart.split("</ul>")[0]

    page = await picker.get(f"/pack/{order_id}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Nothing of order EMPTY-1 was picked: there is nothing to pack." in unwrapped(text)
    assert '<span class="nowrap">EMPTY-1</span>' in text  # never split at its hyphen
    assert f'action="/pack/{order_id}"' not in text  # no form that would pack it

    forced = await picker.post(f"/pack/{order_id}", {"bags_ambient": "1",
                                                     "place_ambient": "Shelf 1"})
    assert forced.status_code == 409
    async with db.reading() as session:
        status = await session.scalar(select(tables.orders.c.status).where(
            tables.orders.c.id == order_id))
    assert status == "picked"
    assert "OrderPacked" not in await outbox_events(db, order_id)
    assert "OrderPicked" in await outbox_events(db, order_id)  # the OMS has the result


async def test_the_customer_is_not_told_their_empty_order_is_ready(
        db: Any, shop: Any, client: Any, picker: Person) -> None:
    order_id = await _finished_with_nothing(db, shop, picker)
    link = await customer_link(db, order_id)
    for lang, says, never in (("en", "None of your items could be picked", ">Ready<"),
                              ("ru", "Ни один товар из заказа не удалось собрать", ">Готов<")):
        page = html.unescape((await client.get(f"{link}?lang={lang}")).text)
        assert says in page and never not in page, lang


async def test_after_picking_the_customer_is_not_promised_questions_that_will_not_come(
        db: Any, shop: Any, client: Any) -> None:
    """A picked order's link said "If something is missing, we will ask you here"."""
    order_id = await picked_order(db, shop, {"bread": 1}, oms_id="DONE-1")
    link = await customer_link(db, order_id)
    page = html.unescape((await client.get(f"{link}?lang=en")).text)
    assert "Picking is finished: nothing more to decide." in page
    assert "we will ask you here" not in page

