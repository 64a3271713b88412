"""Unit of work: one write transaction, its outbox rows, and messages after commit.

Rollback is the default: leaving the block without ``commit()`` undoes
everything. ``commit()`` writes every event the touched orders recorded to the
outbox in the same transaction; only after the commit succeeds are the small
live-update messages (ids only) handed to the publisher.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

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


class UnitOfWork:
    def __init__(self, db: Database, publish: Publisher | None = None) -> None:
        self._db = db
        self._publish = publish
        self._messages: list[dict[str, Any]] = []
        self.committed = False

    async def __aenter__(self) -> UnitOfWork:
        self._cm = self._db.writing()
        self.session: AsyncSession = await self._cm.__aenter__()
        self.orders = OrderRepository(self.session)
        self.catalog = CatalogRepository(self.session)
        self.scans = ScanRepository(self.session)
        self.stores = StoreRepository(self.session)
        self.stock = StockRepository(self.session)
        self.runs = RunRepository(self.session)
        self.totes = ToteRepository(self.session)
        self.likely_out_marks = LikelyOutRepository(self.session)  # the out-of-stock loop
        self.links = CustomerLinkRepository(self.session)
        self.substitutes = SubstituteRepository(self.session)
        self.proposal_photos = ProposalPhotoRepository(self.session)
        self.handovers = HandoverRepository(self.session)  # packing and handover
        self.pickup_attempts = PickupAttemptRepository(self.session)
        self.oms_stores = OmsStoreRepository(self.session)  # what the OMS sends
        self.oms_catalog = OmsCatalogRepository(self.session)
        self.signatures = OmsSignatureRepository(self.session)
        self.pickups = PickupRepository(self.session)  # the floor (app.services.ports_floor)
        self.floor = FloorRepository(self.session)
        return self

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
