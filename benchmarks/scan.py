"""Scan verification under load: storepick vs the bare stack, on SQLite.

One scan = one read, one write, one fragment. Each server runs in its own
process (uvicorn); the load generator is open-loop (requests leave on a fixed
schedule whatever the server does, so a slow server cannot slow the clock) for
latency, and closed-loop with 16 workers for peak throughput.

    python -m benchmarks.scan [--seconds 8] [--rates 25,50,100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

from benchmarks.common import percentile, print_table, wait_for_http
from tests.support.postgres import free_port

PICKERS = 50
ORDER = {"milk": 30, "bread": 30, "water": 30, "pizza": 30, "chocolate": 30}
ROOT = Path(__file__).resolve().parent.parent


async def seed(url: str) -> list[tuple[str, int]]:
    """A store with 50 pickers, each on an order of 150 items in five lines (a big
    but real order, so scans per order stay realistic): (session token, order)."""
    from sqlalchemy import insert

    from app.auth import token_hash
    from app.db import tables
    from app.db.engine import open_database
    from app.db.mapping import start_mappers
    from tests.support.shop import NOW, add_order, seed_shop

    start_mappers()
    db = open_database(url)
    pairs = []
    async with db.writing() as session:
        shop = await seed_shop(session)
        for i in range(PICKERS):
            staff_id = (await session.execute(insert(tables.staff).values(
                store_id=shop.store_id, personnel_no=f"7{i:03d}", name=f"Picker {i}",
                role="picker", password_hash="x", language="en", active=True,
                failed_logins=0).returning(tables.staff.c.id))).scalar_one()
            order_id = await add_order(session, shop, ORDER)
            await session.execute(tables.orders.update().where(tables.orders.c.id == order_id)
                                  .values(status="picking", picker_id=staff_id))
            token = secrets.token_urlsafe(16)
            await session.execute(insert(tables.staff_sessions).values(
                token_hash=token_hash(token), staff_id=staff_id, created_at=NOW,
                expires_at=NOW + timedelta(days=3650)))
            pairs.append((token, order_id))
        await session.commit()
    await db.dispose()
    return pairs


def start(target: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", target, "--port", str(port),
         "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_for_http(base + "/healthz")
    return proc, base


class Picker:
    """One picker's HTTP client: session cookie, CSRF token, scan URL."""

    def __init__(self, base: str, token: str, order_id: int, client: httpx.AsyncClient) -> None:
        self.base, self.token, self.order_id, self.client = base, token, order_id, client
        self.csrf = ""

    async def prepare(self) -> None:
        page = await self.client.get(f"{self.base}/pick/{self.order_id}",
                                     cookies={"sp_session": self.token})
        found = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        self.csrf = found.group(1) if found else ""
        self.cookies = {"sp_session": self.token, "sp_csrf": page.cookies.get("sp_csrf", "")}

    async def scan(self) -> tuple[float, int, int]:
        from tests.support.shop import BREAD, CHOCOLATE_EAN8, MILK, PIZZA, WATER_UPC

        self.scanned = getattr(self, "scanned", 0) + 1
        code = (MILK, BREAD, WATER_UPC, PIZZA, CHOCOLATE_EAN8)[self.scanned % 5]
        started = time.perf_counter()
        try:
            response = await self.client.post(
                f"{self.base}/pick/{self.order_id}/scan",
                data={"code": code, "scan_id": secrets.token_hex(8)},
                headers={"HX-Request": "true", "x-csrftoken": self.csrf,
                         "accept-encoding": "gzip"},
                cookies=self.cookies)
        except httpx.HTTPError:  # a dropped or timed-out request is an error, not a crash
            return time.perf_counter() - started, 0, 0
        return time.perf_counter() - started, response.status_code, len(response.content)


async def open_loop(pickers: list[Picker], rate: float, seconds: float) -> dict[str, float]:
    interval, tasks = 1 / rate, []
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        delay = start + i * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(pickers[i % len(pickers)].scan()))
    results = await asyncio.gather(*tasks)
    latencies = [r[0] * 1000 for r in results]
    return {"p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
            "errors": sum(1 for r in results if r[1] != 200)}


async def closed_loop(pickers: list[Picker], seconds: float, workers: int = 16) -> float:
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker(k: int) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            _latency, status, _size = await pickers[(k + done) % len(pickers)].scan()
            done += status == 200

    started = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(workers)))
    return done / (time.perf_counter() - started)


async def measure(base: str, pairs: list[tuple[str, int]], rates: list[float],
                  seconds: float) -> tuple[list[dict[str, float]], float, int]:
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        pickers = [Picker(base, t, o, client) for t, o in pairs]
        await asyncio.gather(*(p.prepare() for p in pickers))
        _, _, size = await pickers[0].scan()
        rows = [await open_loop(pickers, rate, seconds) | {"rate": rate} for rate in rates]
        peak = await closed_loop(pickers, seconds)
    return rows, peak, size


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rates", default="25,50,100")
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rates.split(",")]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, target in (("storepick", "benchmarks.apps:storepick_app"),
                             ("bare stack", "benchmarks.apps:bare_app")):
            url = f"sqlite+aiosqlite:///{tmp}/{name.replace(' ', '_')}.db"
            from app.db.migrate import upgrade
            upgrade(url)
            pairs = asyncio.run(seed(url))
            proc, base = start(target, {"DATABASE_URL": url, "STOREPICK_RUN_RELAY": "0"})
            try:
                results[name] = asyncio.run(measure(base, pairs, rates, args.seconds))
            finally:
                proc.terminate()
                proc.wait(10)
    rows = []
    for name, (loops, peak, size) in results.items():
        for loop in loops:
            rows.append([name, f"{loop['rate']:.0f}/s", f"{loop['p50']:.1f}", f"{loop['p99']:.1f}",
                         str(int(loop["errors"])), f"{peak:.0f}", str(size)])
    print_table("Scan verification on SQLite (open loop; peak = 16 closed-loop workers)",
                ["server", "offered", "p50 ms", "p99 ms", "errors", "peak req/s",
                 "fragment bytes (gzip)"], rows)
    ratio = results["storepick"][1] / results["bare stack"][1]
    print(f"storepick peak / bare stack peak = {ratio:.2f} (budget: >= 0.5)")


if __name__ == "__main__":
    main()
