"""Instructions per scan, counted by valgrind's callgrind: the bare stack, storepick on
SQLite and storepick on PostgreSQL, in one run (issue #17 items 1 and 4).

CPU time on a shared machine moves by a third from one run to the next; the number
of instructions a server executes for the same scans does not (the same count twice
to within a fraction of a percent, whatever else the machine is doing). Each server
runs under callgrind with counting off; after the same warm-up, counting is switched
on for ``--scans`` scans (one at a time, each must answer 200) and off again. What is
counted: every instruction of the server process in user space, all its threads
(aiosqlite's, the inline writer's loop). What is not: the kernel (socket and file
system calls) and, for PostgreSQL, the database server's own process. Under
callgrind a server runs about 50 times slower, so timing figures mean nothing here; and
with the relay on, each scan's event has a round of its own (the 50 ms linger ends long
before the next scan), the relay's dearest case, where at 25-50 scans/s a round carries
a few events.

    python -m benchmarks.instructions [--scans 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from benchmarks import scan
from benchmarks.common import print_table, wait_for_http
from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 20


def start(target: str, url: str, out: Path, env: dict[str, str]
          ) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
         sys.executable, "-m", "uvicorn", "--factory", target, "--port", str(port),
         "--log-level", "warning", "--no-access-log", "--http", "h11", "--loop", "asyncio"],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": url, "STOREPICK_RUN_RELAY": "0", **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_for_http(base + "/healthz", timeout=900)
    return proc, base


def counted(out: Path) -> int:
    """The instructions callgrind counted (its ``totals`` line), over every dump."""
    total = 0
    for path in [out, *out.parent.glob(out.name + ".*")]:
        for line in path.read_text(errors="replace").splitlines():
            found = re.match(r"totals:\s+(\d+)", line)
            if found:
                total += int(found.group(1))
                break
    return total


async def scans(base: str, pairs: list[tuple[str, int]], pid: int, n: int) -> int:
    """``n`` scans counted after a warm-up; how many answered 200."""
    async with httpx.AsyncClient(timeout=300) as client:
        pickers = [scan.Picker(base, token, order, client) for token, order in pairs[:8]]
        for picker in pickers:
            await picker.prepare()
        for i in range(WARM_UP):
            await pickers[i % len(pickers)].scan()
        await instrument(pid, "on")
        ok = 0
        for i in range(n):
            ok += (await pickers[i % len(pickers)].scan())[1] == 200
        await instrument(pid, "off")
        return ok


async def instrument(pid: int, state: str) -> None:
    """Switch callgrind's counting in the server on or off (``callgrind_control``)."""
    control = await asyncio.create_subprocess_exec(
        "callgrind_control", "--instr", state, str(pid),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    if await control.wait() != 0:
        raise RuntimeError(f"callgrind_control could not switch counting {state}")


def measure(name: str, target: str, url: str, tmp: str, n: int, relay: bool = False) -> float:
    pairs = asyncio.run(scan.seed(url))
    out = Path(tmp) / f"{name}.callgrind"
    env: dict[str, str] = {}
    oms = None
    if relay:  # every event sent to the OMS simulator over real HTTP, as in benchmarks.scan
        oms, oms_base = scan.start_oms(tmp)
        env = {"STOREPICK_RUN_RELAY": "1", "STOREPICK_OMS_EVENTS_URL": oms_base + "/events",
               "STOREPICK_OMS_BATCH_URL": oms_base + "/events/batch"}
    proc, base = start(target, url, out, env)
    try:
        ok = asyncio.run(scans(base, pairs, proc.pid, n))
    finally:
        proc.terminate()
        proc.wait(120)
        if oms is not None:
            oms.terminate()
            oms.wait(20)
    if ok != n:  # a failing server makes every ratio a lie
        raise RuntimeError(f"{name}: {n - ok} of {n} scans did not answer 200")
    return counted(out) / n


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scans", type=int, default=100)
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind): nothing measured")
        return
    from app.db.migrate import upgrade
    from app.local_postgres import find_bin_dir, start_cluster

    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, target, relay in (
                ("bare stack, SQLite (baseline)", "benchmarks.apps:bare_app", False),
                ("storepick, SQLite", "benchmarks.apps:storepick_app", False),
                ("storepick + relay, SQLite", "benchmarks.apps:storepick_app", True)):
            url = f"sqlite+aiosqlite:///{tmp}/{len(rows)}.db"
            upgrade(url)
            print(f"counting {name} ...", flush=True)
            rows.append((name, measure(f"c{len(rows)}", target, url, tmp, args.scans, relay)))
        if find_bin_dir() is not None:
            cluster = start_cluster()
            try:
                cluster.psql("CREATE DATABASE instructions")
                url = cluster.url("instructions")
                upgrade(url)
                print("counting storepick, PostgreSQL ...", flush=True)
                rows.append(("storepick, PostgreSQL", measure(
                    "pg", "benchmarks.apps:storepick_app", url, tmp, args.scans)))
            finally:
                cluster.stop()
    bare, sqlite = rows[0][1], rows[1][1]
    print_table(
        f"Instructions per scan (callgrind, {args.scans} scans after {WARM_UP}, one at a "
        "time, relay off, uvicorn h11; user space of the server process only)",
        ["server", "instructions/scan", "× bare stack", "× storepick on SQLite"],
        [[name, f"{value / 1e6:.2f} M", f"{value / bare:.2f}", f"{value / sqlite:.2f}"]
         for name, value in rows])


if __name__ == "__main__":
    main()
