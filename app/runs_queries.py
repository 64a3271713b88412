"""The run screens' reads, on a reading session: the same rules as the services of
``app.services.runs`` (a run's view, what waits for a tote, whether a code is a tote
label), read through the SQL repositories without a write transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.repo_runs import RunRepository, ToteRepository
from app.db.repositories import OrderRepository
from app.services import runs as service
from app.services.runs import RunView
from picking.runs import RunRules


class RunReading:
    """The runs repositories on a screen's reading session (a ``RunsReader``)."""

    def __init__(self, session: AsyncSession) -> None:
        self.orders = OrderRepository(session)
        self.runs = RunRepository(session)
        self.totes = ToteRepository(session)


def reader(session: AsyncSession) -> RunReading:
    return RunReading(session)


async def load_run(session: AsyncSession, run_id: int, store_id: int) -> RunView | None:
    return await service.load_run(reader(session), run_id, store_id)


async def is_tote_label(session: AsyncSession, store_id: int, raw: str) -> bool:
    return await service.is_tote_label(reader(session), store_id, raw)


async def active_run(session: AsyncSession, picker_id: int) -> int | None:
    return await RunRepository(session).active_run(picker_id)


async def rules_for(session: AsyncSession, store_id: int) -> RunRules:
    return await RunRepository(session).rules(store_id)


async def active_runs(session: AsyncSession, store_id: int) -> list[dict[str, Any]]:
    return await service.active_runs(reader(session), store_id)


async def waiting_puts(session: AsyncSession, order_id: int) -> int:
    return await service.waiting_puts(reader(session), order_id)
