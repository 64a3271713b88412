"""Background work starts from one place (app.background.running) with its
dependencies passed in: the relay is woken by every commit's publish, and the
substitution expiry runs on the clock it was given; both stop with the block."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from app import background
from app.settings import Settings

pytestmark = pytest.mark.timeout(30)
FIXED = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


async def test_the_relay_is_woken_by_publish_and_expiry_uses_the_given_clock(
        db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    published: list[list[dict[str, Any]]] = []
    expired_at: list[datetime] = []

    async def publish(messages: list[dict[str, Any]]) -> None:
        published.append(messages)

    async def expire_due(new_uow: Any, now: datetime) -> int:
        assert new_uow()._publish is work.publish  # expiry commits wake the relay too
        expired_at.append(now)
        return 0

    monkeypatch.setattr(background.substitutions, "expire_due", expire_due)
    settings = Settings(database_url=db.url, run_relay=True, environment="development",
                        oms_events_url="http://127.0.0.1:9/events",
                        substitution_expiry_seconds=0.01)
    async with background.running(db=db, settings=settings, clock=lambda: FIXED,
                                  publish=publish) as work:
        assert work.relay is not None
        work.relay._wake.clear()
        await work.publish([{"store_id": 1, "order_id": 2, "type": "ItemScanned"}])
        assert work.relay._wake.is_set()
        assert published == [[{"store_id": 1, "order_id": 2, "type": "ItemScanned"}]]
        for _ in range(200):
            if expired_at:
                break
            await asyncio.sleep(0.01)
        assert expired_at[0] == FIXED
    tasks = {t.get_name() for t in asyncio.all_tasks()}
    assert not tasks & {"outbox-relay", "substitution-expiry"}


async def test_without_an_oms_url_there_is_no_relay_and_publish_is_plain(db: Any) -> None:
    published: list[Any] = []

    async def publish(messages: list[dict[str, Any]]) -> None:
        published.append(messages)

    settings = Settings(database_url=db.url, run_relay=True, environment="development",
                        oms_events_url=None,
                        substitution_expiry_seconds=60)
    async with background.running(db=db, settings=settings, clock=lambda: FIXED,
                                  publish=publish) as work:
        assert work.relay is None
        await work.publish([])
    assert published == [[]]
