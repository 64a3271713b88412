"""Scan verification under load: storepick vs the bare stack, on SQLite.

One scan = one read, one write, one fragment. Each server runs in its own
process (uvicorn on uvloop, as ``make run`` serves both); the load generator is
open-loop (requests leave on a fixed schedule whatever the server does, so a slow
server cannot slow the clock) for latency, and closed-loop with 16 workers for peak
throughput.

    python -m benchmarks.scan [--seconds 8] [--rates 25,50,100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import statistics
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
WARM_UP = 300  # scans before the CPU is measured, for every server alike
ORDER = {"milk": 60, "bread": 60, "water": 60, "pizza": 60, "chocolate": 60}
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
         "--log-level", "warning", "--no-access-log", "--loop", "uvloop"],
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


async def open_loop(pickers: list[Picker], rate: float, seconds: float,
                    pid: int | None = None) -> dict[str, float]:
    """Scans sent at ``rate`` for ``seconds``; with ``pid``, also the server's CPU per
    answered scan over the phase (what a scan costs at that rate, relay rounds included)."""
    interval, tasks = 1 / rate, []
    cpu_before = cpu_seconds(pid) if pid is not None else 0.0
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        delay = start + i * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(pickers[i % len(pickers)].scan()))
    results = await asyncio.gather(*tasks)
    if pid is not None:
        await asyncio.sleep(0.2)  # the relay's round after the last scan
    answered = sum(1 for r in results if r[1] == 200)
    latencies = [r[0] * 1000 for r in results]
    cpu = (cpu_seconds(pid) - cpu_before) * 1000 / max(answered, 1) if pid is not None else 0.0
    return {"p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
            "errors": sum(1 for r in results if r[1] != 200), "cpu": cpu}


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def cpu_per_scan(pickers: list[Picker], pid: int, scans: int, workers: int = 4
                       ) -> tuple[float, int]:
    """Server CPU milliseconds per answered scan over a fixed number of scans (process CPU
    time, robust on a busy machine where wall-clock latency is not), and the errors."""
    left, errors = scans, 0

    async def worker(k: int) -> None:
        nonlocal left, errors
        while left > 0:
            left -= 1
            _latency, status, _size = await pickers[(k * 7 + left) % len(pickers)].scan()
            errors += status != 200

    before = cpu_seconds(pid)
    await asyncio.gather(*(worker(k) for k in range(workers)))
    return (cpu_seconds(pid) - before) * 1000 / scans, errors


async def warm_up(base: str, pairs: list[tuple[str, int]], scans: int = WARM_UP) -> None:
    """Scans not measured (statements compiled, templates loaded, caches filled)."""
    async with httpx.AsyncClient(timeout=30) as client:
        pickers = [Picker(base, t, o, client) for t, o in pairs]
        await asyncio.gather(*(p.prepare() for p in pickers))
        for k in range(scans):
            await pickers[k % len(pickers)].scan()


async def measure(base: str, pairs: list[tuple[str, int]], rates: list[float],
                  seconds: float, pid: int | None = None, scans: int = 0
                  ) -> tuple[list[dict[str, float]], float, int, tuple[float, int]]:
    """Open-loop latency at each rate, then the closed-loop peak; first, when ``pid``
    is given, the server's CPU per scan over ``scans`` after a warm-up (the same
    number of scans for every server: the CPU per scan is the steady state's)."""
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        pickers = [Picker(base, t, o, client) for t, o in pairs]
        await asyncio.gather(*(p.prepare() for p in pickers))
        _, _, size = await pickers[0].scan()
        cpu = (0.0, 0)
        if pid is not None and scans:
            await cpu_per_scan(pickers, pid, WARM_UP)
            cpu = await cpu_per_scan(pickers, pid, scans)
        rows = [await open_loop(pickers, rate, seconds, pid) | {"rate": rate}
                for rate in rates]
        peak = await closed_loop(pickers, seconds)
    return rows, peak, size, cpu


SERVERS = (("storepick", "benchmarks.apps:storepick_app", "0"),
           ("storepick + relay", "benchmarks.apps:storepick_app", "1"),
           ("bare stack", "benchmarks.apps:bare_app", "0"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rates", default="25,50,100,200")
    parser.add_argument("--scans", type=int, default=1500,
                        help="scans for the CPU-per-scan measurement")
    parser.add_argument("--servers", default=",".join(name for name, _, _ in SERVERS),
                        help="which servers to run (comma-separated names; the bare stack "
                             "is always run: it is the baseline)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of every server, one after the other, so each ratio "
                             "compares runs minutes apart; medians are printed")
    args = parser.parse_args(argv)
    chosen = {n.strip() for n in args.servers.split(",")} | {"bare stack"}
    rates = [float(r) for r in args.rates.split(",") if r]
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.repeat):
            rounds.append(run_round(tmp, k, chosen, rates, args.seconds, args.scans))
    for k, results in enumerate(rounds):
        print_round(results, args.scans, f"round {k + 1} of {len(rounds)}: "
                    if len(rounds) > 1 else "")
    if len(rounds) > 1:
        print_medians(rounds)


Result = tuple[list[dict[str, float]], float, int, tuple[float, int]]


def run_round(tmp: str, k: int, chosen: set[str], rates: list[float], seconds: float,
              scans: int) -> dict[str, Result]:
    from app.db.migrate import upgrade

    results = {}
    for name, target, relay in (server for server in SERVERS if server[0] in chosen):
        slug = name.replace(" ", "_").replace("+", "")
        url = f"sqlite+aiosqlite:///{tmp}/{slug}_{k}.db"
        upgrade(url)
        pairs = asyncio.run(seed(url))
        oms = None
        env = {"DATABASE_URL": url, "STOREPICK_RUN_RELAY": relay}
        if relay == "1":  # the relay sends every event to a real HTTP OMS simulator
            oms, oms_base = start_oms(tmp)
            env |= {"STOREPICK_OMS_EVENTS_URL": oms_base + "/events",
                    "STOREPICK_OMS_BATCH_URL": oms_base + "/events/batch"}
        proc, base = start(target, env)
        try:
            results[name] = asyncio.run(measure(base, pairs, rates, seconds, proc.pid, scans))
        finally:
            proc.terminate()
            proc.wait(10)
            if oms is not None:
                oms.terminate()
                oms.wait(10)
    return results


def print_round(results: dict[str, Result], scans: int, title: str) -> None:
    rows = []
    for name, (loops, peak, size, (cpu, cpu_errors)) in results.items():
        for loop in loops:
            rows.append([name, f"{loop['rate']:.0f}/s", f"{loop['p50']:.1f}", f"{loop['p99']:.1f}",
                         str(int(loop["errors"])), f"{loop['cpu']:.2f}", f"{peak:.0f}",
                         f"{cpu:.2f}", str(cpu_errors), str(size)])
    print_table(f"{title}Scan verification on SQLite, one process (open loop; peak = 16 "
                f"closed-loop workers; CPU = server process CPU per scan over {scans} scans "
                f"after {WARM_UP} not counted)",
                ["server", "offered", "p50 ms", "p99 ms", "errors", "CPU ms/scan at rate",
                 "peak req/s", "CPU ms/scan", "CPU-run errors", "fragment bytes (gzip)"], rows)
    bare = results["bare stack"]
    for name in (n for n in ("storepick", "storepick + relay") if n in results):
        at_rates = ", ".join(
            f"{ours['rate']:.0f}/s {ours['cpu'] / theirs['cpu']:.2f}"
            for ours, theirs in zip(results[name][0], bare[0], strict=True) if theirs["cpu"])
        print(f"{name}: CPU per scan / bare stack = {results[name][3][0] / bare[3][0]:.2f} "
              f"(budget <= 1.5; at the open-loop rates: {at_rates}); "
              f"peak / bare peak = {results[name][1] / bare[1]:.2f}")


def print_medians(rounds: list[dict[str, Result]]) -> None:
    """Per server: CPU per scan and its ratio to the same round's bare stack, p99 at each
    rate, errors, and the peak's ratio, each round's and the median."""
    def cell(values: list[float], digits: int = 2) -> str:
        listed = ", ".join(f"{v:.{digits}f}" for v in values)
        return f"{listed} (median {statistics.median(values):.{digits}f})"

    rows = []
    for name in rounds[0]:
        cpu = [r[name][3][0] for r in rounds]
        ratio = [r[name][3][0] / r["bare stack"][3][0] for r in rounds]
        peak = [r[name][1] / r["bare stack"][1] for r in rounds]
        p99 = "; ".join(
            f"{loop['rate']:.0f}/s: " + cell([r[name][0][i]["p99"] for r in rounds], 1)
            for i, loop in enumerate(rounds[0][name][0]))
        errors = sum(int(loop["errors"]) + r[name][3][1] for r in rounds
                     for loop in r[name][0])
        rows.append([name, cell(cpu), cell(ratio), p99, str(errors), cell(peak)])
    print_table(f"Over {len(rounds)} rounds (ratios against the same round's bare stack)",
                ["server", "CPU ms/scan", "× bare", "p99 ms", "errors", "peak / bare"], rows)


def start_oms(tmp: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sync.simulator", "--host", "127.0.0.1", "--port", str(port),
         "--no-push"],
        cwd=ROOT, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_for_http(base + "/")
    return proc, base


if __name__ == "__main__":
    main()
