"""What a picker's phone downloads: the pick page on first load, and one scan.

Budget (DESIGN.md): under 60 KB compressed on first load, under 3 KB per scan
round trip. Counts gzip-compressed bytes of the page and every script,
stylesheet and icon it references, as a browser with an empty cache fetches
them.

    python -m benchmarks.pageweight
"""

from __future__ import annotations

import asyncio
import gzip
import re
import tempfile

import httpx

from benchmarks.common import print_table

ASSET = re.compile(r'(?:src|href)="(/static/[^"]+)"')


async def measure() -> list[list[str]]:
    from app.db.engine import open_database
    from app.db.mapping import start_mappers
    from app.db.migrate import upgrade
    from app.factory import create_app
    from app.settings import Settings
    from tests.support.people import Person
    from tests.support.shop import MILK, NOW, add_order, seed_shop

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/w.db"
        await asyncio.to_thread(upgrade, url)
        start_mappers()
        db = open_database(url)
        async with db.writing() as session:
            shop = await seed_shop(session)
            order_id = await add_order(session, shop, {
                "milk": 2, "bread": 1, "water": 6, "pizza": 1, "chocolate": 3, "bananas": 1000})
        await db.dispose()
        app = create_app(Settings(environment="development",
                                  database_url=url, run_relay=False), clock=lambda: NOW)
        async with app.lifespan(), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://w") as client:
            picker = Person(client, "picker")
            await picker.sign_in()
            await picker.take_next()
            page = await picker.get(f"/pick/{order_id}")
            rows = [["pick page HTML", f"{len(gzip.compress(page.content)):,}"]]
            for path in dict.fromkeys(ASSET.findall(page.text)):
                body = (await client.get(path)).content
                rows.append([path.split("?")[0], f"{len(gzip.compress(body)):,}"])
            first_load = sum(int(r[1].replace(",", "")) for r in rows)
            scan = await picker.scan(order_id, MILK)
            scan_bytes = len(gzip.compress(scan.content))
    rows.append(["first load, total", f"{first_load:,}  (budget 61,440)"])
    rows.append(["one scan round trip (response)", f"{scan_bytes:,}  (budget 3,072)"])
    return rows


def main(argv: list[str] | None = None) -> None:
    rows = asyncio.run(measure())
    print_table("Picker page weight, gzip bytes (empty cache)", ["what", "bytes"], rows)


if __name__ == "__main__":
    main()
