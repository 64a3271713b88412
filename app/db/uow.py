"""Unit of work: one write transaction, its outbox rows, and messages after commit.

Rollback is the default: leaving the block without ``commit()`` undoes
everything. ``commit()`` writes every event the touched orders recorded to the
outbox in the same transaction; only after the commit succeeds are the small
live-update messages (ids only) handed to the publisher.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cached_property
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import direct
from app.db.engine import Database
from app.db.repo_floor import FloorRepository, PickupRepository
from app.db.repo_handover import HandoverRepository, PickupAttemptRepository
from app.db.repo_inbound import OmsCatalogRepository, OmsSignatureRepository, OmsStoreRepository
from app.db.repo_oos import (
    CustomerLinkRepository,
    LikelyOutRepository,
    ProposalPhotoRepository,
    SubstituteRepository,
)
from app.db.repo_runs import RunRepository, ToteRepository
from app.db.repositories import (
    CatalogRepository,
    OrderRepository,
    ScanRepository,
    StoreRepository,
)
from app.db.stock import StockRepository
from sync import outbox
from sync.outbox import envelope as envelope  # the envelope is built in sync now

INSERT_OUTBOX = direct.Statement(outbox.INSERT_OUTBOX)

Publisher = Callable[[list[dict[str, Any]]], Awaitable[None]]


R = TypeVar("R")


def _repository(make: Callable[[AsyncSession], R]) -> cached_property[R]:
    def repository(self: UnitOfWork) -> R:
        return make(self.session)
    return cached_property(repository)


class UnitOfWork:
    def __init__(self, db: Database, publish: Publisher | None = None) -> None:
        self._db = db
        self._publish = publish
        self._messages: list[dict[str, Any]] = []
        self.committed = False

    async def __aenter__(self) -> UnitOfWork:
        self._cm = self._db.writing()
        self.session: AsyncSession = await self._cm.__aenter__()
        for name in _REPOSITORIES:  # a unit of work entered again: this session's
            self.__dict__.pop(name, None)
        return self

    # Each repository is made when first asked for: a scan uses a few of these.
    orders = _repository(OrderRepository)
    catalog = _repository(CatalogRepository)
    stores = _repository(StoreRepository)
    stock = _repository(StockRepository)
    runs = _repository(RunRepository)
    totes = _repository(ToteRepository)
    likely_out_marks = _repository(LikelyOutRepository)  # the out-of-stock loop
    links = _repository(CustomerLinkRepository)
    substitutes = _repository(SubstituteRepository)
    proposal_photos = _repository(ProposalPhotoRepository)
    handovers = _repository(HandoverRepository)  # packing and handover
    pickup_attempts = _repository(PickupAttemptRepository)
    oms_stores = _repository(OmsStoreRepository)  # what the OMS sends
    oms_catalog = _repository(OmsCatalogRepository)
    signatures = _repository(OmsSignatureRepository)
    pickups = _repository(PickupRepository)  # the floor (app.services.ports_floor)
    floor = _repository(FloorRepository)

    @cached_property
    def scans(self) -> ScanRepository:  # the probe offers its order rows to ``orders``
        return ScanRepository(self.session, self.orders.plain)

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if not self.committed:
                await self.session.rollback()
        finally:
            await self._cm.__aexit__(exc_type, exc, tb)
        if self.committed and self._publish and self._messages:
            await self._publish(self._messages)

    async def commit(self) -> None:
        # What scans changed in orders read with Core, and the outbox rows of every
        # order's new events: one statement on PostgreSQL (app.db.direct.write_all).
        writes = self.orders.plain.writes()
        batches = []
        for order in self.orders.seen():
            if order.events:
                batches.append((order, order.events))
                order.events = []
        messages: list[dict[str, Any]] = []
        if batches:
            rows, messages = outbox.outbox_rows(batches)
            writes.append(direct.Write(INSERT_OUTBOX, rows))
        await direct.write_all(self.session, writes)
        self._messages += messages
        await self.session.commit()
        self.committed = True


_REPOSITORIES = tuple(name for name, value in vars(UnitOfWork).items()
                      if isinstance(value, cached_property))
