"""The customer link on both engines: timeouts, the race with a decision, and
that the link gives nothing away and changes nothing it should not."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from app.db import tables
from app.db.tables_substitutions import substitution_proposals
from app.db.uow import UnitOfWork
from app.services import picking
from app.services import substitutions as service
from picking.substitution import ProposalClosed
from tests.integration.test_concurrency import staff
from tests.integration.test_substitution_http import (
    Customer,
    offer,
    outbox,
    short_order,
)
from tests.support.shop import NOW, add_order, kefir_unit

WINDOW = timedelta(minutes=10)


async def offered(db: Any, shop: Any, picker: Any, phone: Any) -> tuple[int, Customer, str]:
    order_id, milk = await short_order(db, shop, picker, {"milk": 1}, "milk")
    assert (await offer(picker, order_id, milk, kefir_unit())).status_code == 303
    (proposed,) = await outbox(db, order_id, "SubstitutionProposed")
    customer = Customer(phone, proposed["customer_url"])
    await customer.open()
    return order_id, customer, proposed["proposal"]


async def statuses(db: Any) -> list[str]:
    async with db.reading() as session:
        return list(await session.scalars(select(substitution_proposals.c.status)))


async def outbox_count(db: Any) -> int:
    async with db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(tables.outbox)))


async def test_when_nobody_answers_the_window_closes_with_a_refund_and_late_answers_fail(
        db: Any, shop: Any, picker: Any, phone: Any, clock: Any) -> None:
    order_id, customer, ref = await offered(db, shop, picker, phone)
    clock.now = NOW + WINDOW
    assert await service.expire_due(lambda: UnitOfWork(db), clock.now) == 1
    (decided,) = await outbox(db, order_id, "SubstitutionDecided")
    assert (decided["outcome"], decided["decided_by"]) == ("timed_out", "timeout")
    late = await customer.answer(ref, "approve")
    assert late.status_code == 409 and await statuses(db) == ["timed_out"]


async def test_a_late_answer_records_the_timeout_even_without_the_expiry_task(
        db: Any, shop: Any, picker: Any, phone: Any, clock: Any) -> None:
    order_id, customer, ref = await offered(db, shop, picker, phone)
    clock.now = NOW + WINDOW + timedelta(seconds=1)
    assert (await customer.answer(ref, "approve")).status_code == 409
    (decided,) = await outbox(db, order_id, "SubstitutionDecided")
    assert decided["decided_by"] == "timeout"


async def test_a_decision_racing_the_timeout_has_exactly_one_recorded_outcome(
        db: Any, shop: Any, picker: Any, phone: Any) -> None:
    order_id, customer, ref = await offered(db, shop, picker, phone)
    token = customer.path.rsplit("/", 1)[-1]
    deadline = NOW + WINDOW
    results = await asyncio.gather(
        service.decide(UnitOfWork(db), token, ref, approve=True,
                       now=deadline - timedelta(milliseconds=1)),
        service.expire_due(lambda: UnitOfWork(db), deadline), return_exceptions=True)
    decided = await outbox(db, order_id, "SubstitutionDecided")
    assert len(decided) == 1, results
    assert await statuses(db) == [decided[0]["outcome"]]
    if decided[0]["outcome"] == "approved":
        assert results[1] == 0
    else:
        assert isinstance(results[0], ProposalClosed)


async def test_get_never_changes_anything_even_after_the_window(
        db: Any, shop: Any, picker: Any, phone: Any, clock: Any) -> None:
    _, customer, _ = await offered(db, shop, picker, phone)
    before = await outbox_count(db)
    clock.now = NOW + WINDOW * 2
    page = await customer.open()
    assert page.status_code == 200 and 'data-status="timed_out"' in page.text
    assert await statuses(db) == ["proposed"] and await outbox_count(db) == before


async def test_a_post_without_the_csrf_token_is_refused(
        db: Any, shop: Any, picker: Any, phone: Any) -> None:
    _, customer, ref = await offered(db, shop, picker, phone)
    refused = await customer.answer(ref, "approve", csrf=False)
    assert refused.status_code == 403 and await statuses(db) == ["proposed"]


async def test_forged_and_unknown_links_get_the_same_friendly_404(
        db: Any, shop: Any, picker: Any, phone: Any) -> None:
    _, customer, _ = await offered(db, shop, picker, phone)
    real = customer.path.rsplit("/", 1)[-1]
    forged = real[:-1] + ("A" if real[-1] != "A" else "B")
    answers = [await phone.get(f"/c/{t}") for t in (forged, "short", "x" * 43)]
    assert {a.status_code for a in answers} == {404}
    assert len({re.sub(r'data-feedback-id="[^"]*"', "", a.text.split("<main", 1)[1])
                for a in answers}) == 1
    assert "Milk" not in answers[0].text and "Молоко" not in answers[0].text


async def test_one_orders_link_cannot_touch_another_orders_substitute(
        db: Any, shop: Any, picker: Any, phone: Any) -> None:
    _, mine, _ = await offered(db, shop, picker, phone)
    async with db.writing() as session:  # a second order, offered by a second picker
        other_id = await add_order(session, shop, {"milk": 1})
    second = staff(shop, "picker2")
    await picking.take_next_order(UnitOfWork(db), second, NOW)
    await picker_short(db, second, other_id)
    theirs = await service.propose(UnitOfWork(db), second, other_id, await milk_line(db, other_id),
                                   kefir_unit("SUB0002"), now=NOW, window_minutes=10, base_url="http://x")
    refused = await mine.answer(theirs.proposal.ref, "approve")
    assert refused.status_code == 404 and "Kefir" not in refused.text
    assert sorted(await statuses(db)) == ["proposed", "proposed"]


async def picker_short(db: Any, who: Any, order_id: int) -> None:
    await picking.short_line(UnitOfWork(db), who, order_id, await milk_line(db, order_id),
                             "out_of_stock", NOW)


async def milk_line(db: Any, order_id: int) -> int:
    async with db.reading() as session:
        return int(await session.scalar(select(tables.order_lines.c.id)
                                        .where(tables.order_lines.c.order_id == order_id)))


async def test_the_link_expires_once_the_order_is_handed_over(
        db: Any, shop: Any, picker: Any, phone: Any) -> None:
    order_id, customer, ref = await offered(db, shop, picker, phone)
    async with db.writing() as session:
        await session.execute(update(tables.orders).where(tables.orders.c.id == order_id)
                              .values(status="handed_over"))
        await session.commit()
    page = await customer.open()
    assert page.status_code == 410 and "Kefir" not in page.text
    assert (await customer.answer(ref, "approve")).status_code == 410
    assert await statuses(db) == ["proposed"]


async def test_hammering_the_link_is_rate_limited_with_a_friendly_page(
        db: Any, shop: Any, picker: Any, phone: Any) -> None:
    _, customer, _ = await offered(db, shop, picker, phone)
    codes = [(await phone.get(customer.path)).status_code for _ in range(40)]
    assert codes[0] == 200 and codes[-1] == 429
    limited = await phone.get(customer.path)
    assert "Too many requests" in limited.text or "Слишком много" in limited.text
