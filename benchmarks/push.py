"""Does staff Web Push hold up the request that causes it? ``python -m benchmarks push``

A customer's "I'm here" (POST on their link) notifies the counter's phones. Three runs
in one process, each on its own copy of a migrated SQLite database with the test shop
and N packed click & collect orders: no phone subscribed (the baseline), three phones
on a push service that answers at once, three phones on one that never answers in
time. The push service runs on this machine over real HTTP, checks the VAPID
signature and decrypts every payload (tests/support/push_service.py). Printed: the
check-in's latency (median, p95, ratio of medians to the baseline) and, where pushes
arrive, the median time from the check-in's start to the last phone's push.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import median, percentile, print_table

PHONES = 3
WARM_UP = 3  # the first check-ins of each run warm the app up: not counted
SETTLE_SECONDS = 0.2


async def _prepare(url: str, orders: int) -> list[str]:
    from app.db.engine import open_database
    from app.db.mapping import start_mappers
    from app.db.uow import UnitOfWork
    from app.services import handover
    from app.services.arrival import CheckInLink
    from app.settings import DEV_SECRET
    from tests.support.handover import outbox_payload, picked_order, staff_user
    from tests.support.shop import NOW, seed_shop

    start_mappers()
    db = open_database(url)
    paths = []
    try:
        async with db.writing() as session:
            shop = await seed_shop(session)
        for n in range(orders):
            order_id = await picked_order(db, shop, {"water": 1}, fulfilment="collect",
                                          oms_id=f"B-{n}")
            await handover.pack_order(UnitOfWork(db), staff_user(shop, "picker"), order_id,
                                      {"ambient": 1}, {"ambient": "Shelf 1"}, NOW,
                                      check_in_link=CheckInLink("http://x", DEV_SECRET))
            link = (await outbox_payload(db, order_id, "OrderPacked"))["customer_url"]
            paths.append(str(link).removeprefix("http://x"))
    finally:
        await db.dispose()
    return paths


async def _run(url: str, data: Path, paths: list[str], phones: list[dict[str, Any]],
               service: Any) -> tuple[list[float], list[float]]:
    import re

    from litestar.testing import AsyncTestClient

    from app.factory import create_app
    from app.settings import Settings
    from tests.support.people import Person

    settings = Settings(environment="development", database_url=url, run_relay=False,
                        data_dir=data, push_timeout_seconds=2.0)
    latencies, arrivals = [], []
    async with AsyncTestClient(app=create_app(settings), base_url="http://bench") as client:
        for key, sub in zip(("clerk", "packer", "clerk"), phones, strict=False):
            person = Person(client, key)
            await person.sign_in()
            answer = await client.post("/push/subscribe", json=sub,
                                       headers={"x-csrftoken": person.csrf})
            assert answer.status_code == 201, answer.text
        client.cookies.clear()
        for path in paths:
            page = await client.get(path)
            assert page.status_code == 200
            token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
            before = len(service.received) if service else 0
            start = time.perf_counter()
            answer = await client.post(f"{path}/check-in", data={"step": "arrived"},
                                       headers={"x-csrftoken": token.group(1) if token else "",
                                                "HX-Request": "true"})
            latencies.append((time.perf_counter() - start) * 1000)
            assert answer.status_code == 200, answer.text[:200]
            if service and phones and not phones[0]["endpoint"].rsplit("/", 1)[-1].startswith(
                    "hang-"):
                await asyncio.to_thread(service.wait_for, before + len(phones), 10)
                arrivals.append((time.perf_counter() - start) * 1000)
            # Let the background sending finish (the push service shares this process),
            # so each check-in is timed alone; every condition pauses the same.
            await asyncio.sleep(SETTLE_SECONDS)
    return latencies[WARM_UP:], arrivals[WARM_UP:]


def run(orders: int) -> None:
    import logging

    from app.db.migrate import upgrade
    from tests.support.push_service import start_push_service

    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("storepick.push").setLevel(logging.WARNING)
    service, server = start_push_service()
    rows, baseline = [], None
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.db"
        upgrade(f"sqlite+aiosqlite:///{template}")
        for label, prefix in (("no phone subscribed (baseline)", None),
                              (f"{PHONES} phones, push service answers", "fast"),
                              (f"{PHONES} phones, push service hangs", "hang")):
            path = Path(tmp) / f"{prefix or 'base'}.db"
            shutil.copyfile(template, path)
            url = f"sqlite+aiosqlite:///{path}"
            paths = asyncio.run(_prepare(url, orders))
            phones = [service.subscription(f"{prefix}-{i}") for i in range(PHONES)] \
                if prefix else []
            latencies, arrivals = asyncio.run(_run(url, Path(tmp) / "data", paths, phones,
                                                   service))
            mid = median(latencies)
            baseline = baseline or mid
            rows.append([label, str(len(latencies)), f"{mid:.1f}",
                         f"{percentile(latencies, 95):.1f}", f"{mid / baseline:.2f}",
                         f"{median(arrivals):.0f}" if arrivals else "—"])
    server.shutdown()
    assert not service.refused, service.refused
    print_table("Customer check-in (POST /c/{token}/check-in) with staff push, ms",
                ["condition", "n", "median", "p95", "× baseline", "push arrived (median)"],
                rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=33)
    args = parser.parse_args(argv)
    run(args.orders)


if __name__ == "__main__":
    main()
