"""How many open supervisor boards one process keeps under a second per change.

Starts the app under uvicorn in a child process on a fresh SQLite file with the
demo store, opens N board streams (SSE, httpx) as the supervisor, then has a
picker scan and undo (each a real change: a write, a commit, a message) and
measures, for every board, the time from sending the change to receiving the
re-rendered board. Prints p50 / p95 / max and the share delivered under 1 s.

    .venv/bin/python -m benchmarks.board [--sizes 1,10,50,100,200] [--changes 10]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
SUPERVISOR, PICKER = ("1101", "supervisor-demo"), ("1001", "4821")


def serve(database_url: str, port: int) -> None:
    import uvicorn

    from app.factory import create_app
    from app.settings import Settings

    app = create_app(Settings(environment="development",
                              database_url=database_url, run_relay=False))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning",
                timeout_graceful_shutdown=2)


def prepare(path: Path) -> tuple[str, str]:
    """A migrated SQLite file with the demo store; returns (url, store code)."""
    from datetime import UTC, datetime

    from app.db.engine import open_database
    from app.db.mapping import start_mappers
    from app.db.migrate import upgrade
    from app.demo import catalog
    from app.demo.load import load_demo

    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)

    async def load() -> None:
        start_mappers()
        db = open_database(url)
        async with db.writing() as session:
            await load_demo(session, datetime.now(UTC))
        await db.dispose()

    asyncio.run(load())
    return url, str(catalog.DEMO_STORE["code"])


async def signed_in(base: str, store: str, who: tuple[str, str], connections: int
                    ) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(30, read=None),
                               limits=httpx.Limits(max_connections=connections + 5))
    page = await client.get("/login")
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    response = await client.post("/login", data={"store": store, "personnel_no": who[0],
                                                 "pin": who[1]}, headers={"x-csrftoken": token})
    assert response.status_code in (302, 303), response.text[:200]
    client.headers["x-csrftoken"] = CSRF.search((await client.get("/login")).text).group(1)  # type: ignore[union-attr]
    return client


def piece_code(db_path: Path, order_id: int) -> str:
    """A barcode of an unmarked piece product on the order (scannable as is)."""
    row = sqlite3.connect(db_path).execute(
        "SELECT b.gtin FROM order_lines l JOIN products p ON p.id = l.product_id "
        "JOIN product_barcodes b ON b.product_id = p.id WHERE l.order_id = ? "
        "AND p.unit = 'piece' AND NOT p.marked ORDER BY l.quantity DESC LIMIT 1",
        (order_id,)).fetchone()
    return str(row[0])[1:] if str(row[0]).startswith("0") else str(row[0])


class Board:
    """One open board: an SSE stream whose board events are time-stamped."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.arrivals: list[float] = []
        self.ready = asyncio.Event()

    async def run(self) -> None:
        async with self.client.stream("GET", "/board/live") as response:
            async for line in response.aiter_lines():
                if line == "event: board":
                    self.arrivals.append(time.perf_counter())
                    self.ready.set()

    def first_after(self, t0: float) -> float | None:
        return next((t for t in self.arrivals if t > t0), None)


async def measure(base: str, store: str, db_path: Path, size: int, changes: int
                  ) -> list[float | None]:
    supervisor = await signed_in(base, store, SUPERVISOR, size)
    picker = await signed_in(base, store, PICKER, 4)
    boards = [Board(supervisor) for _ in range(size)]
    tasks = [asyncio.create_task(b.run()) for b in boards]
    await asyncio.wait_for(asyncio.gather(*(b.ready.wait() for b in boards)), 60)
    order_id = int((await picker.post("/pick/next")).headers["location"].rstrip("/")
                   .split("/")[-1])
    code = piece_code(db_path, order_id)
    latencies: list[float | None] = []
    for n in range(changes):
        t0 = time.perf_counter()
        if n % 2 == 0:
            r = await picker.post(f"/pick/{order_id}/scan", data={"code": code, "quantity": "1"},
                                  headers={"HX-Request": "true"})
        else:
            r = await picker.post(f"/pick/{order_id}/undo", headers={"HX-Request": "true"})
        assert r.status_code == 200, r.text[:300]
        deadline = time.perf_counter() + 5
        # Polling many streams until a deadline (an Event per stream would be no simpler).
        while time.perf_counter() < deadline and any(  # noqa: ASYNC110
                b.first_after(t0) is None for b in boards):
            await asyncio.sleep(0.01)
        latencies += [(t - t0) if (t := b.first_after(t0)) else None for b in boards]
        await asyncio.sleep(0.5)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await supervisor.aclose()
    await picker.aclose()
    return latencies


def row(size: int, latencies: list[float | None]) -> str:
    got = sorted(x for x in latencies if x is not None)
    lost = len(latencies) - len(got)
    if not got:
        return f"{size:>6} {'-':>9} {'-':>9} {'-':>9} {'0%':>9} {lost:>6}"
    p95 = got[min(len(got) - 1, int(0.95 * len(got)))]
    under = 100 * sum(1 for x in got if x < 1.0) / len(latencies)
    return (f"{size:>6} {1000 * statistics.median(got):>8.0f}ms {1000 * p95:>8.0f}ms "
            f"{1000 * got[-1]:>8.0f}ms {under:>8.1f}% {lost:>6}")


async def main_async(base: str, store: str, db_path: Path, sizes: list[int],
                     changes: int) -> None:
    await wait_up(base)
    print(f"{'boards':>6} {'p50':>9} {'p95':>9} {'max':>9} {'<1s':>9} {'lost':>6}")
    for size in sizes:
        print(row(size, await measure(base, store, db_path, size, changes)), flush=True)


def run(sizes: list[int], changes: int) -> None:
    from tests.support.postgres import free_port

    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "board.db"
        url, store = prepare(db_path)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "benchmarks.board", "--serve", url,
                                   str(port)])
        try:
            asyncio.run(main_async(f"http://127.0.0.1:{port}", store, db_path, sizes, changes))
        finally:
            server.terminate()
            server.wait(10)


async def wait_up(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(200):
            try:
                if (await client.get("/healthz")).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("server did not start")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1,10,50,100,200")
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--serve", nargs=2, metavar=("URL", "PORT"))
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    run([int(s) for s in args.sizes.split(",")], args.changes)


if __name__ == "__main__":
    main()
