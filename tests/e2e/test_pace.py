"""The picker's own pace on the phone: loaded under the pick list, theirs only."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer, seeded_database, sign_in, start_server
from tests.support.handover import picked_order
from tests.support.shop import NOW, add_order

SHOTS = os.environ.get("STOREPICK_SHOTS")


async def _prepare(db: Any, shop: Any) -> None:
    await picked_order(db, shop, {"water": 3, "bread": 2, "milk": 1})
    async with db.writing() as session:
        await add_order(session, shop, {"water": 2, "bread": 1}, oms_id="E-PACE",
                        now=NOW - timedelta(minutes=30))


@pytest.fixture
def server(sqlite_template: Path, tmp_path: Path) -> Iterator[LiveServer]:
    url, _nothing = seeded_database(sqlite_template, tmp_path, _prepare)
    live = start_server(url)
    yield live
    live.stop()


def test_a_picker_sees_their_pace_under_the_pick_list(server: LiveServer, phone: Any) -> None:
    sign_in(phone, server.url, "1001", "1111")
    phone.goto(f"{server.url}/pick/")
    phone.click("text=Take next order")
    phone.wait_for_selector("#pace [data-pace-order]")
    pace = phone.inner_text("#pace")
    assert "items per hour today" in pace and "Only you see this." in pace
    assert "3 items left" in pace
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        phone.locator("#pace").scroll_into_view_if_needed()
        phone.screenshot(path=f"{SHOTS}/pace-en.png")
        phone.click("text=RU")
        phone.wait_for_selector("#pace [data-pace-order]")
        phone.locator("#pace").scroll_into_view_if_needed()
        phone.mouse.wheel(0, 5000)
        phone.wait_for_timeout(300)
        phone.screenshot(path=f"{SHOTS}/pace-ru.png")
