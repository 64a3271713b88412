"""Issue 15 over HTTP, on SQLite and PostgreSQL: the out-of-stock loop (an empty
shelf tells the OMS, marks the product likely out, shows it to other pickers and
the board, and lets other customers choose a substitute in advance) and late
finds (a scan or a supervisor reopens a missing line; the OMS is corrected)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from app.db import tables
from app.db.tables_oos import likely_out
from tests.integration.test_substitution_http import Customer, line_of
from tests.support.people import Person, unwrapped
from tests.support.shop import MILK, add_order


async def signed_in(client: Any, key: str) -> Person:
    person = Person(client, key)
    response = await person.sign_in()
    assert response.status_code in (302, 303), response.text[:300]
    return person


async def outbox(db: Any, order_id: int, kind: str | None = None) -> list[dict[str, Any]]:
    o = tables.outbox.c
    async with db.reading() as session:
        rows = await session.execute(select(o.type, o.envelope).where(o.order_id == order_id)
                                     .order_by(o.sequence))
        found = []
        for kind_, envelope in rows.all():
            data = envelope if isinstance(envelope, dict) else json.loads(envelope)
            if kind is None or kind_ == kind:
                found.append({"type": kind_, **data})
        return found


async def marks(db: Any) -> list[tuple[int, str]]:
    async with db.reading() as session:
        rows = await session.execute(select(likely_out.c.product_id, likely_out.c.reason))
        return [(int(p), str(r)) for p, r in rows.all()]


async def test_an_empty_shelf_reaches_the_oms_other_pickers_customers_and_the_board(
        db: Any, shop: Any, client: Any, phone: Any) -> None:
    async with db.writing() as session:
        first = await add_order(session, shop, {"milk": 1, "bread": 1})
        other = await add_order(session, shop, {"milk": 2, "water": 1}, oms_id="T-OTHER")
        no_subs = await add_order(session, shop, {"milk": 1})
    async with db.writing() as session:
        await session.execute(tables.order_lines.update().where(
            tables.order_lines.c.order_id == no_subs).values(substitution="none"))
        await session.commit()
    picker = await signed_in(client, "picker")
    assert await picker.take_next() == first
    milk = await line_of(db, first, "milk")
    shorted = await picker.post(f"/pick/{first}/lines/{milk}/short", {"reason": "not_found"},
                                htmx=True)
    assert shorted.status_code == 200
    assert "likely out" in shorted.text
    (unavailable,) = await outbox(db, first, "ItemUnavailable")
    assert unavailable["payload"] == {"actor_id": shop.staff["picker"], "store": "MSK-001",
                                      "sku": "milk", "reason": "not_found"}
    assert await marks(db) == [(shop.products["milk"], "not_found")]
    # the other order's customer gets a link to choose now; one who wants none does not
    (offered,) = await outbox(db, other, "SubstituteChoiceOffered")
    assert await outbox(db, no_subs, "SubstituteChoiceOffered") == []
    customer = Customer(phone, offered["payload"]["customer_url"])
    page = await customer.open()
    assert page.status_code == 200 and "Might be missing" in page.text
    assert 'value="kefir"' in page.text  # same category, in stock
    other_milk = await line_of(db, other, "milk")
    url = f"{customer.path}/lines/{other_milk}/choose"
    headers = {"HX-Request": "true", "x-csrftoken": customer.csrf}
    # bad choices: unknown product, one that may not replace milk, another order's line
    for bad, status in (("no-such-sku", 422), ("beer", 422), ("bananas", 422)):
        refused = await phone.post(url, data={"choice": bad}, headers=headers)
        assert refused.status_code == status, (bad, refused.text[:300])
    foreign = await phone.post(f"{customer.path}/lines/{milk}/choose",
                               data={"choice": "kefir"}, headers=headers)
    assert foreign.status_code == 404
    chosen = await phone.post(url, data={"choice": "kefir"}, headers=headers)
    assert chosen.status_code == 200 and 'data-chosen="kefir"' in chosen.text
    (advance,) = await outbox(db, other, "SubstituteChosenInAdvance")
    assert advance["payload"]["substitute_sku"] == "kefir"
    # the other order's picker sees it before walking there
    picker2 = await signed_in(client, "picker2")
    assert await picker2.take_next() == other
    pick_page = await picker2.get(f"/pick/{other}")
    assert 'data-likely-out="milk"' in pick_page.text
    assert 'data-advance-choice="kefir"' in pick_page.text
    assert "Kefir 1% 900 ml" in unwrapped(pick_page.text)
    # the board lists the product with the orders it affects (not the one already short)
    supervisor = await signed_in(client, "supervisor")
    board = (await supervisor.get("/board/")).text
    row = board[board.index('data-likely-out="milk"'):]
    row = row[:row.index("</tr>")]
    assert "T-OTHER" in row and f"/board/orders/{first}" not in row
    # a good scan of milk (on the other order) clears the mark
    picker2 = await signed_in(client, "picker2")
    assert (await picker2.scan(other, MILK)).status_code == 200
    assert await marks(db) == []
    assert 'data-likely-out="milk"' not in (await picker2.get(f"/pick/{other}")).text


async def test_a_damaged_item_is_not_an_empty_shelf(db: Any, shop: Any, client: Any) -> None:
    async with db.writing() as session:
        order_id = await add_order(session, shop, {"milk": 1})
    picker = await signed_in(client, "picker")
    await picker.take_next()
    milk = await line_of(db, order_id, "milk")
    await picker.post(f"/pick/{order_id}/lines/{milk}/short", {"reason": "damaged"}, htmx=True)
    assert await outbox(db, order_id, "ItemUnavailable") == []
    assert await marks(db) == []


async def test_a_late_find_by_scan_reopens_the_line_and_withdraws_the_offer(
        db: Any, shop: Any, client: Any) -> None:
    from tests.support.shop import kefir_unit

    async with db.writing() as session:
        order_id = await add_order(session, shop, {"milk": 2, "bread": 1})
    picker = await signed_in(client, "picker")
    await picker.take_next()
    assert (await picker.scan(order_id, MILK)).status_code == 200
    milk = await line_of(db, order_id, "milk")
    await picker.post(f"/pick/{order_id}/lines/{milk}/short", {"reason": "out_of_stock"},
                      htmx=True)
    offered = await picker.post(f"/pick/{order_id}/lines/{milk}/substitute",
                                {"code": kefir_unit()})
    assert offered.status_code in (302, 303), offered.text[:300]
    found = await picker.scan(order_id, MILK)
    assert found.status_code == 200 and 'data-feedback="ok"' in found.text, found.text[:600]
    async with db.reading() as session:
        ln = tables.order_lines.c
        state, picked, reason = (await session.execute(
            select(ln.state, ln.picked_quantity, ln.short_reason).where(ln.id == milk))).one()
        sp = tables.outbox.c  # noqa: F841 - the proposal's row below
        from app.db.tables_substitutions import substitution_proposals as proposals
        status, by = (await session.execute(select(
            proposals.c.status, proposals.c.decided_by).where(proposals.c.line_id == milk))).one()
    assert (state, picked, reason) == ("picked", 2, None)
    assert (status, by) == ("withdrawn", "late_find")
    (reopened,) = await outbox(db, order_id, "LineReopened")
    assert reopened["payload"]["by"] == "scan"
    assert reopened["payload"]["previous_reason"] == "out_of_stock"
    assert len(reopened["payload"]["withdrawn"]) == 1
    kinds = [e["type"] for e in await outbox(db, order_id)]
    assert kinds[-2:] == ["LineReopened", "ItemScanned"]
    assert await marks(db) == []  # the good scan cleared "likely out" too


async def test_a_supervisor_reopens_with_a_reason_and_not_after_the_finish(
        db: Any, shop: Any, client: Any) -> None:
    async with db.writing() as session:
        order_id = await add_order(session, shop, {"milk": 1})
    picker = await signed_in(client, "picker")
    await picker.take_next()
    milk = await line_of(db, order_id, "milk")
    await picker.post(f"/pick/{order_id}/lines/{milk}/short", {"reason": "not_found"},
                      htmx=True)
    supervisor = await signed_in(client, "supervisor")
    panel = await supervisor.get(f"/board/orders/{order_id}")
    assert "Reopen the line" in panel.text
    url = f"/board/orders/{order_id}/lines/{milk}/reopen"
    for bad in ("", "   ", "<b>x</b>" * 2000):
        refused = await supervisor.post(url, {"reason": bad}, htmx=True)
        assert refused.status_code == 422, refused.text[:200]
    assert [e["type"] for e in await outbox(db, order_id, "LineReopened")] == []
    done = await supervisor.post(url, {"reason": "<b>found</b> in the back room"}, htmx=True)
    assert done.status_code == 200 and "open again" in done.text
    assert "&lt;b&gt;found&lt;/b&gt; in the back room" in done.text  # shown, never as markup
    again = await supervisor.post(url, {"reason": "twice"}, htmx=True)
    assert again.status_code == 409
    # the picker marks it again and finishes: a reopen after the finish changes nothing
    picker = await signed_in(client, "picker")
    await picker.post(f"/pick/{order_id}/lines/{milk}/short", {"reason": "damaged"}, htmx=True)
    assert (await picker.post(f"/pick/{order_id}/finish")).status_code in (302, 303)
    supervisor = await signed_in(client, "supervisor")
    late = await supervisor.post(url, {"reason": "found it"}, htmx=True)
    assert late.status_code == 409
    async with db.reading() as session:
        state = await session.scalar(select(tables.order_lines.c.state)
                                     .where(tables.order_lines.c.id == milk))
    assert state == "short"
    (reopened,) = await outbox(db, order_id, "LineReopened")
    assert reopened["payload"]["by"] == "supervisor"
    assert reopened["payload"]["reason"] == "<b>found</b> in the back room"


# -- item 5: weight over the soft band becomes a question for the customer --------

async def test_a_heavier_weight_is_asked_and_the_customer_keeps_it(
        db: Any, shop: Any, client: Any, phone: Any) -> None:
    from tests.integration.test_weights_http import bananas, bananas_order, scale_label

    picker = await signed_in(client, "picker")
    order_id, line = await bananas_order(db, shop, picker)
    over = await picker.post(f"/pick/{order_id}/lines/{line}/weight", {"weight": "1,25"},
                             htmx=True)
    assert over.status_code == 422 and "data-ask-weight" in over.text
    ask = f"/pick/{order_id}/ask-weight"
    # bad input: no weight, junk, within the band, beyond the hard limit, another product
    for data, status in (({"line_id": str(line), "weight": ""}, 422),
                         ({"line_id": str(line), "weight": "abc"}, 422),
                         ({"line_id": "x", "weight": "1,25"}, 422),
                         ({"line_id": str(line), "weight": "1,05"}, 422),
                         ({"line_id": str(line), "weight": "1,5"}, 422),
                         ({"code": MILK}, 422)):
        refused = await picker.post(ask, data, htmx=True)
        assert refused.status_code == status, (data, refused.text[:300])
    assert await outbox(db, order_id, "WeightQuestionAsked") == []
    asked = await picker.post(ask, {"code": scale_label(1250)}, htmx=True)
    assert asked.status_code == 200 and "the customer is asked" in asked.text
    again = await picker.post(ask, {"line_id": str(line), "weight": "1,2"}, htmx=True)
    assert again.status_code == 422  # one question at a time
    (question,) = await outbox(db, order_id, "WeightQuestionAsked")
    assert question["payload"]["offered_g"] == 1250
    assert question["payload"]["extra_minor"] == 3248  # 0.25 kg at 129.90 a kg
    assert await bananas(db, order_id) == (0, "open", None)  # nothing counted yet
    customer = Customer(phone, question["payload"]["customer_url"])
    page = await customer.open()
    assert "Heavier than ordered: Bananas" in page.text
    spaced = page.text.replace("\xa0", " ").replace("\u202f", " ")
    assert "data-weight-question>1,250 kg, 32,48 ₽ more: keep it?</p>" in spaced
    kept = await customer.answer(question["payload"]["proposal"], "approve")
    assert kept.status_code == 200
    assert await bananas(db, order_id) == (1250, "picked", "customer")
    (decided,) = await outbox(db, order_id, "SubstitutionDecided")
    assert decided["payload"]["outcome"] == "approved"
    (recorded,) = await outbox(db, order_id, "WeightRecorded")
    assert recorded["payload"]["total_g"] == 1250 and recorded["payload"]["outside_soft_band"]


# -- item 8: the customer's fallback ---------------------------------------------

async def fallback_of(db: Any, oms_id: str) -> dict[str, str]:
    o, ln, p = tables.orders.c, tables.order_lines.c, tables.products.c
    async with db.reading() as session:
        rows = await session.execute(
            select(p.sku, ln.fallback).join(tables.order_lines, ln.product_id == p.id)
            .join(tables.orders, o.id == ln.order_id).where(o.oms_id == oms_id))
        return dict(rows.all())


async def test_the_oms_may_send_the_fallback_and_a_bad_one_is_refused(
        db: Any, client: Any, clock: Any) -> None:
    from tests.support.oms import OmsClient

    oms = OmsClient(client, clock)
    lines = [{"sku": "milk", "quantity": 1, "fallback": "best_match"},
             {"sku": "bread", "quantity": 1}]
    sent = await oms.send("PUT", oms.order_path("F-1"), {
        "version": 1, "due_at": "2026-11-22T11:00:00+03:00", "customer_name": "Анна",
        "customer_phone": "+79990000000", "lines": lines})
    assert sent.status_code == 200, sent.text
    assert await fallback_of(db, "F-1") == {"milk": "best_match", "bread": "refund"}
    bad = await oms.send("PUT", oms.order_path("F-2"), {
        "version": 1, "due_at": "2026-11-22T11:00:00+03:00", "customer_name": "Анна",
        "customer_phone": "+79990000000",
        "lines": [{"sku": "milk", "quantity": 1, "fallback": "keep"}]})
    assert bad.status_code == 422 and "fallback" in bad.text
    # a new version without the field keeps what the line has (the customer's choice)
    again = await oms.send("PUT", oms.order_path("F-1"), {
        "version": 2, "due_at": "2026-11-22T11:00:00+03:00", "customer_name": "Анна",
        "customer_phone": "+79990000000", "lines": [{"sku": "milk", "quantity": 2}]})
    assert again.status_code == 200, again.text
    assert await fallback_of(db, "F-1") == {"milk": "best_match"}


async def test_keep_the_best_match_chosen_on_the_link_applies_when_the_window_ends(
        db: Any, shop: Any, client: Any, phone: Any, clock: Any) -> None:
    from datetime import timedelta

    from app.db.uow import UnitOfWork
    from app.services.substitutions import expire_due
    from tests.integration.test_substitution_http import short_order
    from tests.support.shop import kefir_unit

    picker = await signed_in(client, "picker")
    order_id, milk = await short_order(db, shop, picker, {"milk": 1, "bread": 1}, "milk")
    offered = await picker.post(f"/pick/{order_id}/lines/{milk}/substitute",
                                {"code": kefir_unit()})
    assert offered.status_code in (302, 303), offered.text[:300]
    (proposed,) = await outbox(db, order_id, "SubstitutionProposed")
    customer = Customer(phone, proposed["payload"]["customer_url"])
    page = await customer.open()
    assert 'data-fallback="refund"' in page.text
    url = f"{customer.path}/lines/{milk}/fallback"
    headers = {"HX-Request": "true", "x-csrftoken": customer.csrf}
    refused = await phone.post(url, data={"fallback": "maybe", "where": "offers"},
                               headers=headers)
    assert refused.status_code == 422
    bread = await line_of(db, order_id, "bread")
    async with db.writing() as session:
        other = await add_order(session, shop, {"milk": 1})
    foreign = await phone.post(f"{customer.path}/lines/{await line_of(db, other, 'milk')}"
                               "/fallback", data={"fallback": "best_match"}, headers=headers)
    assert foreign.status_code == 404
    chosen = await phone.post(url, data={"fallback": "best_match", "where": "offers"},
                              headers=headers)
    assert chosen.status_code == 200 and 'data-fallback="best_match"' in chosen.text
    (event,) = await outbox(db, order_id, "FallbackChosen")
    assert event["payload"]["fallback"] == "best_match"
    assert bread  # the bread line keeps its own fallback
    assert await fallback_of(db, (await order_oms_id(db, order_id))) == {
        "milk": "best_match", "bread": "refund"}
    # the window ends unanswered: the offer is kept, at no more than the original price
    assert await expire_due(lambda: UnitOfWork(db), clock.now + timedelta(minutes=11)) == 1
    (decided,) = await outbox(db, order_id, "SubstitutionDecided")
    assert decided["payload"]["outcome"] == "approved"
    assert decided["payload"]["decided_by"] == "timeout"
    assert decided["payload"]["fallback"] == "best_match"
    assert decided["payload"]["charged_unit_price_minor"] == shop.prices["kefir"]  # cheaper
    clock.now += timedelta(minutes=11)
    assert "No answer in time: we kept the best match" in (await customer.open()).text


async def order_oms_id(db: Any, order_id: int) -> str:
    async with db.reading() as session:
        return str(await session.scalar(select(tables.orders.c.oms_id)
                                        .where(tables.orders.c.id == order_id)))


async def test_a_reopen_racing_a_finish_has_exactly_one_winner(db: Any, shop: Any) -> None:
    import asyncio

    from app.db.uow import UnitOfWork
    from app.services import oos
    from app.services import picking as picking_service
    from picking import errors
    from tests.support.handover import staff_user
    from tests.support.shop import NOW

    picker, supervisor = staff_user(shop, "picker"), staff_user(shop, "supervisor")
    for _ in range(3):  # a race that loses rarely must still be caught
        async with db.writing() as session:
            order_id = await add_order(session, shop, {"milk": 1})
        await picking_service.start_order(UnitOfWork(db), picker, order_id, NOW)
        milk = await line_of(db, order_id, "milk")
        await picking_service.short_line(UnitOfWork(db), picker, order_id, milk, "damaged", NOW)
        finished, reopened = await asyncio.gather(
            picking_service.finish_picking(UnitOfWork(db), picker, order_id, NOW),
            oos.reopen_line(UnitOfWork(db), supervisor, order_id, milk, "found it", NOW),
            return_exceptions=True)
        async with db.reading() as session:
            o, ln = tables.orders.c, tables.order_lines.c
            status = await session.scalar(select(o.status).where(o.id == order_id))
            state = await session.scalar(select(ln.state).where(ln.id == milk))
        if isinstance(reopened, errors.OrderNotPickable):  # the finish won
            assert not isinstance(finished, BaseException)
            assert (status, state) == ("picked", "short")
            assert await outbox(db, order_id, "LineReopened") == []
        else:  # the reopen won: the finish is refused, the line is open
            assert isinstance(finished, errors.LinesStillOpen), finished
            assert not isinstance(reopened, BaseException), reopened
            assert (status, state) == ("picking", "open")
            assert await outbox(db, order_id, "OrderPicked") == []
        if status == "picking":  # free the picker for the next round
            await picking_service.short_line(UnitOfWork(db), picker, order_id, milk,
                                             "damaged", NOW)
            await picking_service.finish_picking(UnitOfWork(db), picker, order_id, NOW)
