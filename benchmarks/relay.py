"""Outbox relay: throughput to a local receiver and lag from commit to receipt.

``python -m benchmarks.relay`` runs on SQLite (a file) and on a throwaway
PostgreSQL cluster (skipped when the binaries are missing) and prints a table.
The receiver is the simulator's (signed, deduplicating) in a thread of the
same process. Budget (DESIGN.md): at least 1,000 events/s.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import insert

from app.db import tables
from app.db.engine import open_database
from app.db.migrate import upgrade
from sync.receiver import EventLedger, Faults, ReceiverApp
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


async def measure(url: str, ledger: EventLedger, events_url: str) -> dict[str, float]:
    db = open_database(url)
    seqs: dict[int, int] = {}
    async with db.writing() as session:
        await session.execute(insert(tables.outbox), rows(BACKLOG, ORDERS, seqs))
        await session.commit()
    relay = Relay(db.writing, RelayConfig(url=events_url, secret=SECRET, idle_seconds=0.05))
    stop = asyncio.Event()
    started = time.perf_counter()
    task = asyncio.create_task(relay.run(stop))
    while len(ledger.applied) < BACKLOG:  # noqa: ASYNC110 - the receiver is another thread
        await asyncio.sleep(0.01)
    throughput = BACKLOG / (time.perf_counter() - started)
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
    while not all(e in ledger.received_at for e in committed):  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    stop.set()
    await task
    await db.dispose()
    lags = sorted((ledger.received_at[e] - t) * 1000 for e, t in committed.items())
    return {"throughput": throughput, "median": statistics.median(lags),
            "p95": lags[int(len(lags) * 0.95)], "gaps": len(ledger.gaps),
            "dups": ledger.duplicates}


def run_engine(name: str, url: str) -> dict[str, float]:
    upgrade(url)
    ledger = EventLedger()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(ReceiverApp(ledger, Faults(), SECRET),
                                           host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    try:
        return asyncio.run(measure(url, ledger, f"http://127.0.0.1:{port}/events"))
    finally:
        server.should_exit = True


def main() -> None:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["SQLite"] = run_engine("SQLite", f"sqlite+aiosqlite:///{Path(tmp) / 'b.db'}")
    if find_bin_dir() is not None:
        cluster = start_cluster()
        try:
            cluster.psql("CREATE DATABASE bench")
            results["PostgreSQL"] = run_engine("PostgreSQL", cluster.url("bench"))
        finally:
            cluster.stop()
    print(f"\nOutbox relay: {BACKLOG} backlog events over {ORDERS} orders; lag at "
          f"{LAG_RATE} events/s for {LAG_SECONDS:.0f} s (budget >= 1,000 events/s)\n")
    print(f"{'engine':<12}{'events/s':>10}{'lag median':>13}{'lag p95':>10}{'gaps':>6}{'dups':>6}")
    for name, r in results.items():
        print(f"{name:<12}{r['throughput']:>10,.0f}{r['median']:>10.1f} ms{r['p95']:>7.1f} ms"
              f"{r['gaps']:>6}{r['dups']:>6}")


if __name__ == "__main__":
    main()
