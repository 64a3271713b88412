"""Offline scanning: what the queue costs online, and how fast a backlog drains.

Drives headless Chromium (the system one) against a real server on SQLite:

* online, each scan either through the offline queue (IndexedDB write, post, delete)
  or posted directly and swapped in the same way; the time from the scan to its
  answer on screen, median and p90, and the bytes the queue adds to each scan;
* 100 scans queued offline, then the network back: the time until the last is
  confirmed and the queue is empty.

Both with Chromium's CPU throttled 4x (DevTools' mid-range phone profile) and at
full speed. Budget (issue 11): under 20 ms and under 1 KB added per scan online.

    python -m benchmarks.offline [--scans 40] [--backlog 100]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import median, percentile, print_table

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


def run(scans: int, backlog: int) -> list[list[str]]:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import start_server

    with tempfile.TemporaryDirectory() as tmp:
        pieces = len(PROFILES) * (2 * scans + backlog) + 10
        url, order_id = asyncio.run(prepare(tmp, pieces))
        server = start_server(url)
        try:
            with sync_playwright() as playwright:
                return measure(playwright, server.url, order_id, scans, backlog)
        finally:
            server.stop()


def measure(playwright: Any, base: str, order_id: int, scans: int, backlog: int
            ) -> list[list[str]]:
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS, PHONE, sign_in
    from tests.support.shop import MILK, PEOPLE

    rows: list[list[str]] = []
    _store, number, _role, pin, _lang = PEOPLE["picker"]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    try:
        context = browser.new_context(**PHONE)
        page = context.new_page()
        page.set_default_timeout(120_000)
        sign_in(page, base, number, pin)
        page.goto(f"{base}/pick/{order_id}")
        page.wait_for_function("() => window.storepickQueue && window.htmx")  # no eval (CSP)
        cdp = context.new_cdp_session(page)
        bodies: dict[str, list[float]] = {"queue": [], "direct": []}
        outcome_header: list[float] = []

        def on_request(request: Any) -> None:
            if request.method == "POST" and request.url.endswith("/scan"):
                mode = "queue" if "scanned_at" in (request.post_data or "") else "direct"
                bodies[mode].append(len(request.post_data_buffer or b""))

        def on_response(response: Any) -> None:
            value = response.headers.get("x-scan-outcome")
            if value:
                outcome_header.append(len(f"x-scan-outcome: {value}\r\n"))

        page.on("request", on_request)
        page.on("response", on_response)
        for label, rate in PROFILES:
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
            times: dict[str, list[float]] = {"queue": [], "direct": []}
            for i in range(scans):  # interleaved, so drift in the server hits both alike
                for mode in ("direct", "queue") if i % 2 else ("queue", "direct"):
                    times[mode].append(float(page.evaluate(SCAN_JS, [mode, MILK])))
            added = [q - d for q, d in zip(times["queue"], times["direct"], strict=True)]
            for mode, what in (("direct", "direct post"), ("queue", "through the queue")):
                rows.append([label, f"{what}, ms (median / p90)",
                             f"{median(times[mode]):.1f} / {percentile(times[mode], 90):.1f}"])
            rows.append([label, "added by the queue, ms (median of pairs)",
                         f"{median(added):.1f}  (budget 20)"])
            rows.append([label, f"{backlog} queued scans: online to last confirmed, ms",
                         drain(context, page, backlog, MILK)])
            page.goto(f"{base}/pick/{order_id}")  # a fresh page: the answers list empty
            page.wait_for_function("() => window.storepickQueue && window.htmx")
        extra = median(bodies["queue"]) - median(bodies["direct"]) + median(outcome_header)
        rows.append(["both", "added bytes per scan (scanned_at field + X-Scan-Outcome)",
                     f"{extra:.0f}  (budget 1,024)"])
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
    args = parser.parse_args(argv)
    if not Path("/usr/bin/chromium").exists():
        print("Chromium is not installed (apt-get install chromium): skipped")
        return
    rows = run(args.scans, args.backlog)
    print_table("Offline queue: cost online and drain time (headless Chromium, SQLite)",
                ["profile", "what", "value"], rows)


if __name__ == "__main__":
    main()
