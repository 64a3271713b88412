"""A run through HTTP, as the phone sends it: print totes, take a run, bind, scan,
put (a wrong tote refused loudly), finish one order, sign out mid-run."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.db import tables
from tests.support.people import Person, unwrapped
from tests.support.shop import MILK, WATER_UPC, add_order

_TOTE = re.compile(r'data-tote="([^"]+)"')


async def test_a_picker_runs_two_orders_through_the_run_page(
        client: Any, picker: Person, db: Any, shop: Any) -> None:
    async with db.writing() as session:
        a = await add_order(session, shop, {"milk": 1}, due_in=timedelta(minutes=30))
        b = await add_order(session, shop, {"milk": 1, "water": 1}, due_in=timedelta(minutes=40))
    labels = await picker.post("/pick/runs/totes/print", {"count": "4"})
    assert labels.status_code == 200 and "<svg" in labels.text
    codes = _TOTE.findall(labels.text)
    assert len(codes) == 4
    taken = await picker.post("/pick/runs/next")
    assert taken.status_code in (302, 303)
    url = taken.headers["location"]
    page = await picker.get(url)
    assert "Scan an empty tote for order A, chilled." in page.text
    bad = await picker.post(f"{url}/scan", {"code": "SPT.MSK-001.00001.0"}, htmx=True)
    assert bad.status_code == 422 and "damaged" in bad.text
    for code in codes[:3]:  # A chilled, B ambient, B chilled
        bound = await picker.post(f"{url}/scan", {"code": code}, htmx=True)
        assert bound.status_code == 200, bound.text[:300]
    early = await picker.post(f"{url}/scan", {"code": codes[3]}, htmx=True)
    assert early.status_code == 422 and "Scan the item first, then its tote." in early.text
    scanned = await picker.post(f"{url}/scan", {"code": MILK, "scan_id": "h-0001"}, htmx=True)
    assert scanned.status_code == 200
    assert "tote A, chilled (T-00001). Scan the tote." in unwrapped(scanned.text)
    assert scanned.headers["x-scan-outcome"] == "accepted"
    wrong = await picker.post(f"{url}/scan", {"code": codes[2], "scan_id": "h-0002"}, htmx=True)
    assert wrong.status_code == 422 and "WRONG TOTE!" in wrong.text
    assert wrong.headers["x-scan-outcome"] == "refused"
    put = await picker.post(f"{url}/scan", {"code": codes[0], "scan_id": "h-0003"}, htmx=True)
    assert put.status_code == 200 and "In tote A, chilled" in put.text
    finished = await picker.post(f"{url}/orders/{a}/finish", htmx=True)
    assert finished.status_code == 200 and "Order finished." in finished.text
    water = await picker.post(f"{url}/scan", {"code": WATER_UPC, "scan_id": "h-0004"}, htmx=True)
    assert "tote B, ambient (T-00002)" in unwrapped(water.text)
    queue = await picker.get("/pick/")
    assert "Continue my run" in queue.text
    await picker.post("/logout")  # mid-run: B goes back to the queue
    async with db.reading() as session:
        statuses = dict((await session.execute(
            select(tables.orders.c.id, tables.orders.c.status))).all())
    assert statuses == {a: "picked", b: "queued"}


async def test_a_run_page_of_another_picker_is_not_shown(
        client: Any, picker: Person, db: Any, shop: Any) -> None:
    async with db.writing() as session:
        await add_order(session, shop, {"milk": 1})
    taken = await picker.post("/pick/runs/next")
    url = taken.headers["location"]
    other = Person(client, "picker2")
    await picker.post("/logout")
    await other.sign_in()
    page = await other.get(url)
    assert page.status_code == 404


async def test_the_run_pages_speak_one_language(
        client: Any, picker: Person, db: Any, shop: Any) -> None:
    from tests.integration.test_language_leaks import data_for
    from tests.support.language import leaks

    async with db.writing() as session:
        await add_order(session, shop, {"milk": 1, "water": 1}, oms_id="L-PICK")
        await add_order(session, shop, {"pizza": 1}, oms_id="L-QUEUE")
    labels = await picker.post("/pick/runs/totes/print", {"count": "2"})
    codes = _TOTE.findall(labels.text)
    url = (await picker.post("/pick/runs/next")).headers["location"]
    await picker.post(f"{url}/scan", {"code": codes[0]})
    found = {}
    for language in ("ru", "en"):
        await picker.post("/me/language", {"language": language, "next": "/"})
        for page in (await picker.get(url), await picker.get("/pick/"),
                     await picker.post("/pick/runs/totes/print", {"count": "1"}),
                     await picker.post(f"{url}/scan", {"code": MILK})):
            data = [*data_for(language), "T-00001", "T-00002", "T-00003", "A", "B"]
            words = leaks(page.text, language, data)
            if words:
                found[f"{language} {page.url}"] = words
    assert found == {}


async def test_the_supervisor_builds_a_run_sees_it_and_takes_an_order_out(
        client: Any, db: Any, shop: Any) -> None:
    from tests.integration.test_language_leaks import data_for
    from tests.support.language import leaks

    async with db.writing() as session:
        a = await add_order(session, shop, {"milk": 1}, oms_id="L-PICK")
        b = await add_order(session, shop, {"water": 1}, oms_id="L-QUEUE")
    boss = Person(client, "supervisor")
    await boss.sign_in()
    empty = await boss.post("/board/runs/", {"picker_id": str(shop.staff["picker"])})
    assert empty.status_code == 422
    built = await boss.post("/board/runs/", {"picker_id": str(shop.staff["picker"]),
                                             "order_id": [str(a), str(b)]})
    assert built.status_code == 200 and "Run built." in built.text
    assert f'data-order-id="{a}" data-letter="A"' in built.text
    assert f'data-order-id="{b}" data-letter="B"' in built.text
    run_id = int(re.search(r'data-run-id="(\d+)"', built.text).group(1))  # type: ignore[union-attr]
    out = await boss.post(f"/board/runs/{run_id}/orders/{b}/remove")
    assert out.status_code == 200 and "Order taken out of the run." in out.text
    async with db.reading() as session:
        statuses = dict((await session.execute(
            select(tables.orders.c.id, tables.orders.c.status))).all())
    assert statuses == {a: "picking", b: "queued"}
    for language in ("ru", "en"):
        await boss.post("/me/language", {"language": language, "next": "/"})
        page = await boss.get("/board/runs/")
        assert page.status_code == 200
        assert leaks(page.text, language, [*data_for(language), "A", "B"]) == []
    picker = Person(client, "picker")
    await picker.sign_in()
    queue = await picker.get("/pick/")
    assert f"/pick/runs/{run_id}" in queue.text  # the picker finds the run built for them


async def test_the_store_sets_orders_per_run_and_its_own_tote_barcodes(
        client: Any, db: Any, shop: Any) -> None:
    async with db.writing() as session:
        for minutes in (30, 31, 32):
            await add_order(session, shop, {"milk": 1}, due_in=timedelta(minutes=minutes))
    boss = Person(client, "supervisor")
    await boss.sign_in()
    for bad, words in (({"max_orders": "9", "window": "60"}, "from 1 to 8"),
                       ({"max_orders": "2", "window": "soon"}, "from 0 to 720"),
                       ({"max_orders": "2", "window": "60", "own_prefix": "SPT"}, "not SPT")):
        refused = await boss.post("/board/runs/settings", bad)
        assert refused.status_code == 422 and words in refused.text
    saved = await boss.post("/board/runs/settings", {"max_orders": "2", "window": "60",
                                                     "own_prefix": "krt"})
    assert saved.status_code == 200 and "Run settings saved." in saved.text
    await boss.post("/logout")
    picker = Person(client, "picker")
    await picker.sign_in()
    url = (await picker.post("/pick/runs/next")).headers["location"]
    page = await picker.get(url)
    assert page.text.count('class="run-order ') == 2
    bound = await picker.post(f"{url}/scan", {"code": "KRT-0042"}, htmx=True)
    assert bound.status_code == 200 and "Tote KRT-0042 is order A, chilled." in unwrapped(
        bound.text)


async def test_an_order_of_a_run_cannot_be_finished_on_its_own_page_before_its_puts(
        client: Any, picker: Person, db: Any, shop: Any) -> None:
    async with db.writing() as session:
        a = await add_order(session, shop, {"milk": 1})
    codes = _TOTE.findall((await picker.post("/pick/runs/totes/print", {"count": "1"})).text)
    url = (await picker.post("/pick/runs/next")).headers["location"]
    await picker.post(f"{url}/scan", {"code": codes[0]}, htmx=True)
    await picker.post(f"{url}/scan", {"code": MILK}, htmx=True)
    early = await picker.post(f"/pick/{a}/finish")
    assert early.status_code == 409 and "into their totes first (1 waiting)" in early.text
    await picker.post(f"{url}/scan", {"code": codes[0]}, htmx=True)
    done = await picker.post(f"/pick/{a}/finish")
    assert done.status_code in (302, 303)
