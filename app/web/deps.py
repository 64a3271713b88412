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


@asynccontextmanager
async def quick_reading(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    """For the few indexed reads that answer a picker's action (see Database.quick_reading)."""
    async with request.app.state.db.quick_reading() as session:
        yield session
