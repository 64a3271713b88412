"""The marking check at the shelf, against the fake national system over HTTP
(SQLite and PostgreSQL): each status, the fallback to the local module, the store's
policy when nobody answers, and what is kept on the scan and sent with ItemScanned."""

from __future__ import annotations

import html
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from app.db import tables
from app.factory import create_app
from app.settings import Settings
from tests.integration.conftest import Clock
from tests.support.marking import TOKEN, MarkingServer
from tests.support.people import Person
from tests.support.shop import KEFIR, NOW, add_order, marking_code

KEY = f"01{KEFIR.zfill(14)}21"


@pytest.fixture(scope="module")
def marking_server() -> Iterator[MarkingServer]:
    server = MarkingServer().start()
    yield server
    server.stop()


@pytest.fixture
def fake(marking_server: MarkingServer) -> Any:
    marking_server.fake.reset()
    return marking_server.fake


def settings_for(db_url: str, server: MarkingServer, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "development", "database_url": db_url, "run_relay": False,
        "marking_check_url": server.online_url, "marking_local_url": server.local_url,
        "marking_token": TOKEN, "marking_budget_seconds": 2.5, **changes}
    return Settings(**values)


async def signed_in(settings: Settings, key: str = "picker") -> AsyncIterator[Person]:
    app = create_app(settings, clock=Clock())
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        client.headers["accept-language"] = "en-GB,en;q=0.9"
        person = Person(client, key)
        assert (await person.sign_in()).status_code in (302, 303)
        yield person


@pytest.fixture
async def checked(db_url: str, shop: Any, marking_server: MarkingServer, fake: Any
                  ) -> AsyncIterator[Person]:
    async for person in signed_in(settings_for(db_url, marking_server)):
        yield person


async def new_order(db: Any, shop: Any, kefir: int = 1) -> int:
    async with db.writing() as session:
        return await add_order(session, shop, {"kefir": kefir})


async def kept_checks(db: Any) -> list[tuple[str | None, str | None, str | None, bool]]:
    s = tables.scans.c
    async with db.reading() as session:
        rows = await session.execute(select(
            s.marking_code, s.marking_status, s.marking_source, s.marking_recheck
        ).where(s.undone_at.is_(None)).order_by(s.id))
        return [(a, b, c, bool(d)) for a, b, c, d in rows.all()]


async def item_scanned(db: Any) -> list[dict[str, Any]]:
    out = tables.metadata.tables["outbox"].c
    async with db.reading() as session:
        rows = await session.scalars(select(out.envelope).where(out.type == "ItemScanned"))
        return [json.loads(e)["payload"] for e in rows.all()]


REFUSED = {
    "blocked": "This pack is blocked for sale: take another one.",
    "sold": "This pack's code is already sold: take another one.",
    "unknown": "The marking system does not know this pack's code: take another one.",
    "invalid": "This pack's code is damaged or not genuine: take another one.",
    "expired": "This pack is past its expiry date: take another one.",
    "not_owner": "This pack is not registered to our store: take another one",
}


async def test_each_refusal_is_said_at_the_shelf_and_a_good_pack_counts(
        db: Any, shop: Any, checked: Person, fake: Any) -> None:
    order_id = await new_order(db, shop)
    assert await checked.take_next() == order_id
    for status, sentence in REFUSED.items():
        fake.statuses[f"{KEY}{status.upper()[:6]}1"] = status
        response = await checked.scan(order_id, marking_code(KEFIR, f"{status.upper()[:6]}1"))
        assert response.status_code == 422, status
        text = html.unescape(response.text)
        assert 'data-feedback="error"' in text and sentence in text, status
    # the same blocked unit typed from the label (no GS): the same unit, from the cache
    typed = f"(01){KEFIR.zfill(14)}(21)BLOCKE1(93)AbCd"
    assert REFUSED["blocked"] in html.unescape((await checked.scan(order_id, typed)).text)
    assert await kept_checks(db) == []
    response = await checked.scan(order_id, marking_code(KEFIR, "GOOD01"))
    assert response.status_code == 200 and 'data-feedback="ok"' in response.text
    assert await kept_checks(db) == [(f"{KEY}GOOD01", "ok", "online", False)]
    [payload] = await item_scanned(db)
    assert payload["marking_check"] == {"status": "ok", "source": "online", "recheck": False,
                                        "expiry": "2026-12-22"}
    assert fake.requests["online"] == len(REFUSED) + 1 and fake.requests["local"] == 0


async def test_a_slow_national_system_gives_way_to_the_local_module_within_the_budget(
        db: Any, shop: Any, checked: Person, fake: Any) -> None:
    order_id = await new_order(db, shop, kefir=2)
    await checked.take_next()
    fake.modes["online"] = "slow"  # answers after 6 s: past the 2.5 s budget
    fake.statuses[f"{KEY}LOCBLK"] = "blocked"
    response = await checked.scan(order_id, marking_code(KEFIR, "LOCBLK"))
    assert response.status_code == 422 and REFUSED["blocked"] in response.text
    assert fake.requests["local"] == 1  # the budget ran out: the local module was asked
    # a good unit while the national system is slow: recorded as the local module's answer
    # (how long a scan waits is measured in benchmarks/marking.py, not asserted here)
    response = await checked.scan(order_id, marking_code(KEFIR, "LOCOK1"))
    assert response.status_code == 200
    assert await kept_checks(db) == [(f"{KEY}LOCOK1", "ok", "local", False)]
    fake.modes["online"] = "down"
    response = await checked.scan(order_id, marking_code(KEFIR, "LOCOK2"))
    assert response.status_code == 200
    assert await kept_checks(db) == [(f"{KEY}LOCOK1", "ok", "local", False),
                                      (f"{KEY}LOCOK2", "ok", "local", False)]
    assert fake.requests["local"] == 3


@pytest.mark.parametrize("mode", ["garbage", "nonsense", "error"])
async def test_a_garbled_or_error_answer_is_no_answer_and_the_local_module_decides(
        db: Any, shop: Any, checked: Person, fake: Any, mode: str) -> None:
    order_id = await new_order(db, shop)
    await checked.take_next()
    fake.modes["online"] = mode
    response = await checked.scan(order_id, marking_code(KEFIR, "GARB01"))
    assert response.status_code == 200
    assert await kept_checks(db) == [(f"{KEY}GARB01", "ok", "local", False)]


async def test_with_no_answer_the_allowing_store_flags_the_pack_for_recheck(
        db: Any, shop: Any, checked: Person, fake: Any) -> None:
    order_id = await new_order(db, shop)
    await checked.take_next()
    fake.modes.update(online="down", local="down")
    response = await checked.scan(order_id, marking_code(KEFIR, "NOANS1"))
    assert response.status_code == 200
    assert await kept_checks(db) == [(f"{KEY}NOANS1", "unanswered", "policy", True)]
    [payload] = await item_scanned(db)
    assert payload["marking_check"]["recheck"] is True


async def test_with_no_answer_the_refusing_store_refuses_and_counts_nothing(
        db_url: str, db: Any, shop: Any, marking_server: MarkingServer, fake: Any) -> None:
    order_id = await new_order(db, shop)
    fake.modes.update(online="down", local="slow")
    async for picker in signed_in(settings_for(db_url, marking_server,
                                               marking_policy="refuse")):
        await picker.take_next()
        response = await picker.scan(order_id, marking_code(KEFIR, "NOANS2"))
        assert response.status_code == 422
        assert "The marking check did not answer" in response.text
    assert await kept_checks(db) == []


async def test_with_no_checker_configured_packs_count_unchecked_and_the_board_says_off(
        db_url: str, db: Any, shop: Any) -> None:
    order_id = await new_order(db, shop)
    settings = Settings(environment="development", database_url=db_url, run_relay=False)
    async for picker in signed_in(settings):
        await picker.take_next()
        assert (await picker.scan(order_id, marking_code(KEFIR, "OFF001"))).status_code == 200
    assert await kept_checks(db) == [(f"{KEY}OFF001", None, None, False)]
    [payload] = await item_scanned(db)
    assert payload["marking_check"] is None


# -- the re-check before handover ------------------------------------------------

async def test_a_pack_blocked_between_shelf_and_door_is_taken_off_at_handover(
        db: Any, shop: Any, marking_server: MarkingServer, fake: Any) -> None:
    from app.db.uow import UnitOfWork
    from app.marking import HttpMarkingChecker, recheck_order
    from app.services import handover as handover_service
    from app.services import picking as picking_service
    from picking import errors
    from picking.bags import BagCode
    from tests.support.handover import outbox_payload, staff_user
    from tests.support.shop import BEER

    checker = HttpMarkingChecker(marking_server.online_url, marking_server.local_url, TOKEN,
                                 budget_seconds=2.5)
    picker, courier = staff_user(shop, "picker"), staff_user(shop, "courier")
    async with db.writing() as session:
        order_id = await add_order(session, shop, {"beer": 2}, oms_id="D-MRK")
    await picking_service.start_order(UnitOfWork(db), picker, order_id, NOW)
    fake.modes.update(online="down", local="down")  # the first unit: nobody answers
    beer = [marking_code(BEER, f"BEER0{n}") for n in (1, 2)]
    for n, code in enumerate(beer):
        await picking_service.scan(UnitOfWork(db), picker, order_id, code, scan_id=f"b{n}",
                                   now=NOW, marking=checker)
        fake.modes.update(online="normal", local="normal")
    assert [c[1:] for c in await kept_checks(db)] == [
        ("unanswered", "policy", True), ("ok", "online", False)]
    await picking_service.finish_picking(UnitOfWork(db), picker, order_id, NOW)
    await handover_service.pack_order(UnitOfWork(db), picker, order_id, {"ambient": 1},
                                      {"ambient": "A"}, NOW)
    await handover_service.scan_bag(UnitOfWork(db), courier,
                                    BagCode("D-MRK", 1, 1, "ambient").text(), NOW)
    beer_key = f"01{BEER.zfill(14)}21BEER02"
    fake.statuses[beer_key] = "blocked"  # blocked after it was picked (and cached as ok)
    recheck = await recheck_order(db, checker, order_id, NOW)
    assert recheck is not None and recheck[beer_key].status == "blocked"
    with pytest.raises(errors.MarkedUnitsWithdrawn) as caught:
        await handover_service.take_order(UnitOfWork(db), courier, order_id, NOW,
                                          recheck=recheck)
    assert [u["serial"] for u in caught.value.units] == ["BEER02"]
    # the flagged unit was confirmed, the blocked one left the order: the line is short
    assert [c[1:] for c in await kept_checks(db)] == [("ok", "online", False)]
    shorted = await outbox_payload(db, order_id, "LineShorted")
    assert (shorted["picked"], shorted["missing"], shorted["reason"]) == (1, 1, "marking_blocked")
    again = await recheck_order(db, checker, order_id, NOW)
    order = await handover_service.take_order(UnitOfWork(db), courier, order_id, NOW,
                                              recheck=again)
    await checker.close()
    assert order.status == "handed_over"


async def test_the_board_says_whether_the_marking_check_is_on(
        db_url: str, shop: Any, marking_server: MarkingServer) -> None:
    off = Settings(environment="development", database_url=db_url, run_relay=False)
    async for supervisor in signed_in(off, "supervisor"):
        text = html.unescape((await supervisor.get("/board/")).text)
        assert 'data-marking="off"' in text and "Marking check: off" in text
    on = settings_for(db_url, marking_server, marking_policy="refuse")
    async for supervisor in signed_in(on, "supervisor"):
        text = html.unescape((await supervisor.get("/board/")).text)
        assert 'data-marking="on"' in text
        assert ("Marking check: on (national system, then the store's local module; with no "
                "answer, packs are refused).") in text


async def test_the_marking_checks_expiry_date_keeps_the_freshness_promise(
        db: Any, shop: Any, checked: Person, fake: Any) -> None:
    from sqlalchemy import update

    order_id = await new_order(db, shop, kefir=1)
    async with db.writing() as session:  # the OMS promised 40 days; the fake says 30 left
        await session.execute(update(tables.order_lines).where(
            tables.order_lines.c.order_id == order_id).values(min_days_left=40))
        await session.commit()
    await checked.take_next()
    response = await checked.scan(order_id, marking_code(KEFIR, "OLD001"))
    assert response.status_code == 422
    assert "pick a fresher one, with at least 40." in html.unescape(response.text)


async def test_a_blocked_pack_offered_as_a_substitute_is_refused_at_the_shelf(
        db: Any, shop: Any, checked: Person, fake: Any) -> None:
    """The substitute's unit is a scan of a marked unit too: checked before it is offered,
    so the customer is never asked about a pack the register would refuse at the door."""
    from tests.integration.test_substitution_http import offer, short_order
    from tests.support.shop import kefir_unit

    order_id, milk = await short_order(db, shop, checked, {"milk": 1}, "milk")
    fake.statuses[f"{KEY}BLOCKS1"] = "blocked"
    refused = await offer(checked, order_id, milk, kefir_unit("BLOCKS1"))
    assert refused.status_code == 422
    assert REFUSED["blocked"] in html.unescape(refused.text)
    async with db.reading() as session:
        assert (await session.scalar(select(func.count()).select_from(
            tables.metadata.tables["substitution_proposals"]))) == 0
    assert (await offer(checked, order_id, milk, kefir_unit("GOODS1"))).status_code == 303
    assert fake.requests["online"] == 2
