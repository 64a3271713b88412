"""Offline scanning: what the queue costs online, and how fast a backlog drains.

Drives headless Chromium (the system one) against a real server on SQLite:

* online, each scan either through the offline queue (IndexedDB write, post, delete)
  or posted directly and swapped in the same way; the time from the scan to its
  answer on screen, median and p90, and the bytes the queue adds to each scan;
* 100 scans queued offline, then the network back: the time until the last is
  confirmed and the queue is empty.

Both with Chromium's CPU throttled 4x (DevTools' mid-range phone profile) and at
full speed. Budget (issue 11): under 20 ms and under 1 KB added per scan online.

With ``--before GIT_REF`` the queue's script as it was at that commit is measured in
the same run, in a second browser context (its script swapped in by a route, which its
service worker's precache goes through too; checked before measuring), the scans of both
versions and both paths interleaved, so the two are compared under the same load.

    python -m benchmarks.offline [--scans 40] [--backlog 100] [--before GIT_REF]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import median, percentile, print_table

ROOT = Path(__file__).resolve().parent.parent

SCAN_JS = """async ([mode, code]) => {
  const form = document.getElementById('scan-form');
  const url = form.dataset.scanUrl;
  const answered = new Promise((resolve) => {
    const seen = new MutationObserver(() => {
      if (document.querySelector('#scan-feedback .feedback[data-feedback]')) {
        seen.disconnect(); resolve();
      }
    });
    seen.observe(document.querySelector('.pick'), { childList: true, subtree: true });
  });
  document.getElementById('scan-feedback').replaceChildren();
  const t0 = performance.now();
  if (mode === 'queue') {
    window.storepickQueue.scan(url, code, '1', form);
  } else {
    const id = Array.from(crypto.getRandomValues(new Uint8Array(12)),
                          (b) => b.toString(16).padStart(2, '0')).join('');
    fetch(url, { method: 'POST', credentials: 'same-origin',
      body: new URLSearchParams({ code: code, quantity: '1', scan_id: id }),
      headers: { 'HX-Request': 'true', 'HX-Current-URL': location.href,
        'X-CSRFToken': JSON.parse(document.body.getAttribute('hx-headers'))['x-csrftoken'] } })
      .then((r) => r.text())
      .then((html) => htmx.swap('#scan-feedback', html, { swapStyle: 'outerHTML' }));
  }
  await answered;
  return performance.now() - t0;
}"""

PENDING = "document.querySelector('#offline-status .offline-status__count')"


async def prepare(tmp: str, pieces: int) -> tuple[str, int]:
    from app.db.engine import open_database
    from app.db.mapping import start_mappers
    from app.db.migrate import upgrade
    from tests.support.shop import add_order, seed_shop

    url = f"sqlite+aiosqlite:///{tmp}/offline.db"
    await asyncio.to_thread(upgrade, url)
    start_mappers()
    db = open_database(url)
    async with db.writing() as session:
        shop = await seed_shop(session)
        order_id = await add_order(session, shop, {"milk": pieces, "bread": 1})
    await db.dispose()
    return url, order_id


PROFILES = (("mid-range phone (CPU 4x slower)", 4), ("full speed", 1))
QUEUE_FILE = "static/js/offline-queue.js"
QUEUE_JS = re.compile(r"/static/js/offline-queue\.js")


def old_queue(ref: str) -> str:
    """The queue's script as it was at ``ref`` (a commit, branch or tag of this repository)."""
    return subprocess.run(["git", "show", f"{ref}:{QUEUE_FILE}"], check=True,
                          capture_output=True, text=True, cwd=ROOT).stdout


def run(scans: int, backlog: int, before: str | None = None) -> list[list[str]]:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import start_server

    variants: list[tuple[str, str | None]] = [("now", None)]
    if before:
        variants.append((f"before ({before})", old_queue(before)))
    with tempfile.TemporaryDirectory() as tmp:
        pieces = len(PROFILES) * len(variants) * (2 * scans + backlog) + 10
        url, order_id = asyncio.run(prepare(tmp, pieces))
        server = start_server(url)
        try:
            with sync_playwright() as playwright:
                return measure(playwright, server.url, order_id, scans, backlog, variants)
        finally:
            server.stop()


class Phone:
    """One browser context on the pick page, running one version of the queue's script."""

    def __init__(self, browser: Any, base: str, order_id: int, label: str, script: str | None
                 ) -> None:
        from tests.e2e.conftest import PHONE, sign_in
        from tests.support.shop import PEOPLE

        _store, number, _role, pin, _lang = PEOPLE["picker"]
        self.label = label
        self.base = base
        self.order_id = order_id
        self.context = browser.new_context(**PHONE)
        if script is not None:
            # A context's routes also see its service worker's requests (Chromium): the worker
            # precaches the old script too, and serves it to every later load of the page.
            self.context.route(QUEUE_JS, lambda route: route.fulfill(
                status=200, body=script, headers={"Content-Type": "text/javascript"}))
        self.page = self.context.new_page()
        self.page.set_default_timeout(120_000)
        sign_in(self.page, base, number, pin)
        self.open()
        # As on a phone: the service worker installed and in control of the page.
        self.page.wait_for_function("() => navigator.serviceWorker.ready.then(() => true)")
        self.open()
        running = self.page.evaluate("""() => fetch(
            document.querySelector('script[src*="offline-queue"]').src).then((r) => r.text())""")
        expected = script if script is not None else (ROOT / QUEUE_FILE).read_text()
        if running != expected:
            raise RuntimeError(f"{label}: the page does not run the expected queue script")
        self.cdp = self.context.new_cdp_session(self.page)
        self.bodies: dict[str, list[float]] = {"queue": [], "direct": []}
        self.outcome_header: list[float] = []
        self.page.on("request", self.on_request)
        self.page.on("response", self.on_response)

    def open(self) -> None:
        self.page.goto(f"{self.base}/pick/{self.order_id}")
        self.page.wait_for_function("() => window.storepickQueue && window.htmx")  # no eval (CSP)

    def on_request(self, request: Any) -> None:
        if request.method == "POST" and request.url.endswith("/scan"):
            mode = "queue" if "scanned_at" in (request.post_data or "") else "direct"
            self.bodies[mode].append(len(request.post_data_buffer or b""))

    def on_response(self, response: Any) -> None:
        value = response.headers.get("x-scan-outcome")
        if value:
            self.outcome_header.append(len(f"x-scan-outcome: {value}\r\n"))

    def scan(self, mode: str, code: str) -> float:
        return float(self.page.evaluate(SCAN_JS, [mode, code]))

    def added_bytes(self) -> float:
        return (median(self.bodies["queue"]) - median(self.bodies["direct"])
                + median(self.outcome_header))


def measure(playwright: Any, base: str, order_id: int, scans: int, backlog: int,
            variants: list[tuple[str, str | None]]) -> list[list[str]]:
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS
    from tests.support.shop import MILK

    rows: list[list[str]] = []
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    try:
        phones = [Phone(browser, base, order_id, label, script) for label, script in variants]
        runs = [(phone, mode) for phone in phones for mode in ("direct", "queue")]
        for profile, rate in PROFILES:
            for phone in phones:
                phone.cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
            times: dict[tuple[str, str], list[float]] = {(p.label, m): [] for p, m in runs}
            for i in range(scans):
                # Interleaved, each scan in a different place of the round, so drift in the
                # server or the machine hits every version and path alike.
                shift = i % len(runs)
                for phone, mode in runs[shift:] + runs[:shift]:
                    times[phone.label, mode].append(phone.scan(mode, MILK))
            added: dict[str, list[float]] = {}
            for phone in phones:
                direct, queue = times[phone.label, "direct"], times[phone.label, "queue"]
                added[phone.label] = [q - d for q, d in zip(queue, direct, strict=True)]
                rows.append([
                    profile, phone.label,
                    f"{median(direct):.1f} / {percentile(direct, 90):.1f}",
                    f"{median(queue):.1f} / {percentile(queue, 90):.1f}",
                    f"{median(added[phone.label]):.1f}",
                    drain(phone.context, phone.page, backlog, MILK),
                ])
                phone.open()  # a fresh page: the answers list empty
            if len(phones) > 1:  # the same round's scans through both versions of the queue
                now, old = phones[0].label, phones[1].label
                gain = [b - a for a, b in zip(times[now, "queue"], times[old, "queue"],
                                              strict=True)]
                rows.append([profile, "before minus now, through the queue (median of rounds)",
                             "", f"{median(gain):.1f}", "", ""])
        for phone in phones:
            rows.append(["both", phone.label, "", "", f"{phone.added_bytes():.0f} bytes", ""])
    finally:
        browser.close()
    return rows


def drain(context: Any, page: Any, backlog: int, code: str) -> str:
    context.set_offline(True)
    page.evaluate("""([n, code]) => {
        const form = document.getElementById('scan-form');
        const url = form.dataset.scanUrl;
        for (let i = 0; i < n; i++) window.storepickQueue.scan(url, code, '1', form);
    }""", [backlog, code])
    page.wait_for_function(
        f"() => ({PENDING}.textContent.match(/^\\d+/) || [])[0] === '{backlog}'")
    page.evaluate("""() => { window.drainStart = null;
        window.addEventListener('online',
          () => { window.drainStart = performance.now(); }, { once: true }); }""")
    context.set_offline(False)
    page.wait_for_function(f"() => window.drainStart !== null && {PENDING}.hidden")
    drained = float(page.evaluate("performance.now() - window.drainStart"))
    return f"{drained:.0f}  ({drained / backlog:.1f} per scan)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=40, help="online scans per path and profile")
    parser.add_argument("--backlog", type=int, default=100, help="scans queued offline")
    parser.add_argument("--before", metavar="GIT_REF",
                        help="also measure the queue's script as it was at this commit, paired")
    args = parser.parse_args(argv)
    if not Path("/usr/bin/chromium").exists():
        print("Chromium is not installed (apt-get install chromium): skipped")
        return
    rows = run(args.scans, args.backlog, args.before)
    print_table("Offline queue: cost online and drain time (headless Chromium, SQLite)",
                ["profile", "queue", "direct post, ms (median / p90)",
                 "through the queue, ms (median / p90)", "added by the queue, ms (median of pairs)",
                 f"{args.backlog} queued scans: online to last confirmed, ms"], rows)


if __name__ == "__main__":
    main()
