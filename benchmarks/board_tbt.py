"""The board on a phone: long tasks and total blocking time (Lighthouse is not offline here).

Chromium (Playwright) at 360x740 with the CPU slowed 4x (Lighthouse's mobile
setting) opens the supervisor's board with 100 open orders and stays 4 s,
while a PerformanceObserver records every long task (> 50 ms). Total blocking
time = the sum of each long task's time over 50 ms after the first contentful
paint, as Lighthouse counts it. Variants, interleaved in the same run:

* board: the page as served (the stream sends nothing until something changes);
* board, whole board again on connect: the same page with the stream asked for
  the whole board on connecting (what every load did before the deltas);
* home: the supervisor's home page, the baseline.

    .venv/bin/python -m benchmarks.board_tbt [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import median, print_table
from benchmarks.scan import start

OBSERVER = """
window.__long = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__long.push([e.startTime, e.duration]);
}).observe({type: 'longtask', buffered: true});
"""
READ = """() => {
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  const start = fcp ? fcp.startTime : 0;
  const tasks = window.__long.filter(([at, d]) => at + d > start);
  return {fcp: start, tbt: tasks.reduce((s, [at, d]) => s + Math.max(0, d - 50), 0),
          longest: tasks.reduce((m, [at, d]) => Math.max(m, d), 0), count: tasks.length,
          nodes: document.getElementsByTagName('*').length};
}"""
SINCE = re.compile(r"\?since=[^\"']+")


def visit(browser: Any, base: str, token: str, path: str, whole_again: bool) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="ru-RU")
    context.add_cookies([{"name": "sp_session", "value": token, "url": base}])
    context.add_init_script(OBSERVER)
    page = context.new_page()
    if whole_again:
        def strip(route: Any) -> None:
            response = route.fetch()
            route.fulfill(response=response, body=SINCE.sub("", response.text()))
        page.route(f"{base}/board/", strip)
    try:
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        page.goto(base + path, wait_until="load")
        page.wait_for_timeout(4000)
        result: dict[str, float] = page.evaluate(READ)
        return result
    finally:
        context.close()


def run(runs: int) -> None:
    from playwright.sync_api import sync_playwright

    from app.db.migrate import upgrade
    from benchmarks.board import seed_board
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS

    variants = [("board", "/board/", False), ("board, whole board again on connect",
                                              "/board/", True), ("home (baseline)", "/", False)]
    results: dict[str, list[dict[str, float]]] = {name: [] for name, _p, _w in variants}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'tbt.db'}"
        upgrade(url)
        _pairs, token = asyncio.run(seed_board(url))
        proc, base = start("benchmarks.apps:storepick_app",
                           {"DATABASE_URL": url, "STOREPICK_RUN_RELAY": "0"})
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                     args=CHROMIUM_FLAGS)
                for _ in range(runs):  # interleaved: drift on the machine hits all alike
                    for name, path, whole in variants:
                        results[name].append(visit(browser, base, token, path, whole))
                browser.close()
        finally:
            proc.terminate()
            proc.wait(10)
    rows = [[name, f"{median([r['tbt'] for r in got]):.0f}",
             f"{median([r['longest'] for r in got]):.0f}",
             f"{median([r['count'] for r in got]):.0f}", f"{median([r['fcp'] for r in got]):.0f}",
             f"{median([r['nodes'] for r in got]):.0f}"] for name, got in results.items()]
    print_table(f"Board with 100 open orders on a phone (360x740, CPU 4x slower; medians of "
                f"{runs}; {os.cpu_count()} cores, shared machine)",
                ["page", "TBT ms", "longest task ms", "long tasks", "FCP ms", "DOM elements"],
                rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    run(parser.parse_args(argv).runs)


if __name__ == "__main__":
    main()
