"""Scale-out: scans on PostgreSQL with one and two processes, against SQLite (issue #17.4).

Same load generator as ``benchmarks.scan`` (open loop at fixed rates for p50/p99,
then 16 closed-loop workers for the peak), same seed (50 pickers on orders of 150
items), relay off, each server in its own process(es) under uvicorn. The baseline
is one process on SQLite, measured in the same run; every configuration must
answer its scans with 200 before it is measured. For PostgreSQL the table also
gives the database sessions opened while the load ran (``pg_stat_database.sessions``):
with one listening and one publishing connection per process, that stays near
zero whatever the number of scans.

    python -m benchmarks.scale [--seconds 5] [--rates 25,50,100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import asyncpg
import httpx

from app.live_pg import dsn_of
from app.local_postgres import Cluster, start_cluster
from benchmarks import scan
from benchmarks.common import print_table, wait_for_http
from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parent.parent


TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU of ``root`` and every process below it (from /proc)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / TICK
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo += [child for child, parent in parents.items() if parent == pid]
    return total


def postmaster_pid(cluster: Cluster) -> int:
    return int((cluster.data_dir / "postmaster.pid").read_text().split()[0])


def start(env: dict[str, str], workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    # Served as `make run-scaled` serves it (python -m app serve --workers N: uvicorn
    # with the app's own protocol), so what is measured is what runs.
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers)], cwd=ROOT,
        env={**os.environ, "STOREPICK_ENV": "development", **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_for_http(base + "/healthz", timeout=60)
    return proc, base


async def pg_stats(url: str) -> tuple[int, int, int]:
    """Sessions ever opened to the database, its size in bytes, and its scans."""
    conn = await asyncpg.connect(dsn_of(url))
    try:
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        sessions = await conn.fetchval(
            "SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        size = await conn.fetchval("SELECT pg_database_size(current_database())")
        scans = await conn.fetchval("SELECT count(*) FROM scans")
        return int(sessions), int(size), int(scans)
    finally:
        await conn.close()


async def answers(base: str, pairs: list[tuple[str, int]]) -> int:
    async with httpx.AsyncClient(timeout=30) as client:
        picker = scan.Picker(base, *pairs[0], client)
        await picker.prepare()
        return (await picker.scan())[1]


def database(cluster: Cluster | None, tmp: str, name: str) -> str:
    from app.db.migrate import upgrade

    if cluster is None:
        url = f"sqlite+aiosqlite:///{tmp}/{name}.db"
    else:
        cluster.psql(f"CREATE DATABASE {name}")
        url = cluster.url(name)
    upgrade(url)
    return url


def run_one(cluster: Cluster | None, tmp: str, name: str, workers: int, rates: list[float],
            seconds: float) -> dict[str, object]:
    url = database(cluster, tmp, name)
    pairs = asyncio.run(scan.seed(url))
    proc, base = start({"DATABASE_URL": url, "STOREPICK_RUN_RELAY": "0"}, workers)
    try:
        status = asyncio.run(answers(base, pairs))
        if status != 200:
            raise RuntimeError(f"{name}: a scan answered {status}; nothing measured")
        asyncio.run(scan.warm_up(base, pairs))  # every configuration alike, not measured
        before = asyncio.run(pg_stats(url)) if cluster else (0, 0, 0)
        cpu_app = tree_cpu_seconds(proc.pid)
        cpu_db = tree_cpu_seconds(postmaster_pid(cluster)) if cluster else 0.0
        loops, peak, _size, _cpu = asyncio.run(scan.measure(base, pairs, rates, seconds))
        cpu_app = tree_cpu_seconds(proc.pid) - cpu_app
        cpu_db = (tree_cpu_seconds(postmaster_pid(cluster)) - cpu_db) if cluster else 0.0
        after = asyncio.run(pg_stats(url)) if cluster else (0, 0, 0)
    finally:
        proc.terminate()
        proc.wait(20)
    # Every scan sent: the open-loop ones plus the closed loop's (its successes, at peak).
    scans = sum(int(r * seconds) for r in rates) + peak * seconds
    stored = after[2] - before[2]
    return {"loops": loops, "peak": peak,
            "sessions": after[0] - before[0] if cluster else None,
            "bytes_per_scan": (after[1] - before[1]) / stored if cluster and stored else None,
            "scans": scans, "cpu_app": cpu_app * 1000 / scans,
            "cpu_db": cpu_db * 1000 / scans if cluster else None}


CONFIGS = (("SQLite, 1 process (baseline)", False, 1), ("PostgreSQL, 1 process", True, 1),
           ("PostgreSQL, 2 processes", True, 2))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rates", default="25,50,100")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of all three configurations, one after the other, so "
                             "each ratio compares runs minutes apart; medians are printed")
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rates.split(",")]
    cluster = start_cluster()
    rounds: list[dict[str, dict[str, object]]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for k in range(args.repeat):
                results: dict[str, dict[str, object]] = {}
                for name, pg, workers in CONFIGS:
                    slug = f"bench_{'pg' if pg else 'sqlite'}_{workers}_{k}"
                    print(f"round {k + 1}: measuring {name} ...", flush=True)
                    results[name] = run_one(cluster if pg else None, tmp, slug, workers,
                                            rates, args.seconds)
                rounds.append(results)
    finally:
        cluster.stop()
    for k, results in enumerate(rounds):
        print_round(results, f"round {k + 1} of {len(rounds)}: " if len(rounds) > 1 else "")
    if len(rounds) > 1:
        print_medians(rounds)
    print(f"load average during the run: {os.getloadavg()[0]:.1f} (1 min); CPU per scan is "
          "process CPU time over every scan sent, the figure least bent by a busy machine")


def print_round(results: dict[str, dict[str, object]], title: str) -> None:
    rows = []
    base_peak = float(results[CONFIGS[0][0]]["peak"])  # type: ignore[arg-type]
    for name, result in results.items():
        peak = float(result["peak"])  # type: ignore[arg-type]
        for loop in result["loops"]:  # type: ignore[attr-defined]
            rows.append([name, f"{loop['rate']:.0f}/s", f"{loop['p50']:.1f}",
                         f"{loop['p99']:.1f}", str(int(loop["errors"])), f"{peak:.0f}",
                         f"{peak / base_peak:.2f}", f"{result['cpu_app']:.1f}",
                         "-" if result["cpu_db"] is None else f"{result['cpu_db']:.1f}",
                         "-" if result["sessions"] is None else str(result["sessions"]),
                         "-" if result["bytes_per_scan"] is None
                         else f"{result['bytes_per_scan']:.0f}"])
    print_table(f"{title}Scans on {os.cpu_count()} cores (shared, busy machine), relay off; "
                "peak = 16 closed-loop workers; ratio = peak / SQLite's peak",
                ["server", "offered", "p50 ms", "p99 ms", "errors", "peak req/s", "ratio",
                 "app CPU ms/scan", "PG CPU ms/scan", "PG sessions opened",
                 "PG bytes/scan"], rows)


def print_medians(rounds: list[dict[str, dict[str, object]]]) -> None:
    """Each configuration's peak ratio per round (against that round's SQLite) and the
    median, with the median CPU per scan: what the README quotes."""
    rows = []
    for name, _pg, _workers in CONFIGS:
        ratios = [float(r[name]["peak"]) / float(r[CONFIGS[0][0]]["peak"])  # type: ignore[arg-type]
                  for r in rounds]
        peaks = [float(r[name]["peak"]) for r in rounds]  # type: ignore[arg-type]
        app = [float(r[name]["cpu_app"]) for r in rounds]  # type: ignore[arg-type]
        db = [float(r[name]["cpu_db"]) for r in rounds  # type: ignore[arg-type]
              if r[name]["cpu_db"] is not None]
        rows.append([name, ", ".join(f"{x:.2f}" for x in ratios),
                     f"{statistics.median(ratios):.2f}", f"{statistics.median(peaks):.0f}",
                     f"{statistics.median(app):.2f}",
                     f"{statistics.median(db):.2f}" if db else "-"])
    print_table(f"Medians over {len(rounds)} rounds (each ratio against its own round's SQLite)",
                ["server", "peak / SQLite, per round", "median", "median peak req/s",
                 "median app CPU ms/scan", "median PG CPU ms/scan"], rows)


if __name__ == "__main__":
    main()
