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


def marking_checker(request: Request[Any, Any, Any]) -> Any:
    """The deployment's marking checker (app.marking), or None: the check is off."""
    return request.app.state.marking


def new_uow(request: Request[Any, Any, Any]) -> UnitOfWork:
    state = request.app.state
    return UnitOfWork(state.db, state.publish)


@asynccontextmanager
async def reading(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    async with request.app.state.db.reading() as session:
        yield session


@asynccontextmanager
async def quick_reading(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    """For the few indexed reads that answer a picker's action (see Database.quick_reading)."""
    async with request.app.state.db.quick_reading() as session:
        yield session



def public_base_url(request: Request[Any, Any, Any]) -> str:
    """Where a customer's phone reaches this app, for the links the OMS sends them.

    ``STOREPICK_PUBLIC_BASE_URL`` when set (behind a proxy, or a public name); else the
    scheme and host of the staff member's own request: a picker on the store's Wi-Fi
    opened the app at the machine's network address, which the customer's phone on the
    same network can open too (``localhost`` would be the phone itself).
    """
    configured: str | None = request.app.state.settings.public_base_url
    if configured:
        return configured
    host = request.headers.get("host") or request.url.netloc
    return f"{request.url.scheme}://{host}"


def client_ip(request: Request[Any, Any, Any]) -> str:
    """The client's address, believing forwarded headers only from trusted proxies."""
    from app.proxies import client_address

    peer = request.client.host if request.client else None
    return client_address(peer, request.headers, request.app.state.trusted_proxies)
