"""``python -m sync``: the outbox relay as its own process (or several, on PostgreSQL).

Reads ``DATABASE_URL``, ``STOREPICK_OMS_EVENTS_URL`` and ``STOREPICK_OMS_SECRET``;
``STOREPICK_OMS_BATCH_URL`` (the OMS's batch endpoint, see ``sync.client``)
sends several orders' events per request, which is what reaches the
throughput budget; optional tuning: ``STOREPICK_RELAY_BACKOFF_BASE`` (seconds),
``STOREPICK_RELAY_TIMEOUT`` (seconds), ``STOREPICK_RELAY_MAX_ATTEMPTS``,
``STOREPICK_RELAY_LEASE`` (seconds a claim lasts: how long the events of a
killed relay wait before another relay takes them over).
Stops cleanly on SIGTERM or Ctrl-C. On SQLite run a single relay, and not
next to an app that runs its own (``STOREPICK_RUN_RELAY=0`` there).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from sync.client import Backoff
from sync.pg_pool import postgres_engine
from sync.relay import Relay, RelayConfig


def engine_for(url: str) -> AsyncEngine:
    """An engine for the relay alone. SQLite gets the app's pragmas and BEGIN
    IMMEDIATE (see STACK.md), repeated here because ``sync`` may not import ``app``."""
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+asyncpg://" + url.split("://", 1)[1]
    if not url.startswith("sqlite"):
        return postgres_engine(url, pool_size=2, max_overflow=10)
    engine = create_async_engine(url, pool_size=1, max_overflow=0)

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "busy_timeout=5000", "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    def on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    event.listen(engine.sync_engine, "connect", on_connect)
    event.listen(engine.sync_engine, "begin", on_begin)
    return engine


def config_from_env(env: dict[str, str]) -> RelayConfig:
    """Raises SystemExit when the OMS endpoint is not configured."""
    url = env.get("STOREPICK_OMS_EVENTS_URL")
    if not url:
        raise SystemExit("STOREPICK_OMS_EVENTS_URL is not set: nowhere to send events")
    secret = env.get("STOREPICK_OMS_SECRET", "")
    if not secret and env.get("STOREPICK_ENV") == "development":
        secret = "dev-oms-secret"  # the public dev secret, in development only
    if not secret or (secret == "dev-oms-secret" and env.get("STOREPICK_ENV") != "development"):
        raise SystemExit("STOREPICK_OMS_SECRET is not set: only STOREPICK_ENV=development "
                         "signs with the public dev secret")
    return RelayConfig(
        url=url, secret=secret,
        batch_url=env.get("STOREPICK_OMS_BATCH_URL") or None,
        timeout_seconds=float(env.get("STOREPICK_RELAY_TIMEOUT", "10")),
        max_attempts=int(env.get("STOREPICK_RELAY_MAX_ATTEMPTS", "25")),
        lease_seconds=float(env.get("STOREPICK_RELAY_LEASE", "60")),
        backoff=Backoff(base=float(env.get("STOREPICK_RELAY_BACKOFF_BASE", "1.0"))),
    )


async def serve(url: str, config: RelayConfig) -> None:
    engine = engine_for(url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    @contextlib.asynccontextmanager
    async def transactions() -> AsyncIterator[AsyncSession]:
        async with sessions() as session:
            yield session

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    relay = Relay(transactions, config)
    logging.getLogger("storepick.relay").info("relay %s sending to %s", relay.name, config.url)
    try:
        await relay.run(stop)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sync", description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args(argv)
    if not args.database_url:
        raise SystemExit("DATABASE_URL is not set")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    asyncio.run(serve(args.database_url, config_from_env(dict(os.environ))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
