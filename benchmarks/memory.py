"""Memory of one app process (issue #17.5): RSS at idle, after 10,000 scans, with 500
live board streams open, and after they close; and a soak that keeps scanning and
opening/closing streams, sampling RSS, to show whether it grows.

The server runs alone under uvicorn (one process, relay off); RSS is read from
/proc. The baseline is the same process at idle, in the same run.

    python -m benchmarks.memory [--db sqlite|postgresql] [--scans 10000] [--streams 500]
                                [--rounds 4]     # streams opened and closed 4 times
    python -m benchmarks.memory --soak-minutes 30   # 25 scans/s, 100 streams opened and
                                                    # closed every minute, RSS every 30 s
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

from app.local_postgres import Cluster, start_cluster
from benchmarks import scan
from benchmarks.common import print_table, wait_for_http
from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parent.parent
BIG_ORDER = dict.fromkeys(scan.ORDER, 200)  # 50 pickers x 1,000 items: 50,000 scans (a 30-min soak)


async def sqlite_heap_mb(client: httpx.AsyncClient, base: str) -> float | None:
    """What SQLite itself holds in the server (``sqlite3_memory_used()``: its page caches,
    schemas and statements), asked through the benchmark's own path on the server
    (``benchmarks.apps:storepick_probed_app``). A soak's growth that this accounts for
    is SQLite filling its caches as the database grows, not the app keeping memory."""
    try:
        answer = await client.get(base + "/_bench/sqlite-heap")
    except httpx.HTTPError:
        return None
    return int(answer.text) / 2**20 if answer.status_code == 200 else None


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def seed(url: str) -> tuple[list[tuple[str, int]], str]:
    """The scan benchmark's store (bigger orders) plus a supervisor's session token."""
    from sqlalchemy import insert, select

    from app.auth import token_hash
    from app.db import tables
    from app.db.engine import open_database
    from tests.support.shop import NOW

    scan.ORDER, saved = BIG_ORDER, scan.ORDER
    try:
        pairs = await scan.seed(url)
    finally:
        scan.ORDER = saved
    db = open_database(url)
    token = secrets.token_urlsafe(16)
    async with db.writing() as session:
        store_id = (await session.execute(select(tables.stores.c.id))).scalars().first()
        staff_id = (await session.execute(insert(tables.staff).values(
            store_id=store_id, personnel_no="6999", name="Bench supervisor",
            role="supervisor", password_hash="x", language="en", active=True,
            failed_logins=0).returning(tables.staff.c.id))).scalar_one()
        await session.execute(insert(tables.staff_sessions).values(
            token_hash=token_hash(token), staff_id=staff_id, created_at=NOW,
            expires_at=NOW + timedelta(days=3650)))
        await session.commit()
    await db.dispose()
    return pairs, token


def start(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "benchmarks.apps:storepick_probed_app",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": url, "STOREPICK_RUN_RELAY": "0"},
        stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_for_http(base + "/healthz", timeout=60)
    return proc, base


async def scans(pickers: list[scan.Picker], count: int, workers: int = 16) -> int:
    """``count`` scans by closed-loop workers; returns how many answered 200."""
    left, ok = count, 0

    async def worker(k: int) -> None:
        nonlocal left, ok
        while left > 0:
            left -= 1
            _, status, _ = await pickers[(k + left) % len(pickers)].scan()
            ok += status == 200

    await asyncio.gather(*(worker(k) for k in range(workers)))
    return ok


async def open_streams(base: str, token: str, count: int, stack: contextlib.AsyncExitStack
                       ) -> int:
    """Open ``count`` board streams and wait for each one's first board; returns how
    many got it."""
    client = await stack.enter_async_context(httpx.AsyncClient(
        base_url=base, timeout=120, cookies={"sp_session": token},
        limits=httpx.Limits(max_connections=count + 10, max_keepalive_connections=0)))

    async def one() -> bool:
        response = await stack.enter_async_context(client.stream("GET", "/board/live"))
        if response.status_code != 200:
            return False
        lines = response.aiter_lines()
        async for line in lines:
            if line.startswith("event:"):
                return True
        return False

    opened = 0
    for start_at in range(0, count, 50):  # 50 at a time, as phones come in
        opened += sum(await asyncio.gather(*(one() for _ in range(min(50, count - start_at)))))
    return opened


async def settle(pid: int, seconds: float = 3) -> float:
    await asyncio.sleep(seconds)
    return rss_mb(pid)


async def measure(base: str, pid: int, pairs: list[tuple[str, int]], token: str,
                  n_scans: int, n_streams: int, rounds: int = 4) -> list[list[str]]:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    rows: list[list[str]] = []
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        pickers = [scan.Picker(base, t, o, client) for t, o in pairs]
        await asyncio.gather(*(p.prepare() for p in pickers))
        if (await pickers[0].scan())[1] != 200:
            raise RuntimeError("a scan did not answer 200; nothing measured")
        idle = await settle(pid)
        rows.append(["idle (after start and one scan)", f"{idle:.1f}", "1.00", ""])
        started = time.perf_counter()
        ok = await scans(pickers, n_scans)
        took = time.perf_counter() - started
        after = await settle(pid)
        rows.append([f"after {n_scans:,} scans", f"{after:.1f}", f"{after / idle:.2f}",
                     f"{ok:,} answered 200 in {took:.0f} s"])
        async with contextlib.AsyncExitStack() as stack:
            started = time.perf_counter()
            opened = await open_streams(base, token, n_streams, stack)
            took = time.perf_counter() - started
            held = await settle(pid)
            rows.append([f"{n_streams} board streams open", f"{held:.1f}",
                         f"{held / idle:.2f}",
                         f"{opened} got their board in {took:.0f} s; "
                         f"{(held - after) * 1024 / max(opened, 1):.0f} KB per stream"])
        closed = await settle(pid, 5)
        rows.append(["after they close", f"{closed:.1f}", f"{closed / idle:.2f}",
                     f"{(held - closed) / max(held - after, 1e-9) * 100:.0f} % of the "
                     "streams' memory given back"])
        # Kept for reuse or leaked? The same streams again, ``rounds`` times: memory the
        # allocator kept serves them, so a leak-free process levels off.
        for round_no in range(2, rounds + 1):
            async with contextlib.AsyncExitStack() as stack:
                again = await open_streams(base, token, n_streams, stack)
                await settle(pid)
            closed_again = await settle(pid, 5)
            rows.append([f"after round {round_no} of {n_streams} streams closes",
                         f"{closed_again:.1f}", f"{closed_again / idle:.2f}",
                         f"{again} got their board; {closed_again - closed:+.1f} MB against "
                         "the first close"])
    return rows


async def soak(base: str, pid: int, pairs: list[tuple[str, int]], token: str,
               minutes: float) -> list[list[str]]:
    """25 scans/s; every minute 100 streams open, stay 20 s, close; RSS every 30 s."""
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    samples: list[tuple[float, float, float | None, int]] = []
    done = 0
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        pickers = [scan.Picker(base, t, o, client) for t, o in pairs]
        await asyncio.gather(*(p.prepare() for p in pickers))
        begin = time.perf_counter()
        end = begin + minutes * 60

        async def scanning() -> None:
            nonlocal done
            i = 0
            while time.perf_counter() < end:
                _, status, _ = await pickers[i % len(pickers)].scan()
                done += status == 200
                i += 1
                await asyncio.sleep(max(0.0, begin + i / 25 - time.perf_counter()))

        async def streaming() -> None:
            while time.perf_counter() < end - 30:
                async with contextlib.AsyncExitStack() as stack:
                    await open_streams(base, token, 100, stack)
                    await asyncio.sleep(20)
                await asyncio.sleep(40)

        async def sampling() -> None:
            while True:
                heap = await sqlite_heap_mb(client, base)
                samples.append((time.perf_counter() - begin, rss_mb(pid), heap, done))
                if time.perf_counter() >= end:
                    break
                await asyncio.sleep(min(30.0, max(0.0, end - time.perf_counter())))

        await asyncio.gather(scanning(), streaming(), sampling())
    first = samples[min(2, len(samples) - 1)]  # after a minute of warm-up
    rows = []
    for t, mb, heap, n in samples:
        rest = "-" if heap is None or first[2] is None else \
            f"{mb - heap:.1f} ({mb - heap - (first[1] - first[2]):+.1f})"
        rows.append([f"{t / 60:.1f}", f"{mb:.1f}", f"{mb - first[1]:+.1f}",
                     "-" if heap is None else f"{heap:.1f}", rest, f"{n:,}"])
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--scans", type=int, default=10_000)
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=4,
                        help="times the streams are opened and closed")
    parser.add_argument("--soak-minutes", type=float, default=0)
    args = parser.parse_args(argv)
    from app.db.migrate import upgrade

    cluster: Cluster | None = None
    with tempfile.TemporaryDirectory() as tmp:
        if args.db == "postgresql":
            cluster = start_cluster()
            cluster.psql("CREATE DATABASE bench_memory")
            url = cluster.url("bench_memory")
        else:
            url = f"sqlite+aiosqlite:///{tmp}/memory.db"
        try:
            upgrade(url)
            pairs, token = asyncio.run(seed(url))
            proc, base = start(url)
            try:
                if args.soak_minutes:
                    rows = asyncio.run(soak(base, proc.pid, pairs, token, args.soak_minutes))
                    print_table(f"Soak, one process on {args.db}, {os.cpu_count()} cores "
                                "(shared, busy machine): 25 scans/s, 100 board streams "
                                "opened and closed every minute",
                                ["minute", "RSS MB", "vs minute 1", "SQLite's heap MB",
                                 "RSS less SQLite's heap (vs minute 1)",
                                 "scans answered 200"],
                                rows)
                else:
                    rows = asyncio.run(measure(base, proc.pid, pairs, token, args.scans,
                                               args.streams, args.rounds))
                    print_table(f"RSS of one process on {args.db}, {os.cpu_count()} cores "
                                "(shared, busy machine); ratio against idle",
                                ["state", "RSS MB", "ratio", "notes"], rows)
            finally:
                proc.terminate()
                proc.wait(20)
        finally:
            if cluster is not None:
                cluster.stop()


if __name__ == "__main__":
    main()
