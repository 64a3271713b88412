"""The PostgreSQL pool's check on checkout, shared by the app and ``python -m sync``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def closed_is_replaced(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Hand out no pooled PostgreSQL connection the server has closed (a restart, an
    admin's ``pg_terminate_backend``, a proxy's idle cut): the pool takes a new one.

    This replaces ``pool_pre_ping``, whose ping is three round trips (BEGIN, an empty
    query, ROLLBACK) on every checkout: a quarter of a scan's round trips. asyncpg
    reads every pooled socket, so a session the server ended is known closed without
    asking. A link that dies silently fails the statement instead; SQLAlchemy then
    drops every pooled connection, and the request answers an error its sender
    retries (a scan keeps its id, so it counts once)."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    if driver is not None and driver.is_closed():
        raise exc.DisconnectionError("the server closed this pooled connection")



def postgres_engine(url: str, *, pool_size: int, max_overflow: int) -> AsyncEngine:
    """An asyncpg engine whose pool hands out no connection the server has closed."""
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=max_overflow)
    event.listen(engine.sync_engine, "checkout", closed_is_replaced)
    return engine
