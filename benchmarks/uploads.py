"""Twenty hostile uploads at once: the server's memory and whether it still answers.

A real server (uvicorn, SQLite, its own process) gets 20 uploads at the same moment,
half barcode photos (``/pick/{id}/photo``), half delivery proofs
(``/courier/orders/{id}/delivered``, each for an order the courier may deliver, so every
proof is decoded): PNGs and a WebP as large as the server accepts in pixels, a 50 MP
JPEG, a 49 MP PNG of 200 KB (the report in issue #18), and JPEGs of noise near the byte
limit. Meanwhile a picker keeps opening the queue page. Measured: the server's peak
resident memory (VmHWM, reset before the burst), its memory 2 s after, and the
queue page's latency during the burst against the same page with no burst (each
answer checked to be 2xx).

    python -m benchmarks.uploads [--uploads 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from benchmarks.common import percentile, print_table, wait_for_http
from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parent.parent
BUDGET_MB = 400


def _encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _noise_jpeg(limit: int, seed: int) -> bytes:
    """A JPEG of noise just under ``limit`` bytes: the most a client may send."""
    rand = random.Random(seed)
    width, height = 2600, 1950
    while True:
        pixels = rand.randbytes(width * height * 3)
        data = _encoded(Image.frombytes("RGB", (width, height), pixels), "JPEG", quality=92)
        if len(data) <= limit:
            return data
        width, height = int(width * 0.9), int(height * 0.9)


def hostile_uploads(count: int) -> list[tuple[str, str, bytes]]:
    """(route, name, bytes): alternately a barcode photo and a proof, worst first."""
    from app.photo_decode import MAX_PHOTO_BYTES
    from app.proof_photo import MAX_PROOF_BYTES

    kinds = [
        ("png 8 MP rgba", lambda: _encoded(Image.new("RGBA", (2890, 2890)), "PNG")),
        ("png 8 MP palette", lambda: _encoded(Image.new("P", (2890, 2890)), "PNG",
                                              transparency=0)),
        ("webp 4 MP", lambda: _encoded(Image.new("RGB", (2040, 2040), "white"), "WEBP")),
        ("jpeg 50 MP", lambda: _encoded(Image.new("RGB", (8160, 6120), "white"), "JPEG",
                                        quality=30)),
        ("png 49 MP, 200 KB", lambda: _encoded(Image.new("RGBA", (7000, 7000)), "PNG")),
    ]
    made = {name: make() for name, make in kinds}
    noise = {"photo": _noise_jpeg(MAX_PHOTO_BYTES, 1), "proof": _noise_jpeg(MAX_PROOF_BYTES, 2)}
    names = [name for name, _ in kinds] + ["jpeg noise, near the byte limit"]
    uploads = []
    for i in range(count):  # each route cycles through every kind
        route = "photo" if i % 2 == 0 else "proof"
        name = names[(i // 2) % len(names)]
        uploads.append((route, name, noise[route] if name.startswith("jpeg noise")
                        else made[name]))
    return uploads


async def seed(url: str, deliveries: int) -> dict[str, Any]:
    """The test shop; a picker with an order to photograph for, another picker for the
    unrelated page, and ``deliveries`` orders the courier has taken."""
    from sqlalchemy import insert

    from app.auth import token_hash
    from app.db import tables
    from app.db.engine import open_database
    from app.db.mapping import start_mappers
    from app.db.uow import UnitOfWork
    from app.services import handover
    from picking.bags import BagCode
    from tests.support.handover import picked_order, staff_user
    from tests.support.shop import NOW, add_order, seed_shop

    start_mappers()
    db = open_database(url)
    async with db.writing() as session:
        shop = await seed_shop(session)
        await session.commit()
    courier = staff_user(shop, "courier")
    taken = []
    for n in range(deliveries):
        oms_id = f"U-{n}"
        order_id = await picked_order(db, shop, {"bread": 1}, oms_id=oms_id)
        await handover.pack_order(UnitOfWork(db), staff_user(shop, "picker"), order_id,
                                  {"ambient": 1}, {"ambient": "Shelf 1"}, NOW)
        await handover.scan_bag(UnitOfWork(db), courier, BagCode(oms_id, 1, 1, "ambient").text(),
                                NOW, order_id=order_id)
        await handover.take_order(UnitOfWork(db), courier, order_id, NOW)
        taken.append(order_id)
    tokens = {}
    async with db.writing() as session:
        photo_order = await add_order(session, shop, {"milk": 5})
        await session.execute(tables.orders.update().where(tables.orders.c.id == photo_order)
                              .values(status="picking", picker_id=shop.staff["picker"]))
        for key in ("picker", "courier", "picker2"):
            token = secrets.token_urlsafe(16)
            await session.execute(insert(tables.staff_sessions).values(
                token_hash=token_hash(token), staff_id=shop.staff[key], created_at=NOW,
                expires_at=NOW + timedelta(days=3650)))
            tokens[key] = token
        await session.commit()
    await db.dispose()
    return {"tokens": tokens, "photo_order": photo_order, "deliveries": taken}


def start(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "benchmarks.apps:storepick_app",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_for_http(base + "/healthz")
    return proc, base


def memory_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak(pid: int) -> None:
    """Start VmHWM afresh (Linux 4.0+): the peak is then the burst's own."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


class Person:
    def __init__(self, client: httpx.AsyncClient, base: str, token: str) -> None:
        self.client, self.base = client, base
        self.cookies = {"sp_session": token}
        self.csrf = ""

    async def open(self, path: str) -> httpx.Response:
        response = await self.client.get(self.base + path, cookies=self.cookies)
        found = re.search(r'name="_csrf_token" value="([^"]+)"', response.text)
        if found:
            self.csrf = found.group(1)
            self.cookies["sp_csrf"] = response.cookies.get("sp_csrf", "") or self.cookies.get(
                "sp_csrf", "")
        return response

    async def upload(self, path: str, name: str, data: bytes) -> int:
        response = await self.client.post(
            self.base + path, cookies=self.cookies, headers={"x-csrftoken": self.csrf},
            files={"photo": (name, data, "application/octet-stream")})
        return response.status_code


async def timed_page(person: Person) -> float:
    started = time.perf_counter()
    response = await person.open("/pick/")
    if not 200 <= response.status_code < 300:
        raise RuntimeError(f"the unrelated page answered {response.status_code}")
    return (time.perf_counter() - started) * 1000


async def quiet(person: Person, count: int = 40) -> list[float]:
    return [await timed_page(person) for _ in range(count)]


async def burst(pid: int, picker: Person, courier: Person, bystander: Person,
                seeded: dict[str, Any], uploads: list[tuple[str, str, bytes]]) -> dict[str, Any]:
    deliveries = iter(seeded["deliveries"])
    reset_peak(pid)
    statuses: Counter[str] = Counter()

    async def one(route: str, name: str, data: bytes) -> None:
        if route == "photo":
            status = await picker.upload(f"/pick/{seeded['photo_order']}/photo", "p.png", data)
        else:
            status = await courier.upload(f"/courier/orders/{next(deliveries)}/delivered",
                                          "door.jpg", data)
        statuses[f"{route} {status}"] += 1

    latencies: list[float] = []
    started = time.perf_counter()
    tasks = [asyncio.create_task(one(*upload)) for upload in uploads]
    while not all(task.done() for task in tasks):
        latencies.append(await timed_page(bystander))
        await asyncio.sleep(0.02)
    await asyncio.gather(*tasks)
    seconds = time.perf_counter() - started
    peak = memory_mb(pid, "VmHWM")
    await asyncio.sleep(2)
    return {"peak": peak, "after": memory_mb(pid, "VmRSS"), "latencies": latencies,
            "seconds": seconds, "statuses": statuses}


async def measure(pid: int, base: str, seeded: dict[str, Any],
                  uploads: list[tuple[str, str, bytes]], rounds: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(timeout=120, limits=limits) as one, \
            httpx.AsyncClient(timeout=120, limits=limits) as two, \
            httpx.AsyncClient(timeout=120) as three:
        tokens = seeded["tokens"]  # one client each: cookies are per person
        picker, courier, bystander = (Person(client, base, tokens[k]) for client, k in
                                      ((one, "picker"), (two, "courier"), (three, "picker2")))
        await picker.open(f"/pick/{seeded['photo_order']}")
        await courier.open(f"/courier/orders/{seeded['deliveries'][0]}")
        await quiet(bystander, 10)  # warm up
        idle_rss = memory_mb(pid, "VmRSS")
        calm = await quiet(bystander)
        per_round = len(uploads) // 2
        results = []
        for r in range(rounds):
            share = dict(seeded, deliveries=seeded["deliveries"][r * per_round:])
            results.append(await burst(pid, picker, courier, bystander, share, uploads))
        return {"idle_rss": idle_rss, "calm": calm, "bursts": results}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    uploads = hostile_uploads(args.uploads)
    proofs = sum(1 for route, _, _ in uploads if route == "proof")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/uploads.db"
        from app.db.migrate import upgrade
        upgrade(url)
        seeded = asyncio.run(seed(url, proofs * args.rounds))
        proc, base = start({"DATABASE_URL": url, "STOREPICK_RUN_RELAY": "0",
                            "STOREPICK_DATA_DIR": f"{tmp}/data"})
        try:
            found = asyncio.run(measure(proc.pid, base, seeded, uploads, args.rounds))
        finally:
            proc.terminate()
            proc.wait(10)
    calm = found["calm"]
    rows = [["no uploads", "-", f"{found['idle_rss']:.0f}", "-", "-",
             f"{percentile(calm, 50):.1f}", f"{percentile(calm, 95):.1f}", str(len(calm))]]
    for n, b in enumerate(found["bursts"], 1):
        rows.append([f"{len(uploads)} uploads at once (#{n})", f"{b['seconds']:.1f}",
                     f"{b['peak']:.0f}", f"{b['after']:.0f}",
                     ", ".join(f"{k}: {v}" for k, v in sorted(b["statuses"].items())),
                     f"{percentile(b['latencies'], 50):.1f}",
                     f"{percentile(b['latencies'], 95):.1f}", str(len(b["latencies"]))])
    print_table("Hostile uploads (one server process, SQLite; the queue page opened meanwhile)",
                ["scenario", "burst s", "peak RSS MB", "RSS 2 s after MB", "answers",
                 "page p50 ms", "page p95 ms", "pages (all 2xx)"], rows)
    worst = max(b["peak"] for b in found["bursts"])
    print(f"uploads: {', '.join(sorted({name for _, name, _ in uploads}))}")
    print(f"worst peak {worst:.0f} MB (budget: < {BUDGET_MB} MB)")


if __name__ == "__main__":
    main()
