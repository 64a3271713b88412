"""What issue 15's steps cost the scan path (in-process, SQLite).

The scan use case (``app.services.picking.scan``) now clears the product's
"likely out" mark after a good scan (one indexed DELETE) and looks for a late find
(in memory; the whole order is loaded only when the scanned product's line was
marked missing). This measures, in the same run and alternating blocks:

- baseline: a good scan with the issue-15 step replaced by a no-op;
- now: a good scan as shipped;
- late find: a scan that reopens a missing line (loads the whole order).

    python -m benchmarks oos [--scans 300]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import median, percentile, print_table


async def run(scans: int) -> list[list[str]]:
    from app.db.engine import open_database
    from app.db.mapping import start_mappers
    from app.db.migrate import upgrade_async
    from app.db.uow import UnitOfWork
    from app.services import late_find
    from app.services import picking as service
    from tests.support.handover import staff_user
    from tests.support.shop import MILK, NOW, add_order, seed_shop

    folder = tempfile.mkdtemp(prefix="oos-bench-")
    url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
    await upgrade_async(url)
    start_mappers()
    db = open_database(url)
    async with db.writing() as session:
        shop = await seed_shop(session)
    picker = staff_user(shop, "picker")
    real_step = late_find.on_the_shelf

    async def noop(*_args: Any) -> None:
        return None

    timings: dict[str, list[float]] = {"baseline": [], "now": [], "late find": []}
    counter = 0

    async def new_order(quantity: int) -> int:
        async with db.writing() as session:
            order_id = await add_order(session, shop, {"milk": quantity, "bread": 1})
        await service.start_order(UnitOfWork(db), picker, order_id, NOW)
        return order_id

    async def timed(kind: str, order_id: int) -> None:
        nonlocal counter
        counter += 1
        started = time.perf_counter()
        outcome = await service.scan(UnitOfWork(db), picker, order_id, MILK,
                                     scan_id=f"b-{counter}",
                                     now=NOW + timedelta(seconds=counter))
        timings[kind].append((time.perf_counter() - started) * 1000)
        assert outcome.line.picked_quantity >= 1  # every scan was counted

    block = 25
    for _ in range(max(1, scans // (2 * block))):
        for kind in ("baseline", "now"):
            late_find.on_the_shelf = noop if kind == "baseline" else real_step  # type: ignore
            order_id = await new_order(block)
            for _n in range(block):
                await timed(kind, order_id)
            await finish(db, picker, order_id, service, UnitOfWork, NOW)
    late_find.on_the_shelf = real_step  # type: ignore[assignment]
    for _ in range(max(1, scans // 10)):
        order_id = await new_order(2)
        line = await milk_line(db, order_id)
        await service.short_line(UnitOfWork(db), picker, order_id, line, "damaged", NOW)
        await timed("late find", order_id)
        await finish(db, picker, order_id, service, UnitOfWork, NOW, short_rest=True)
    await db.dispose()
    base = median(timings["baseline"])
    rows = []
    for kind, values in timings.items():
        rows.append([kind, str(len(values)), f"{median(values):.2f} ms",
                     f"{percentile(values, 95):.2f} ms", f"{median(values) / base:.2f}×"])
    return rows


async def milk_line(db: Any, order_id: int) -> int:
    from sqlalchemy import select

    from app.db import tables

    ln, p = tables.order_lines.c, tables.products.c
    async with db.reading() as session:
        return int(await session.scalar(
            select(ln.id).join(tables.products, p.id == ln.product_id)
            .where(ln.order_id == order_id, p.sku == "milk")))


async def finish(db: Any, picker: Any, order_id: int, service: Any, uow: Any, now: Any,
                 short_rest: bool = False) -> None:
    """Short what is left, so the picker is free for the next order."""
    from sqlalchemy import select

    from app.db import tables

    ln = tables.order_lines.c
    async with db.reading() as session:
        open_lines = list(await session.scalars(
            select(ln.id).where(ln.order_id == order_id, ln.state == "open")))
    for line_id in open_lines:
        await service.short_line(uow(db), picker, order_id, line_id, "other", now)
    await service.finish_picking(uow(db), picker, order_id, now)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scans", type=int, default=300)
    args = parser.parse_args(argv)
    rows = asyncio.run(run(args.scans))
    print_table("Scan service, in process, SQLite (shared 2-core machine: read the ratios)",
                ["scan", "n", "median", "p95", "vs baseline"], rows)


if __name__ == "__main__":
    main()
