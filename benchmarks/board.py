"""Open supervisor boards while pickers scan: delivery, scan latency, bytes and memory.

Starts storepick under uvicorn in a child process on a fresh SQLite file (a
store with 50 pickers each picking an order, 50 more orders queued: 100 orders
on the board) with the outbox relay ON, posting to ``sync.receiver`` in another
process. For each number of open boards (SSE streams, gzip as a browser asks
for it, read off the wire):

* one change at a time: a picker scans, every board must show that order's row;
  delivery time per board (from sending the scan) and the compressed bytes of
  the event that brought the change (median over boards and changes);
* under load: pickers scan at ``--rate`` scans/s (open loop) for ``--seconds``;
  scan p50/p99 and errors, and the delivery time of each scan's row to each
  board (from the scan's answer, when its change is committed, to the first
  board event after it that holds the row);
* memory: the server's RSS before the boards open, with them open, and a few
  seconds after they close (per stream, and the share given back).

The row with 0 boards is the baseline of the same run: the same scans with
no board open.

    .venv/bin/python -m benchmarks.board [--sizes 0,25,100] [--rate 25] [--seconds 8]
                                         [--quiet-sizes 500]

``--quiet-sizes`` are measured with changes one at a time only (no scan load).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import multiprocessing
import os
import re
import secrets
import statistics
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path

import httpx

from benchmarks.common import percentile, print_table
from benchmarks.relay import SECRET, receiver_process
from benchmarks.scan import Picker, cpu_seconds, seed, start

ROW = re.compile(rb'id="order-row-(\d+)"')
QUEUED = 50  # orders waiting in the queue, besides the 50 being picked


async def seed_board(url: str) -> tuple[list[tuple[str, int]], str]:
    """The scan benchmark's store (50 pickers on 50 orders) plus 50 queued orders and a
    signed-in supervisor: (pickers' sessions and orders, the supervisor's session)."""
    from sqlalchemy import insert, select

    from app.auth import token_hash
    from app.db import tables
    from app.db.engine import open_database
    from app.db.mapping import start_mappers
    from tests.support.shop import NOW, Shop, add_order

    pairs = await seed(url)
    start_mappers()
    db = open_database(url)
    async with db.writing() as session:
        store_id = (await session.execute(select(tables.stores.c.id).where(
            tables.stores.c.code == "MSK-001"))).scalar_one()
        pc = tables.products.c
        catalog = (await session.execute(select(pc.sku, pc.id, pc.price_minor)
                                         .where(pc.store_id == store_id))).all()
        products = {sku: product_id for sku, product_id, _price in catalog}
        prices = {sku: price for sku, _id, price in catalog}
        shop = Shop(store_id=store_id, other_store_id=0, products=products,
                    prices=prices)
        for n in range(QUEUED):
            await add_order(session, shop, {"milk": 1, "bread": 2}, oms_id=f"Q-{n:03d}",
                            due_in=timedelta(hours=2))
        supervisor = (await session.execute(select(tables.staff.c.id).where(
            tables.staff.c.store_id == store_id, tables.staff.c.role == "supervisor"))).scalar()
        token = secrets.token_urlsafe(16)
        await session.execute(insert(tables.staff_sessions).values(
            token_hash=token_hash(token), staff_id=supervisor, created_at=NOW,
            expires_at=NOW + timedelta(days=3650)))
        await session.commit()
    await db.dispose()
    return pairs, token


@dataclass
class Board:
    """One open board: its stream's events, when they came, the bytes on the wire.

    Boards are read in a process of their own (``Readers``), as supervisors' screens are
    other devices: reading and inflating 100 streams must not delay the pickers' load
    generator and so add to the scan latencies it measures. An event is only kept while
    reading; its size compressed alone is worked out when the parent asks."""

    arrivals: list[tuple[float, frozenset[int], int]] = field(default_factory=list)
    alone: dict[float, int] = field(default_factory=dict)  # arrival -> gzip of the event alone
    events: dict[float, bytes] = field(default_factory=dict)  # arrival -> event, not yet sized
    wire: int = 0
    opened: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, client: httpx.AsyncClient, token: str) -> None:
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        buffer = b""
        async with client.stream("GET", "/board/live", cookies={"sp_session": token},
                                 headers={"accept-encoding": "gzip"}) as response:
            unsent = 0  # bytes on the wire not yet part of a whole event
            async for chunk in response.aiter_raw():
                self.wire += len(chunk)
                unsent += len(chunk)
                self.opened.set()
                buffer += inflate.decompress(chunk).replace(b"\r\n", b"\n")
                *events, buffer = buffer.split(b"\n\n")
                now = time.perf_counter()
                for event in events:
                    if b"event: board" in event:
                        self.arrivals.append(
                            (now, frozenset(int(x) for x in ROW.findall(event)), unsent))
                        self.events[now] = event
                        unsent = 0

    def sized(self) -> None:
        """Compress each event kept so far on its own (after the reading, not during it)."""
        for at, event in self.events.items():
            self.alone[at] = len(gzip.compress(event, 6))
        self.events.clear()

    def delivered(self, order_id: int, after: float) -> float | None:
        return next((t for t, ids, _n in self.arrivals if t > after and order_id in ids), None)

    def bytes_of(self, order_id: int, after: float) -> tuple[int, int] | None:
        """Compressed bytes of the event that brought the order's change: on the stream's
        gzip (which remembers what it sent before), and compressed alone."""
        return next(((n, self.alone[t]) for t, ids, n in self.arrivals
                     if t > after and order_id in ids), None)


def _readers_main(conn: Connection, base: str, token: str, size: int) -> None:
    """The boards' process: open ``size`` streams, tell the parent once each got its
    board, then answer "sync" with what arrived since the last answer, until "stop"."""

    async def main() -> None:
        limits = httpx.Limits(max_connections=size + 10, max_keepalive_connections=size + 10)
        timeout = httpx.Timeout(30, read=None)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
            boards = [Board() for _ in range(size)]
            tasks = [asyncio.create_task(b.run(client, token)) for b in boards]
            async with asyncio.timeout(120):
                await asyncio.gather(*(b.opened.wait() for b in boards))
                while any(not b.arrivals for b in boards):  # noqa: ASYNC110 (once each)
                    await asyncio.sleep(0.05)
            conn.send("opened")
            sent = [0] * size
            while True:
                command = await asyncio.to_thread(conn.recv)
                news = []
                for k, board in enumerate(boards):
                    board.sized()
                    news.append((board.arrivals[sent[k]:],
                                 {t: board.alone[t] for t, _i, _n in board.arrivals[sent[k]:]},
                                 board.wire))
                    sent[k] = len(board.arrivals)
                conn.send(news)
                if command == "stop":
                    break
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())


class Readers:
    """The parent's view of the boards' process: ``boards`` mirror what it has read, as of
    the last ``sync`` (time.perf_counter is CLOCK_MONOTONIC on Linux: one clock for both
    processes)."""

    def __init__(self, base: str, token: str, size: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_readers_main, args=(child, base, token, size),
                                       daemon=True)
        self.boards = [Board() for _ in range(size)]

    async def open(self) -> None:
        self.process.start()
        if not await asyncio.to_thread(self.conn.poll, 120):
            raise RuntimeError("the boards did not open")
        assert await asyncio.to_thread(self.conn.recv) == "opened"

    async def sync(self, command: str = "sync") -> None:
        self.conn.send(command)
        news = await asyncio.to_thread(self.conn.recv)
        for board, (arrivals, alone, wire) in zip(self.boards, news, strict=True):
            board.arrivals += arrivals
            board.alone.update(alone)
            board.wire = wire

    async def close(self) -> None:
        await self.sync("stop")
        await asyncio.to_thread(self.process.join, 30)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def one_at_a_time(pickers: list[Picker], readers: Readers, changes: int
                        ) -> tuple[list[float | None], str]:
    """Scans one at a time: each board's delay to show the row, and bytes per change."""
    boards = readers.boards
    latencies: list[float | None] = []
    sizes: list[tuple[int, int]] = []
    for n in range(changes):
        picker = pickers[n % len(pickers)]
        sent = time.perf_counter()
        _latency, status, _size = await picker.scan()
        answered = time.perf_counter()
        assert status == 200, status
        deadline = answered + 5
        await asyncio.sleep(0.05)
        await readers.sync()
        while time.perf_counter() < deadline and any(
                b.delivered(picker.order_id, answered) is None for b in boards):
            await asyncio.sleep(0.05)
            await readers.sync()
        latencies += [(t - sent) if (t := b.delivered(picker.order_id, answered)) else None
                      for b in boards]
        sizes += [got for b in boards if (got := b.bytes_of(picker.order_id, answered))]
        await asyncio.sleep(0.3)
    if not sizes:
        return latencies, "-"
    return latencies, (f"{statistics.median(n for n, _a in sizes):.0f} / "
                       f"{statistics.median(a for _n, a in sizes):.0f}")


async def under_load(pickers: list[Picker], readers: Readers | None, rate: float,
                     seconds: float, pid: int
                     ) -> tuple[list[float], int, list[float | None], float, float]:
    """Open-loop scans at ``rate``: scan latencies, errors, deliveries, board KB/s and the
    server's CPU per answered scan, its boards' work included (the boards' process is asked
    for what it read only after the scans and their stragglers)."""
    interval, tasks = 1 / rate, []
    cpu_before = cpu_seconds(pid)
    boards = readers.boards if readers else []
    wire = sum(b.wire for b in boards)
    start_at = time.perf_counter()

    async def scan(picker: Picker) -> tuple[float, float, int, int]:
        sent = time.perf_counter()
        latency, status, _size = await picker.scan()
        return sent, sent + latency, status, picker.order_id

    for i in range(int(rate * seconds)):
        delay = start_at + i * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(scan(pickers[i % len(pickers)])))
    results = await asyncio.gather(*tasks)
    await asyncio.sleep(3)  # stragglers
    elapsed = time.perf_counter() - start_at
    answered = sum(1 for r in results if r[2] == 200)
    cpu_ms = (cpu_seconds(pid) - cpu_before) * 1000 / max(answered, 1)
    if readers:
        await readers.sync()
    latencies = [1000 * (answered - sent) for sent, answered, _s, _o in results]
    errors = sum(1 for r in results if r[2] != 200)
    deliveries = [(t - answered) if (t := b.delivered(order, answered)) else None
                  for _sent, answered, status, order in results if status == 200 for b in boards]
    rate_kb = (sum(b.wire for b in boards) - wire) / 1024 / elapsed / max(1, len(boards))
    return latencies, errors, deliveries, rate_kb, cpu_ms


def spread(deliveries: list[float | None]) -> list[str]:
    got = sorted(1000 * x for x in deliveries if x is not None)
    lost = len(deliveries) - len(got)
    if not got:
        return ["-", "-", "-", "-", str(lost)]
    under = 100 * sum(1 for x in got if x < 1000) / len(deliveries)
    return [f"{statistics.median(got):.0f}", f"{percentile(got, 95):.0f}", f"{got[-1]:.0f}",
            f"{under:.1f}%", str(lost)]


async def measure(base: str, pid: int, pairs: list[tuple[str, int]], token: str,
                  size: int, *, rate: float, seconds: float, changes: int,
                  load: bool) -> list[str]:
    limits = httpx.Limits(max_connections=210, max_keepalive_connections=210)
    timeout = httpx.Timeout(30, read=None)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
        pickers = [Picker(base, t, o, client) for t, o in pairs]
        await asyncio.gather(*(p.prepare() for p in pickers))
        await asyncio.sleep(1)
        before = rss_kb(pid)
        readers = Readers(base, token, size) if size else None
        if readers:
            await readers.open()
        await asyncio.sleep(1)
        opened = rss_kb(pid)
        quiet, per_change = (await one_at_a_time(pickers, readers, changes)) if readers \
            else ([], "-")
        scans, errors, deliveries, kb_s, cpu_ms = (
            await under_load(pickers, readers, rate, seconds, pid) if load
            else ([], 0, [], 0.0, 0.0))
        if readers:
            await readers.close()
    await asyncio.sleep(3)
    after = rss_kb(pid)
    grown = opened - before
    per_stream = f"{grown / size:.0f}" if size else "-"
    back = f"{100 * (opened - after) / grown:.0f}%" if size and grown > 0 else "-"
    scan_cols = ([f"{percentile(scans, 50):.1f}", f"{percentile(scans, 99):.1f}", str(errors),
                  f"{cpu_ms:.1f}"] if load else ["-", "-", "-", "-"])
    return [str(size), *spread(quiet)[1:2], per_change, *scan_cols,
            *(spread(deliveries)[:4] if load and size else ["-"] * 4),
            f"{kb_s:.2f}" if load and size else "-", per_stream, back]


def run(sizes: list[int], quiet_sizes: list[int], rate: float, seconds: float,
        changes: int) -> None:
    from app.db.migrate import upgrade

    rows = []
    with tempfile.TemporaryDirectory() as tmp, receiver_process() as oms:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'board.db'}"
        upgrade(url)
        pairs, token = asyncio.run(seed_board(url))
        proc, base = start("benchmarks.apps:storepick_app", {
            "DATABASE_URL": url, "STOREPICK_RUN_RELAY": "1", "STOREPICK_OMS_SECRET": SECRET,
            "STOREPICK_OMS_EVENTS_URL": oms + "/events",
            "STOREPICK_OMS_BATCH_URL": oms + "/events/batch"})
        try:
            with httpx.Client(base_url=base) as check:  # the baseline answers 2xx
                assert check.get("/board/", cookies={"sp_session": token}).status_code == 200
            for size in sizes:
                rows.append(asyncio.run(measure(base, proc.pid, pairs, token, size, rate=rate,
                                                seconds=seconds, changes=changes, load=True)))
                print("  ".join(rows[-1]), flush=True)
            for size in quiet_sizes:
                rows.append(asyncio.run(measure(base, proc.pid, pairs, token, size, rate=rate,
                                                seconds=seconds, changes=changes, load=False)))
                print("  ".join(rows[-1]), flush=True)
            applied = httpx.get(oms + "/stats").json().get("applied")
        finally:
            proc.terminate()
            proc.wait(10)
    print_table(
        f"Live boards while pickers scan at {rate:.0f}/s, relay on ({os.cpu_count()} cores, "
        f"shared machine; 100 orders on the board; row 0 = the same scans with no board)",
        ["boards", "1-at-a-time p95 ms", "gzip B/change/board: stream / alone", "scan p50 ms",
         "scan p99 ms", "scan errors", "server CPU ms/scan", "load delivery p50 ms", "p95 ms",
         "max ms", "<1 s",
         "KB/s/board", "RSS KB/stream", "RSS given back"], rows)
    print(f"events the OMS receiver applied (relay on): {applied}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="0,25,100")
    parser.add_argument("--quiet-sizes", default="500")
    parser.add_argument("--rate", type=float, default=25)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--changes", type=int, default=5)
    args = parser.parse_args(argv)
    run(_ints(args.sizes), _ints(args.quiet_sizes), args.rate, args.seconds, args.changes)


def _ints(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s]


if __name__ == "__main__":
    main()
