"""A server that is stopping stops: closing the database's connections is given a few
seconds (an asyncpg close whose cancelled query never answered can wait forever; a
test run's app shutdown once hung 120 s on it)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from app.factory import _dispose


class HangingDatabase:
    disposed = False

    async def dispose(self) -> None:
        await asyncio.Event().wait()  # never answers


class Database:
    disposed = False

    async def dispose(self) -> None:
        self.disposed = True


async def test_closing_connections_that_never_answer_gives_up_and_says_so(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        async with asyncio.timeout(5):
            await _dispose(HangingDatabase(), within=0.05)
    assert "left to the server" in caplog.text


async def test_connections_that_close_are_closed() -> None:
    db = Database()
    await _dispose(db)
    assert db.disposed
