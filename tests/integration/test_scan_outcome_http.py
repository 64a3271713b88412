"""What a phone replaying its offline queue relies on: every answer to a picker action says
whether it was accepted or refused, and a queued scan keeps the moment it was made (within
bounds), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.db import tables
from app.web.forms import scanned_at_from
from tests.integration.test_picker_http import order_with, picked
from tests.support.people import Person
from tests.support.shop import MILK, NOT_IN_ANY_ORDER, NOW


def ms(moment: Any) -> str:
    return str(int(moment.timestamp() * 1000))


async def scan_times(db: Any) -> list[Any]:
    async with db.reading() as session:
        return list(await session.scalars(select(tables.scans.c.scanned_at)
                                          .order_by(tables.scans.c.id)))


async def test_every_answer_to_a_picker_action_says_accepted_or_refused(
        db: Any, shop: Any, picker: Person) -> None:
    order_id = await order_with(db, shop, {"milk": 1, "bread": 1})
    await picker.take_next()
    async with db.reading() as session:
        bread_line = await session.scalar(
            select(tables.order_lines.c.id).join(tables.products).where(
                tables.order_lines.c.order_id == order_id, tables.products.c.sku == "bread"))
    answers = [
        (await picker.scan(order_id, MILK, scan_id="offline-0001"), "accepted"),
        (await picker.scan(order_id, MILK, scan_id="offline-0001"), "accepted"),  # a replay
        (await picker.scan(order_id, MILK, scan_id="offline-0002"), "refused"),   # over-pick
        (await picker.scan(order_id, NOT_IN_ANY_ORDER), "refused"),
        (await picker.post(f"/pick/{order_id}/undo", {"scan_id": "offline-0003"}, htmx=True),
         "accepted"),
        (await picker.post(f"/pick/{order_id}/lines/{bread_line}/short",
                           {"reason": "not_found"}, htmx=True), "accepted"),
        (await picker.post(f"/pick/{order_id}/lines/{bread_line}/short",
                           {"reason": "no-such-reason"}, htmx=True), "refused"),
        (await picker.scan(order_id, MILK, htmx=False), "accepted"),  # a plain form post
    ]
    for response, outcome in answers:
        assert response.headers.get("x-scan-outcome") == outcome, response.text[:300]
        assert response.status_code < 500
    assert (await picked(db, order_id))["milk"] == (1, "picked")


async def test_a_queued_scan_keeps_its_own_moment_within_bounds(
        db: Any, shop: Any, picker: Person) -> None:
    order_id = await order_with(db, shop, {"milk": 3})
    await picker.take_next()
    made = NOW - timedelta(minutes=7)
    for scan_id, moment in (("offline-0001", made), ("offline-0002", NOW + timedelta(hours=3)),
                            ("offline-0003", NOW - timedelta(days=3))):
        response = await picker.post(f"/pick/{order_id}/scan", {
            "code": MILK, "scan_id": scan_id, "scanned_at": ms(moment)}, htmx=True)
        assert response.headers["x-scan-outcome"] == "accepted", response.text[:300]
    assert await scan_times(db) == [made, NOW, NOW]  # the two out of bounds: the server's time


def test_scanned_at_is_parsed_and_clamped() -> None:
    assert scanned_at_from({}, NOW) == (NOW, False)
    assert scanned_at_from({"scanned_at": ms(NOW - timedelta(hours=2))}, NOW) == (
        NOW - timedelta(hours=2), False)
    assert scanned_at_from({"scanned_at": ms(NOW + timedelta(minutes=1))}, NOW) == (
        NOW + timedelta(minutes=1), False)
    assert scanned_at_from({"scanned_at": ms(NOW + timedelta(minutes=5))}, NOW) == (NOW, True)
    assert scanned_at_from({"scanned_at": ms(NOW - timedelta(hours=25))}, NOW) == (NOW, True)
    for junk in ("soon", "1e12", "-", "9" * 30):
        assert scanned_at_from({"scanned_at": junk}, NOW) == (NOW, True)


async def test_a_scan_that_leaves_its_line_open_answers_with_that_line_only(
        db: Any, shop: Any, picker: Person) -> None:
    """The hot path's answer: while a line still wants units, an accepted scan sends the
    feedback and that line's quantities out of band, not its actions nor the whole pick
    list; the scan that finishes the line sends the list (the line folds away, the next
    one moves up)."""
    order_id = await order_with(db, shop, {"milk": 2, "bread": 1})
    await picker.take_next()
    first = await picker.scan(order_id, MILK)
    assert first.headers["x-scan-outcome"] == "accepted"
    assert 'id="pick-lines"' not in first.text and 'id="pick-progress"' not in first.text
    assert 'class="line__body"' not in first.text and "Missing…" not in first.text
    body = first.text.split('class="line__qty"', 1)[1]
    assert 'hx-swap-oob="true"' in body.split(">", 1)[0]
    assert "<strong>1</strong> / 2" in " ".join(body.split())
    assert 'id="scan-feedback"' in first.text
    last = await picker.scan(order_id, MILK)
    assert 'id="pick-lines"' in last.text and 'id="pick-progress"' in last.text
    assert (await picked(db, order_id))["milk"] == (2, "picked")
