"""Small accessors handlers use to reach app-wide parts (db, clock, publisher)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.uow import UnitOfWork


def clock(request: Request[Any, Any, Any]) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def new_uow(request: Request[Any, Any, Any]) -> UnitOfWork:
    state = request.app.state
    return UnitOfWork(state.db, state.publish)


@asynccontextmanager
async def reading(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    async with request.app.state.db.reading() as session:
        yield session


def client_ip(request: Request[Any, Any, Any]) -> str:
    """The client's address, believing forwarded headers only from trusted proxies."""
    from app.proxies import client_address

    peer = request.client.host if request.client else None
    return client_address(peer, request.headers, request.app.state.trusted_proxies)
