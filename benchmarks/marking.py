"""What the marking check costs a scan: the scan service on SQLite, with the check off
(the baseline, measured in the same run), with the fake national system answering over
HTTP, answered from the cache, with the national system slow (the local module answers
within the budget), and with nobody answering (the store's policy decides).

    python -m benchmarks.marking [--scans 40]

Each scan is one marked unit (a new code each time, except the cached row, which scans
codes the checker answered for a moment before). Medians in milliseconds; ratio to the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import median, percentile, print_table

BUDGET = 1.0


async def run(path: Path, scans: int) -> list[list[str]]:
    from sqlalchemy import update

    from app.db import tables
    from app.db.engine import open_database
    from app.db.mapping import start_mappers
    from app.db.uow import UnitOfWork
    from app.marking import HttpMarkingChecker
    from app.services import picking as service
    from tests.support.handover import staff_user
    from tests.support.marking import TOKEN, MarkingServer
    from tests.support.postgres import free_port
    from tests.support.shop import KEFIR, NOW, add_order, marking_code, seed_shop

    start_mappers()
    db = open_database(f"sqlite+aiosqlite:///{path}")
    async with db.writing() as session:
        shop = await seed_shop(session)
        await session.execute(update(tables.products).values(stock=10_000))
        await session.commit()
    picker = staff_user(shop, "picker")
    fake = MarkingServer().start()
    fake.fake.slow_seconds = 2.0
    nowhere = f"http://127.0.0.1:{free_port()}/check"
    rows: list[list[str]] = []
    baseline = 0.0
    try:
        scenarios: list[tuple[str, Any, str, int]] = [
            ("check off (baseline)", None, "normal", scans),
            ("national system answers", HttpMarkingChecker(
                fake.online_url, fake.local_url, TOKEN, budget_seconds=BUDGET), "normal", scans),
            ("answered from the cache", "cached", "normal", scans),
            ("national slow, local answers", HttpMarkingChecker(
                fake.online_url, fake.local_url, TOKEN, budget_seconds=BUDGET), "slow",
             max(3, scans // 8)),
            ("nobody answers (policy)", HttpMarkingChecker(
                nowhere, f"{nowhere}2", TOKEN, budget_seconds=BUDGET), "normal",
             max(3, scans // 8)),
        ]
        previous: Any = None
        for n, (name, checker, mode, count) in enumerate(scenarios):
            fake.fake.modes["online"] = mode
            cached = checker == "cached"
            if cached:
                checker = previous
            async with db.writing() as session:
                order_id = await add_order(session, shop, {"kefir": count})
                await session.commit()
            await service.start_order(UnitOfWork(db), picker, order_id, NOW)
            codes = [marking_code(KEFIR, f"B{n}x{i:04d}") for i in range(count)]
            if cached:  # the national system answered for these units a moment ago
                await checker.check(codes, NOW)
            times, counted = [], 0
            for i, code in enumerate(codes):
                started = time.perf_counter()
                try:
                    await service.scan(UnitOfWork(db), picker, order_id, code,
                                       scan_id=f"{name}-{i}", now=NOW, marking=checker)
                    counted += 1
                except Exception as exc:  # a refusal is a result too, but say so
                    print(f"  {name}: scan {i} refused: {type(exc).__name__}")
                times.append((time.perf_counter() - started) * 1000)
            if not cached:
                previous = checker
            mid = median(times)
            if n == 0:
                baseline = mid
            rows.append([name, str(count), str(counted), f"{mid:.1f}",
                         f"{percentile(times, 95):.1f}", f"{mid / baseline:.1f}×"])
        for _name, checker, _mode, _count in scenarios:
            if checker not in (None, "cached"):
                await checker.close()
    finally:
        fake.stop()
        await db.dispose()
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.marking")
    parser.add_argument("--scans", type=int, default=40)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        from app.db.migrate import upgrade

        upgrade(f"sqlite+aiosqlite:///{path}")
        rows = asyncio.run(run(path, args.scans))
    print_table(f"Marked-unit scans through the scan service (SQLite, budget {BUDGET:.1f} s)",
                ["scenario", "scans", "counted", "median ms", "p95 ms", "vs baseline"], rows)


if __name__ == "__main__":
    main()
