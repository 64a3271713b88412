"""Offline scanning on a phone: scans made without signal are kept, shown honestly, sent once.

A persistent Chromium profile stands for the phone: its IndexedDB (the queue) and its
caches (the saved pick page) survive closing the browser, as they survive a closed tab
or a restart on a phone. Chromium's offline emulation cuts the page and the service
worker off the network alike.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from picking.gtin import complete
from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS, PHONE, LiveServer, sign_in
from tests.e2e.test_picker_flow import DEMO_PICKER, OrderLine, lines_of

UNKNOWN = complete("460000000000")  # no product has it
PENDING = "#offline-status .offline-status__count"


class Phone:
    """A phone-sized Chromium with its own profile directory, which can be shut and reopened."""

    def __init__(self, browser: Any, profile: Path) -> None:
        self.browser_type = browser.browser_type
        self.profile = profile
        self.context: Any = None

    def open(self, *, offline: bool = False) -> Any:
        self.context = self.browser_type.launch_persistent_context(
            str(self.profile), executable_path=CHROMIUM, args=CHROMIUM_FLAGS, **PHONE)
        self.context.set_offline(offline)
        page = self.context.pages[0] if self.context.pages else self.context.new_page()
        page.set_default_timeout(20_000)
        return page

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
            self.context = None


@pytest.fixture
def handset(browser: Any, tmp_path: Path) -> Iterator[Phone]:
    phone = Phone(browser, tmp_path / "profile")
    yield phone
    phone.close()


def plain_piece_lines(server: LiveServer, order_id: int) -> list[OrderLine]:
    return [ln for ln in lines_of(server, order_id)
            if ln.unit == "piece" and not ln.marked and ln.gtin]


def start_an_order(page: Any, server: LiveServer) -> int:
    sign_in(page, server.url, *DEMO_PICKER)
    page.get_by_role("button", name="Take next order").click()
    page.wait_for_url(re.compile(r"/pick/\d+$"))
    order_id = int(page.url.rsplit("/", 1)[1])
    # The service worker runs and the page has saved a copy of itself for a reload offline.
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function(
        "caches.open('storepick-pages').then(c => c.match(location.pathname)).then(Boolean)")
    return order_id


def type_scan(page: Any, code: str) -> None:
    page.fill("#scan-input", code)
    page.press("#scan-input", "Enter")


def queued_count(page: Any) -> int:
    return int(page.evaluate("""() => new Promise((resolve) => {
        const req = indexedDB.open('storepick-offline');
        req.onsuccess = () => {
          const c = req.result.transaction('queue').objectStore('queue').count();
          c.onsuccess = () => { resolve(c.result); req.result.close(); };
        };
    })"""))


def queued_entries(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate("""() => new Promise((resolve) => {
        const req = indexedDB.open('storepick-offline');
        req.onsuccess = () => {
          const all = req.result.transaction('queue').objectStore('queue').getAll();
          all.onsuccess = () => { resolve(all.result); req.result.close(); };
        };
    })"""))


def wait_for_pending(page: Any, count: int) -> None:
    if count:
        page.wait_for_function(
            "([sel, n]) => (document.querySelector(sel).textContent.match(/^\\d+/) || [])[0] === n",
            arg=[PENDING, str(count)])
    else:
        page.wait_for_function(f"document.querySelector('{PENDING}').hidden")


def local_feedback(page: Any, expected: str) -> str:
    """The phone's own banner for the last scan, once it says ``expected``."""
    page.wait_for_function(
        "(t) => (document.querySelector('#scan-feedback [data-feedback-local]') || {})"
        ".textContent?.replace(/\\u00a0/g, ' ').includes(t)", arg=expected)
    # a name's no-break spaces ("930\u00a0ml") read as the spaces they look like
    return str(page.locator("#scan-feedback [data-feedback-local]").inner_text()).replace(
        "\u00a0", " ")


def db_rows(server: LiveServer, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    path = server.database_url.split(":///", 1)[1]
    with sqlite3.connect(path) as con:
        return con.execute(sql, args).fetchall()


def picked(server: LiveServer, line_id: int) -> int:
    rows = db_rows(server, "SELECT picked_quantity FROM order_lines WHERE id = ?", line_id)
    return int(rows[0][0])


def scanned_events(server: LiveServer, order_id: int) -> list[tuple[int, str]]:
    """The OMS outbox's ItemScanned events of the order, in their order: (line, code)."""
    rows = db_rows(server, "SELECT sequence, envelope FROM outbox WHERE order_id = ? "
                   "AND type = 'ItemScanned' ORDER BY sequence", order_id)
    events = [json.loads(envelope)["payload"] for _seq, envelope in rows]
    return [(int(e["line_id"]), str(e["code"])) for e in events]


def test_scans_made_offline_survive_reloads_and_a_restart_and_count_once(
        live_server: LiveServer, handset: Phone) -> None:
    page = handset.open()
    order_id = start_an_order(page, live_server)
    first, second = plain_piece_lines(live_server, order_id)[:2]
    good = [first.gtin or ""] * first.quantity + [second.gtin or ""] * second.quantity
    assert page.locator("#offline-status").is_hidden()  # online, nothing waiting: no banner

    handset.context.set_offline(True)
    banner = page.locator("#offline-status")
    banner.wait_for()
    assert "No network" in banner.inner_text()

    type_scan(page, good[0])
    wait_for_pending(page, 1)
    assert "not counted yet" in local_feedback(page, f"{first.name} is on this order")
    assert page.locator("#scan-feedback .feedback--ok").count() == 0  # never a green "counted"
    for code in good[1:first.quantity]:
        type_scan(page, code)
    wait_for_pending(page, first.quantity)

    page.reload()  # no signal: the saved copy of the page, and the queue, are still there
    wait_for_pending(page, first.quantity)
    assert page.locator(f"#line-{first.line_id}").is_visible()
    assert "saved on this phone" in banner.inner_text()

    type_scan(page, first.gtin or "")  # one more than ordered
    local_feedback(page, "more than ordered")
    type_scan(page, UNKNOWN)
    local_feedback(page, f"{UNKNOWN} is not on this order as far as this phone knows")
    for code in good[first.quantity:]:
        type_scan(page, code)
    total = len(good) + 2
    wait_for_pending(page, total)
    assert picked(live_server, first.line_id) == 0  # nothing reached the server

    handset.close()  # the browser is shut, as a phone's tab or the phone itself
    page = handset.open(offline=True)
    page.goto(f"{live_server.url}/pick/{order_id}")
    wait_for_pending(page, total)
    assert queued_count(page) == total

    handset.context.set_offline(False)
    wait_for_pending(page, 0)
    answers = page.locator("#offline-status .offline-status__answer")
    assert answers.count() == total
    refused = page.locator("#offline-status .offline-status__answer--refused").all_inner_texts()
    assert len(refused) == 2, refused
    assert any(UNKNOWN in text and "Unknown code" in text for text in refused), refused
    assert any((first.gtin or "") in text for text in refused), refused
    assert queued_count(page) == 0
    assert "line--picked" in (page.locator(f"#line-{first.line_id}").get_attribute("class") or "")

    assert picked(live_server, first.line_id) == first.quantity
    assert picked(live_server, second.line_id) == second.quantity
    expected = [(first.line_id, first.gtin)] * first.quantity + \
        [(second.line_id, second.gtin)] * second.quantity
    assert [(line, code.lstrip("0")) for line, code in scanned_events(live_server, order_id)] == \
        [(line, (code or "").lstrip("0")) for line, code in expected]


def test_offline_the_phone_already_knows_a_misread_and_a_marked_item_s_barcode(
        live_server: LiveServer, handset: Phone) -> None:
    """Offline, the phone said "…is on this order" for a marked item's shop barcode and "not on
    this order" for a misread, and only later, online, did the server say what was wrong."""
    page = handset.open()
    order_id = start_an_order(page, live_server)
    marked = next(ln for ln in lines_of(live_server, order_id) if ln.marked and ln.gtin)
    handset.context.set_offline(True)
    page.locator("#offline-status").wait_for()

    misread = UNKNOWN[:-1] + str((int(UNKNOWN[-1]) + 1) % 10)  # one digit off
    type_scan(page, misread)
    said = local_feedback(page, f"{misread}: the check digit is wrong")
    assert "not on this order" not in said
    type_scan(page, (marked.gtin or "").lstrip("0"))
    assert "scan the DataMatrix code" in local_feedback(page, f"{marked.name} is a marked item")
    type_scan(page, UNKNOWN)  # a good check digit, on no line: as before
    local_feedback(page, f"{UNKNOWN} is not on this order as far as this phone knows")
    wait_for_pending(page, 3)  # still kept and sent: the server has the last word

    handset.context.set_offline(False)
    wait_for_pending(page, 0)
    refused = page.locator("#offline-status .offline-status__answer--refused").all_inner_texts()
    assert len(refused) == 3, refused
    assert any(misread in text and "check digit" in text for text in refused), refused
    assert any("DataMatrix" in text for text in refused), refused


def test_two_tabs_replaying_the_same_scans_count_them_once(
        live_server: LiveServer, handset: Phone) -> None:
    page = handset.open()
    order_id = start_an_order(page, live_server)
    line = plain_piece_lines(live_server, order_id)[0]
    other = handset.context.new_page()
    other.goto(page.url)
    posts: list[str] = []
    handset.context.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    handset.context.set_offline(True)
    codes = [line.gtin or ""] * line.quantity
    for code in codes:
        type_scan(page, code)
    wait_for_pending(page, len(codes))
    wait_for_pending(other, len(codes))  # the other tab sees the same queue
    entries = queued_entries(page)

    handset.context.set_offline(False)  # both tabs hear "online" and try to replay
    wait_for_pending(page, 0)
    wait_for_pending(other, 0)
    assert picked(live_server, line.line_id) == line.quantity
    assert len(posts) == len(codes), posts  # the lock: one tab replayed, each scan sent once

    # The worst case the lock prevents: the very same posts sent again from the other tab.
    statuses = other.evaluate("""(entries) => Promise.all(entries.map((e) => fetch(e.url, {
        method: 'POST', body: new URLSearchParams(e.fields), headers: {
          'HX-Request': 'true',
          'X-CSRFToken': JSON.parse(document.body.getAttribute('hx-headers'))['x-csrftoken']}})
        .then((r) => [r.status, r.headers.get('X-Scan-Outcome')])))""", entries)
    assert all(outcome in ("accepted", "refused") for _status, outcome in statuses), statuses
    assert picked(live_server, line.line_id) == line.quantity
    assert len(scanned_events(live_server, order_id)) == line.quantity


# Online, a scan's IndexedDB write and its post start together: the answer may come before the
# write lands, or the post fail before or after it. A read-write transaction held open on the
# queue (the page's write waits behind it) makes the write land only when the test says so.
HOLD_QUEUE = """() => new Promise((resolve) => {
    const req = indexedDB.open('storepick-offline');
    req.onsuccess = () => {
      const db = req.result;
      const tx = db.transaction('queue', 'readwrite');
      const store = tx.objectStore('queue');
      window.queueHeld = true;
      const spin = () => { if (window.queueHeld) store.count().onsuccess = spin; };
      spin();
      tx.oncomplete = () => { db.close(); window.queueFreed = true; };
      resolve(true);
    };
})"""
FREE_QUEUE = "() => { window.queueHeld = false; }"
ANSWER = "#scan-feedback .feedback[data-feedback]"


def scan_posts(page: Any, order_id: int) -> list[Any]:
    """The posts of scans the page makes from now on that the server answers."""
    posts: list[Any] = []
    page.on("response", lambda r: posts.append(r.request) if r.request.method == "POST"
            and r.url.endswith(f"/pick/{order_id}/scan") else None)
    return posts


def scan_id_of(request: Any) -> str:
    return parse_qs(request.post_data or "")["scan_id"][0]


def wait_until(page: Any, check: Any, what: str, seconds: float = 20) -> None:
    for _ in range(int(seconds * 10)):
        if check():
            return
        page.wait_for_timeout(100)  # lets Playwright's handlers run meanwhile
    raise AssertionError(f"timed out waiting for {what}")


def test_an_answer_before_the_write_lands_leaves_nothing_queued(
        live_server: LiveServer, handset: Phone) -> None:
    page = handset.open()
    order_id = start_an_order(page, live_server)
    line = plain_piece_lines(live_server, order_id)[0]
    posts = scan_posts(page, order_id)
    page.evaluate(HOLD_QUEUE)

    type_scan(page, line.gtin or "")
    # The server answers while the write still waits: the post did not wait for it.
    page.wait_for_selector(ANSWER)
    assert picked(live_server, line.line_id) == 1
    assert page.evaluate("() => window.queueFreed") is None  # the write has not landed yet

    page.evaluate(FREE_QUEUE)  # the write lands after the answer: it is deleted, not left behind
    page.wait_for_function("() => window.queueFreed === true")
    wait_until(page, lambda: queued_count(page) == 0, "the record to be deleted")
    page.wait_for_timeout(1500)  # time for a replay, if one were (wrongly) due
    assert queued_count(page) == 0
    assert page.locator("#offline-status").is_hidden()  # no "1 scan waiting"
    assert page.locator(PENDING).is_hidden()

    page.reload()
    page.wait_for_function("() => window.storepickQueue && window.htmx")
    page.wait_for_timeout(1500)
    assert page.locator(PENDING).is_hidden()
    assert len(posts) == 1
    assert picked(live_server, line.line_id) == 1
    assert len(scanned_events(live_server, order_id)) == 1


def assert_replayed_once(page: Any, server: LiveServer, order_id: int, line_id: int,
                         posts: list[Any], entry: dict[str, Any]) -> None:
    """The queued scan ``entry`` drains, is posted once (no second replay comes), and the
    server counted it once and told the OMS once."""
    wait_for_pending(page, 0)
    assert queued_count(page) == 0
    page.wait_for_timeout(1500)  # time for a second replay, if one were (wrongly) due
    assert [scan_id_of(p) for p in posts] == [entry["fields"]["scan_id"]]
    assert picked(server, line_id) == 1
    assert len(scanned_events(server, order_id)) == 1


def test_a_post_failing_after_the_write_keeps_the_scan_and_replays_it_once(
        live_server: LiveServer, handset: Phone) -> None:
    page = handset.open()
    order_id = start_an_order(page, live_server)
    line = plain_piece_lines(live_server, order_id)[0]
    scan_url = re.compile(rf"/pick/{order_id}/scan$")
    held: list[Any] = []
    page.route(scan_url, lambda route: held.append(route) if not held else route.abort())

    type_scan(page, line.gtin or "")
    wait_until(page, lambda: bool(held), "the post")
    wait_until(page, lambda: queued_count(page) == 1, "the write")  # landed, post still out
    held[0].abort("internetdisconnected")  # then the post fails
    wait_for_pending(page, 1)
    assert "not counted yet" in local_feedback(page, f"{line.name} is on this order")
    assert page.locator("#scan-feedback .feedback--ok").count() == 0
    assert picked(live_server, line.line_id) == 0
    [entry] = queued_entries(page)

    posts = scan_posts(page, order_id)
    page.unroute(scan_url)  # the network lets it through: replayed by itself, once
    assert_replayed_once(page, live_server, order_id, line.line_id, posts, entry)
    answers = page.locator("#offline-status .offline-status__answer--accepted")
    assert answers.count() == 1


def test_a_post_failing_before_the_write_lands_keeps_the_scan_and_replays_it_once(
        live_server: LiveServer, handset: Phone) -> None:
    page = handset.open()
    order_id = start_an_order(page, live_server)
    line = plain_piece_lines(live_server, order_id)[0]
    scan_url = re.compile(rf"/pick/{order_id}/scan$")
    page.route(scan_url, lambda route: route.abort("internetdisconnected"))
    tried: list[Any] = []
    page.on("requestfailed", lambda r: tried.append(r) if r.method == "POST" else None)
    posts = scan_posts(page, order_id)
    page.evaluate(HOLD_QUEUE)

    type_scan(page, line.gtin or "")
    wait_until(page, lambda: bool(tried), "the post, sent (and failed) while the write waits")
    page.wait_for_timeout(500)  # the failure is in (and maybe a retry) before the write lands
    assert page.evaluate("() => window.queueFreed") is None
    page.evaluate(FREE_QUEUE)
    wait_for_pending(page, 1)
    local_feedback(page, f"{line.name} is on this order")
    assert queued_count(page) == 1
    [entry] = queued_entries(page)
    assert posts == []  # none reached the server

    page.unroute(scan_url)
    assert_replayed_once(page, live_server, order_id, line.line_id, posts, entry)


def test_a_page_reloaded_while_a_scan_is_posted_keeps_it_and_replays_it_once(
        live_server: LiveServer, handset: Phone) -> None:
    page = handset.open()
    order_id = start_an_order(page, live_server)
    line = plain_piece_lines(live_server, order_id)[0]
    scan_url = re.compile(rf"/pick/{order_id}/scan$")
    held: list[Any] = []
    page.route(scan_url, lambda route: held.append(route) if not held else route.continue_())

    type_scan(page, line.gtin or "")
    wait_until(page, lambda: bool(held), "the post")
    page.reload()  # the post never reached the server; the write, started with it, did land
    wait_for_pending(page, 0)
    wait_until(page, lambda: picked(live_server, line.line_id) == 1, "the replay")
    page.wait_for_timeout(1500)
    assert queued_count(page) == 0
    assert picked(live_server, line.line_id) == 1
    assert len(scanned_events(live_server, order_id)) == 1


# Notes, for each scan posted, whether its IndexedDB write was started in the same task (no
# timer has run since): then a page closed right after the post started still has the record.
WATCH_WRITES = """(() => {
  let writing = null;
  const add = IDBObjectStore.prototype.add;
  IDBObjectStore.prototype.add = function (value) {
    if (this.name === 'queue' && value && value.fields) {
      writing = value.fields.scan_id;
      setTimeout(() => { writing = null; }, 0);
    }
    return add.apply(this, arguments);
  };
  const post = window.fetch;
  window.scanPosts = [];
  window.fetch = function (url, init) {
    if (init && init.method === 'POST' && /\\/scan$/.test(String(url))) {
      const id = new URLSearchParams(init.body).get('scan_id');
      window.scanPosts.push({ id: id, writeStartedInThisTask: writing === id });
    }
    return post.apply(this, arguments);
  };
})();"""


def test_an_online_scan_is_written_in_the_same_task_as_it_is_posted(
        live_server: LiveServer, handset: Phone) -> None:
    page = handset.open()
    handset.context.add_init_script(WATCH_WRITES)
    order_id = start_an_order(page, live_server)
    line = plain_piece_lines(live_server, order_id)[0]

    type_scan(page, line.gtin or "")
    page.wait_for_selector(ANSWER)
    wait_until(page, lambda: queued_count(page) == 0, "the record to be deleted")
    posts = page.evaluate("() => window.scanPosts")
    assert len(posts) == 1 and posts[0]["id"], posts
    assert posts[0]["writeStartedInThisTask"], posts
    assert picked(live_server, line.line_id) == 1


def test_finishing_waits_for_a_scan_still_being_sent(
        live_server: LiveServer, handset: Phone) -> None:
    page = handset.open()
    order_id = start_an_order(page, live_server)
    line = plain_piece_lines(live_server, order_id)[0]
    scan_url = re.compile(rf"/pick/{order_id}/scan$")
    held: list[Any] = []
    page.route(scan_url, lambda route: held.append(route))

    type_scan(page, line.gtin or "")
    wait_until(page, lambda: bool(held), "the post")
    page.get_by_role("button", name="Finish picking").click()  # while the scan is on its way
    banner = page.locator("#offline-status")
    banner.wait_for()
    assert "Finish once they are sent" in banner.inner_text()
    assert page.url.endswith(f"/pick/{order_id}")

    held[0].continue_()
    page.wait_for_selector(ANSWER)
    assert picked(live_server, line.line_id) == 1


def test_an_answer_that_leaves_the_page_waits_until_its_record_is_gone(
        live_server: LiveServer, handset: Phone) -> None:
    page = handset.open()
    order_id = start_an_order(page, live_server)
    line = plain_piece_lines(live_server, order_id)[0]
    other = handset.context.new_page()  # holds the queue from outside the pick page
    other.goto(f"{live_server.url}/healthz")
    other.evaluate(HOLD_QUEUE)
    # An answer that sends the picker elsewhere (as for an order taken away meanwhile).
    page.route(re.compile(rf"/pick/{order_id}/scan$"),
               lambda route: route.fulfill(status=204, headers={"HX-Redirect": "/pick/"}))

    type_scan(page, line.gtin or "")
    page.wait_for_timeout(1500)
    assert page.url.endswith(f"/pick/{order_id}")  # not before its record is deleted
    other.evaluate(FREE_QUEUE)
    page.wait_for_url(re.compile(r"/pick/$"))
    wait_until(other, lambda: queued_count(other) == 0, "the record to be deleted")
