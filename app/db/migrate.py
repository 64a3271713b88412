"""Run Alembic migrations from code (the CLI, the app's start-up and tests)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

from app.settings import ROOT


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (creates SQLite's folder)."""
    if url.startswith("sqlite") and ":///" in url:
        Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    # Feature areas add independent migration branches; "heads" applies them all.
    command.upgrade(alembic_config(url), "heads")


async def upgrade_async(url: str) -> None:
    # env.py runs its own event loop, so give it a thread of its own.
    await asyncio.to_thread(upgrade, url)
