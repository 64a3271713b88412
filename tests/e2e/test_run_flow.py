"""A run of three orders in one walk, in a phone browser: a marked item for A, a
weighed item for B, a substitute for C that the customer approves live on their
own phone, one deliberate put into the wrong tote; every order's events reach
the OMS simulator."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from app.factory import create_app
from app.settings import Settings
from sync.simulator import simulator_app
from tests.e2e.conftest import PHONE, LiveServer, seeded_database, sign_in, start_server
from tests.e2e.test_substitution_live import customer_link
from tests.integration.test_weights_http import scale_label
from tests.support.postgres import free_port
from tests.support.shop import MILK, add_order, kefir_label

ORDERS = ("R-A", "R-B", "R-C")


def _serve(app: Any, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on", timeout_graceful_shutdown=0.3))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    return server


@pytest.fixture
def run_shop(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[LiveServer, Path, Any]]:
    """Three orders (due 30, 35, 40 minutes from now), the app with its relay on, and
    the OMS simulator receiving its events."""

    async def orders(db: Any, shop: Any) -> None:
        async with db.writing() as session:
            for minutes, oms_id, lines in ((30, "R-A", {"kefir": 1}),
                                           (35, "R-B", {"bananas": 500}),
                                           (40, "R-C", {"milk": 1})):
                await add_order(session, shop, lines, oms_id=oms_id,
                                due_in=timedelta(minutes=minutes))

    url, _ = seeded_database(sqlite_template, tmp_path, orders)
    oms_port, app_port = free_port(), free_port()
    receiver = simulator_app(None, "dev-oms-secret")
    oms = _serve(receiver, oms_port)
    app = create_app(Settings(environment="development", database_url=url, run_relay=True,
                              oms_events_url=f"http://127.0.0.1:{oms_port}/events"))
    server = _serve(app, app_port)
    yield (LiveServer(f"http://127.0.0.1:{app_port}", url, server, threading.Thread()),
           Path(url.split(":///", 1)[1]), receiver)
    server.should_exit = oms.should_exit = True


def scan(page: Any, code: str) -> str:
    """Scan into the run page's one field; the feedback the server answered."""
    before = page.evaluate("() => { const f = document.querySelector("
                           "'#scan-feedback [data-feedback-id]');"
                           " return f ? f.dataset.feedbackId : ''; }")
    page.fill("#scan-input", code)
    page.press("#scan-input", "Enter")
    page.wait_for_function(
        "(n) => { const f = document.querySelector('#scan-feedback [data-feedback-id]');"
        " return f && f.dataset.feedbackId !== n; }", arg=before)
    return str(page.inner_text("#scan-feedback"))


def test_a_run_of_three_orders_each_into_its_own_tote(
        browser: Any, phone: Any, run_shop: tuple[LiveServer, Path, Any]) -> None:
    server, path, receiver = run_shop
    picker = phone
    sign_in(picker, server.url, "1001", "1111")
    picker.goto(f"{server.url}/pick/")
    picker.click("text=Print tote labels")
    totes = [picker.get_attribute(f"article.tote-label >> nth={i}", "data-tote")
             for i in range(3)]
    picker.goto(f"{server.url}/pick/")
    picker.click("text=Take next run (several orders)")
    picker.wait_for_selector(".run__next[data-next=bind]")
    run_url = picker.url
    assert picker.locator(".run-order").count() == 3
    for tote in totes:  # A chilled, B ambient, C chilled
        assert "Tote T-0000" in scan(picker, tote)
    assert picker.get_attribute(".run__next", "data-next") == "scan"

    said = scan(picker, kefir_label("RUN0001"))  # A's marked kefir, its own unit code
    assert "tote A, chilled (T-00001)" in said
    wrong = scan(picker, totes[2])  # C's chilled tote: refused loudly
    assert "WRONG TOTE!" in wrong and "tote A" in wrong
    assert picker.locator("#scan-feedback .feedback--error").count() == 1
    assert "In tote A, chilled" in scan(picker, totes[0])

    assert "tote B, ambient (T-00002)" in scan(picker, scale_label(520))
    assert "In tote B, ambient" in scan(picker, totes[1])

    # C's milk is out: the picker offers kefir on C's own page, the customer approves
    picker.click(".run-order[data-letter=C] >> text=Open")
    picker.wait_for_selector("li[data-sku=milk]")
    picker.click("li[data-sku=milk] summary")
    picker.click("li[data-sku=milk] button[value=out_of_stock]")
    picker.click("li[data-sku=milk] >> text=Propose substitute")
    picker.fill("#substitute-code", kefir_label("SUB0001"))
    picker.click("text=Offer to the customer")
    picker.wait_for_selector("li[data-sku=milk] .proposal--proposed")
    customer_context = browser.new_context(**PHONE)
    try:
        customer = customer_context.new_page()
        customer.set_default_timeout(20_000)
        customer.goto(customer_link(path, server.url))
        assert "R-A" not in customer.content() and "Bananas" not in customer.content()
        customer.click("button[value=approve]")
        customer.wait_for_selector("[data-status=approved]")
    finally:
        customer_context.close()
    picker.goto(run_url)
    assert picker.get_attribute(".run__next", "data-next") == "put"
    assert "tote C" in picker.inner_text(".run__next")
    assert "In tote C, chilled" in scan(picker, totes[2])

    for letter in "ABC":
        picker.click(f".run-order[data-letter={letter}] button.run-order__finish")
        if letter != "C":
            picker.wait_for_selector(f".run-order[data-letter={letter}][data-status=picked]")
    picker.wait_for_url(re.compile(r"/pick/?$"))  # the run is over: back to the queue

    deadline = time.monotonic() + 20
    while True:
        got = {str(e["order_id"]): e["type"] for e in receiver.ledger.applied.values()
               if e["type"] == "OrderPicked"}
        if set(got) >= set(ORDERS) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    events: dict[str, list[dict[str, Any]]] = {}
    for envelope in receiver.ledger.applied.values():
        events.setdefault(str(envelope["order_id"]), []).append(envelope)
    picked = {o: next(e["payload"] for e in events.get(o, []) if e["type"] == "OrderPicked")
              for o in ORDERS}
    a_line, = picked["R-A"]["lines"]
    assert a_line["sku"] == "kefir" and len(a_line["marking_codes"]) == 1
    b_line, = picked["R-B"]["lines"]
    assert b_line["sku"] == "bananas" and b_line["weights_g"] == [520]
    assert {ln["sku"]: ln["state"] for ln in picked["R-C"]["lines"]} == {
        "milk": "substituted", "kefir": "picked"}
    assert "SubstitutionDecided" in {e["type"] for e in events["R-C"]}
    snap = receiver.ledger.snapshot()
    assert snap["gaps"] == [] and snap["duplicates"] == 0


@pytest.fixture
def two_orders(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[LiveServer, Path]]:
    async def orders(db: Any, shop: Any) -> None:
        async with db.writing() as session:
            for minutes, oms_id in ((30, "R-A"), (35, "R-B")):
                await add_order(session, shop, {"milk": 1}, oms_id=oms_id,
                                due_in=timedelta(minutes=minutes))

    url, _ = seeded_database(sqlite_template, tmp_path, orders)
    server = start_server(url)
    yield server, Path(url.split(":///", 1)[1])
    server.stop()


def test_items_and_puts_made_offline_in_a_run_are_replayed_once_in_order(
        phone: Any, two_orders: tuple[LiveServer, Path]) -> None:
    server, path = two_orders
    page = phone
    sign_in(page, server.url, "1001", "1111")
    page.goto(f"{server.url}/pick/")
    page.click("text=Print tote labels")
    totes = [page.get_attribute(f"article.tote-label >> nth={i}", "data-tote") for i in range(2)]
    page.goto(f"{server.url}/pick/")
    page.click("text=Take next run (several orders)")
    page.wait_for_selector(".run__next[data-next=bind]")
    for tote in totes:
        scan(page, tote)
    page.context.set_offline(True)
    for code in (MILK, totes[0], MILK, totes[1]):  # A's milk, its tote, B's milk, its tote
        page.fill("#scan-input", code)
        page.press("#scan-input", "Enter")
    page.wait_for_function("document.querySelector('#offline-status .offline-status__count')"
                           ".textContent.indexOf('4') >= 0")
    page.context.set_offline(False)
    page.wait_for_function(
        "document.querySelector('#offline-status .offline-status__count').hidden", timeout=20_000)
    with sqlite3.connect(path) as db:
        puts = db.execute("SELECT o.oms_id, t.code FROM tote_puts p JOIN orders o"
                          " ON o.id = p.order_id JOIN totes t ON t.id = p.tote_id"
                          " ORDER BY o.oms_id").fetchall()
        picked = db.execute("SELECT o.oms_id, l.picked_quantity FROM order_lines l JOIN orders o"
                            " ON o.id = l.order_id ORDER BY o.oms_id").fetchall()
    assert puts == [("R-A", totes[0]), ("R-B", totes[1])]
    assert picked == [("R-A", 1), ("R-B", 1)]
