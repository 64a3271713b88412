"""Outbox relay: throughput to a local receiver and lag from commit to receipt.

``python -m benchmarks.relay [--mode batch|single|both]`` runs on SQLite (a
file) and on a throwaway PostgreSQL cluster (skipped when the binaries are
missing) and prints a table. The receiver is ``sync.receiver`` (signed,
deduplicating, sequence-checking) under uvicorn in its own process, so relay
and receiver do not share a GIL. ``batch`` posts up to ``batch_size`` events
of different orders per request (``/events/batch``); ``single`` one event per
request. After each run the receiver's ledger is checked: every order's
sequences exactly 1..n, no gaps, no overlapping sends. Budget (DESIGN.md):
at least 1,000 events/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from app.db import tables
from app.db.engine import open_database
from app.db.migrate import upgrade
from benchmarks.common import wait_for_http
from sync.relay import Relay, RelayConfig
from tests.support.postgres import find_bin_dir, free_port, start_cluster

SECRET = "bench-secret"
BACKLOG, ORDERS = 20_000, 500
LAG_RATE, LAG_SECONDS = 500, 5.0


def rows(count: int, orders: int, first_seq: dict[int, int]) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    out = []
    for i in range(count):
        order = i % orders + 1
        seq = first_seq[order] = first_seq.get(order, 0) + 1
        event_id = str(uuid.uuid4())
        env = {"event_id": event_id, "type": "ItemScanned", "order_id": f"B-{order}",
               "store": "MSK-001", "occurred_at": now.isoformat(), "sequence": seq,
               "payload": {"sku": "milk", "quantity": 1}}
        out.append({"event_id": event_id, "type": "ItemScanned", "order_id": order,
                    "oms_order_id": f"B-{order}", "store_code": "MSK-001", "sequence": seq,
                    "occurred_at": now, "envelope": json.dumps(env), "status": "pending",
                    "attempts": 0, "next_attempt_at": now})
    return out


@contextmanager
def receiver_process() -> Iterator[str]:
    """``sync.receiver`` under uvicorn in a child process; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "sync.receiver:app_from_env",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--no-access-log"], env={**os.environ, "STOREPICK_OMS_SECRET": SECRET})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/stats")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def wait_applied(http: httpx.AsyncClient, base: str, count: int) -> None:
    while (await http.get(base + "/stats")).json()["applied"] < count:  # noqa: ASYNC110
        await asyncio.sleep(0.02)  # the receiver is another process: poll it


async def measure(url: str, base: str, mode: str) -> dict[str, float]:
    db = open_database(url)
    seqs: dict[int, int] = {}
    async with db.writing() as session:
        await session.execute(insert(tables.outbox), rows(BACKLOG, ORDERS, seqs))
        await session.commit()
    batch_url = base + "/events/batch" if mode == "batch" else None
    relay = Relay(db.writing, RelayConfig(url=base + "/events", batch_url=batch_url,
                                          secret=SECRET, idle_seconds=0.05))
    stop = asyncio.Event()
    async with httpx.AsyncClient(timeout=30) as http:
        started = time.perf_counter()
        task = asyncio.create_task(relay.run(stop))
        await wait_applied(http, base, BACKLOG)
        throughput = BACKLOG / (time.perf_counter() - started)
        committed = await steady_load(db, relay, seqs)
        await wait_applied(http, base, BACKLOG + len(committed))
        stop.set()
        await task
        await db.dispose()
        received = (await http.get(base + "/received")).json()
        state = (await http.get(base + "/state")).json()
    lags = sorted((received[e] - t) * 1000 for e, t in committed.items())
    return {"throughput": throughput, "median": statistics.median(lags),
            "p95": lags[int(len(lags) * 0.95)], "gaps": len(state["gaps"]),
            "dups": state["duplicates"], "overlaps": state["overlaps"],
            "bad_orders": bad_orders(state["sequences"], seqs)}


async def steady_load(db: Any, relay: Relay, seqs: dict[int, int]) -> dict[str, float]:
    """Commit LAG_RATE events/s for LAG_SECONDS; returns event_id -> commit time."""
    committed: dict[str, float] = {}
    end = time.monotonic() + LAG_SECONDS
    batch = LAG_RATE // 20
    while time.monotonic() < end:
        fresh = rows(batch, ORDERS, seqs)
        async with db.writing() as session:
            await session.execute(insert(tables.outbox), fresh)
            await session.commit()
        now = time.time()
        committed.update({r["event_id"]: now for r in fresh})
        relay.wake()
        await asyncio.sleep(0.05)
    return committed


def bad_orders(received: dict[str, list[int]], written: dict[int, int]) -> int:
    """Orders whose applied sequences are not exactly 1..n (lost, reordered or extra)."""
    return sum(1 for order, n in written.items()
               if received.get(f"B-{order}") != list(range(1, n + 1)))


def run_engine(url: str, mode: str) -> dict[str, float]:
    upgrade(url)
    with receiver_process() as base:
        return asyncio.run(measure(url, base, mode))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.relay")
    parser.add_argument("--mode", choices=["batch", "single", "both"], default="batch")
    modes = ["batch", "single"] if (mode := parser.parse_args(argv).mode) == "both" else [mode]
    results = {}
    cluster = start_cluster() if find_bin_dir() is not None else None
    try:
        for n, mode in enumerate(modes):
            with tempfile.TemporaryDirectory() as tmp:
                results[f"SQLite {mode}"] = run_engine(
                    f"sqlite+aiosqlite:///{Path(tmp) / 'b.db'}", mode)
            if cluster is not None:
                cluster.psql(f"CREATE DATABASE bench{n}")
                results[f"PostgreSQL {mode}"] = run_engine(cluster.url(f"bench{n}"), mode)
    finally:
        if cluster is not None:
            cluster.stop()
    print(f"\nOutbox relay: {BACKLOG} backlog events over {ORDERS} orders; lag at "
          f"{LAG_RATE} events/s for {LAG_SECONDS:.0f} s (budget >= 1,000 events/s)\n")
    print(f"{'engine':<18}{'events/s':>10}{'lag median':>13}{'lag p95':>10}{'gaps':>6}"
          f"{'dups':>6}{'overlaps':>10}{'bad orders':>12}")
    for name, r in results.items():
        print(f"{name:<18}{r['throughput']:>10,.0f}{r['median']:>10.1f} ms{r['p95']:>7.1f} ms"
              f"{r['gaps']:>6}{r['dups']:>6}{r['overlaps']:>10}{r['bad_orders']:>12}")


if __name__ == "__main__":
    main()
