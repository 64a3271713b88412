"""The OMS signature covers method, path and body, and no signature is used twice.

The attack from issue #18: a cancel signed for an order the store does not have
was refused (404), then sent again to a real order's path, and cancelled it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from app.db.tables_sync import oms_request_signatures
from app.factory import create_app
from app.settings import Settings
from tests.integration.test_api_orders import order_row
from tests.support.oms import OmsClient


@pytest.fixture
def oms(client: Any, clock: Any) -> OmsClient:
    return OmsClient(client, clock)


async def remembered(db: Any) -> int:
    async with db.reading() as session:
        return int(await session.scalar(
            select(func.count()).select_from(oms_request_signatures)))


@asynccontextmanager
async def another_process(db_url: str, clock: Any, **settings: Any
                          ) -> AsyncIterator[AsyncTestClient[Any]]:
    """A second app on the same database: what another worker process would be."""
    app = create_app(Settings(environment="development", database_url=db_url,
                              run_relay=False, **settings), clock=clock)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        yield client


async def test_a_refused_cancel_cannot_be_replayed_against_a_real_order(
        oms: OmsClient, db: Any) -> None:
    await oms.put_order("W-300", version=1, lines={"milk": 1})
    refused = await oms.cancel("W-UNKNOWN")
    assert refused.status_code == 404
    replay = await oms.replay_last(path=oms.order_path("W-300") + "/cancel")
    assert replay.status_code == 401, replay.text
    assert replay.json()["errors"] == [{"field": "X-Storepick-Signature",
                                        "message": "does not match the method, path and body"}]
    assert (await order_row(db, "W-300")).status == "queued"


async def test_an_old_style_refused_cancel_is_remembered_and_not_replayed(
        oms: OmsClient, db: Any) -> None:
    """Body-only signatures (transition period) cannot bind the path: the replay
    cache is what stops them, so it must hold refused requests too."""
    await oms.put_order("W-301", version=1, lines={"milk": 1})
    oms.legacy = True
    assert (await oms.cancel("W-UNKNOWN")).status_code == 404
    replay = await oms.replay_last(path=oms.order_path("W-301") + "/cancel")
    assert replay.status_code == 409, replay.text
    assert replay.json()["errors"][0]["message"].startswith("replayed request")
    assert (await order_row(db, "W-301")).status == "queued"


async def test_a_signature_does_not_carry_over_to_another_method_or_order(
        oms: OmsClient, db: Any) -> None:
    await oms.put_order("W-302", version=1, lines={"milk": 1})
    assert (await oms.replay_last(path=oms.order_path("W-303"))).status_code == 401
    assert (await oms.replay_last(method="POST")).status_code in (401, 405)
    assert await order_row(db, "W-303") is None


async def test_an_invalid_request_still_uses_up_its_signature(oms: OmsClient, db: Any) -> None:
    response = await oms.put_order("W-304", version=1, lines={"milk": 1, "caviar": 1})
    assert response.status_code == 422
    assert await remembered(db) == 1
    assert (await oms.replay_last()).status_code == 409


async def test_the_replay_cache_is_shared_by_processes_and_forgets_old_signatures(
        oms: OmsClient, db: Any, db_url: str, clock: Any) -> None:
    await oms.put_order("W-305", version=1, lines={"milk": 1})
    async with another_process(db_url, clock) as other:
        method, path, body, headers = oms.sent[-1]
        replay = await other.request(method, path, content=body, headers=headers)
        assert replay.status_code == 409, replay.text
        assert await remembered(db) == 1
        clock.now += timedelta(seconds=601)  # twice the skew window
        oms.client = other
        assert (await oms.put_order("W-305", version=2, lines={"milk": 2})).status_code == 200
    assert await remembered(db) == 1  # the first one was forgotten, only the new one is left


async def test_old_style_signatures_work_until_the_stated_day_and_say_so(
        oms: OmsClient) -> None:
    oms.legacy = True
    response = await oms.put_order("W-306", version=1, lines={"milk": 1})
    assert response.status_code == 200, response.text
    assert response.headers["Deprecation"] == "true"
    assert response.headers["Sunset"] == "Mon, 01 Mar 2027 00:00:00 GMT"
    oms.legacy = False
    assert "Deprecation" not in (await oms.put_order("W-307", version=1,
                                                     lines={"milk": 1})).headers


@pytest.mark.parametrize("until", [None, date(2026, 11, 22)])
async def test_old_style_signatures_are_refused_once_turned_off_or_past_their_day(
        db_url: str, shop: Any, clock: Any, until: date | None) -> None:
    async with another_process(db_url, clock, oms_legacy_signatures_until=until) as client:
        oms = OmsClient(client, clock, legacy=True)
        response = await oms.put_order("W-308", version=1, lines={"milk": 1})
        assert response.status_code == 401
        assert response.json()["errors"][0]["message"].startswith(
            "sha256= signatures are no longer accepted")
        oms.legacy = False
        assert (await oms.put_order("W-308", version=1, lines={"milk": 1})).status_code == 200
