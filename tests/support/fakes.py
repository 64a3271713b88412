"""An in-memory unit of work for the picking services (the ports of
``app.services.ports``), so their rules are tested without a database
(cosmicpython's FakeUnitOfWork). The SQL implementation is proven by the
integration tests on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any

from app.services.records import Counted, Refused, ScanProbe
from app.services.stores import StoreInfo
from picking import events
from picking.codes import ScaleLayout
from picking.model import Order, OrderStatus, Product
from tests.support import fakes_floor, fakes_handover, fakes_inbound, fakes_oos
from tests.support.fakes_runs import FakeRuns, FakeTotes, RunStorage


@dataclass
class Storage:
    """What the fake database holds between units of work."""

    orders: dict[int, Order] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)  # by GTIN-14
    refused: dict[str, Refused] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[events.Event] = field(default_factory=list)
    likely_out: set[tuple[int, int]] = field(default_factory=set)  # (store id, product id)
    runs: RunStorage = field(default_factory=RunStorage)  # runs, totes, puts (fakes_runs)
    commits: int = 0
    oos: fakes_oos.OosStorage = field(default_factory=fakes_oos.OosStorage)  # links, photos
    handover: fakes_handover.HandoverStorage = field(
        default_factory=fakes_handover.HandoverStorage)  # wrong pickup codes, check-ins
    inbound: fakes_inbound.InboundStorage = field(
        default_factory=fakes_inbound.InboundStorage)  # stores, catalog, signatures (OMS)
    floor: fakes_floor.FloorStorage = field(default_factory=fakes_floor.FloorStorage)  # pickup


class FakeOrders:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def lock(self, order_id: int) -> None:
        return None

    async def get(self, order_id: int, *, store_id: int | None = None, lock: bool = True,
                  scans: bool = True) -> Order | None:
        order = self.uow.working.get(order_id)
        if order is None or (store_id is not None and order.store_id != store_id):
            return None
        return order

    async def for_scan(self, order_id: int, *, store_id: int, product_id: int | None = None,
                       line_id: int | None = None) -> Order | None:
        return await self.get(order_id, store_id=store_id)

    async def reload(self, order_id: int, *, store_id: int) -> Order | None:
        return await self.get(order_id, store_id=store_id)

    async def current_for_picker(self, picker_id: int) -> int | None:
        return next((o.id for o in self.uow.working.values()
                     if o.picker_id == picker_id and o.status is OrderStatus.PICKING), None)

    async def claim_next_queued(self, store_id: int) -> int | None:
        queued = [o for o in self.uow.working.values()
                  if o.store_id == store_id and o.status is OrderStatus.QUEUED]
        return min(queued, key=lambda o: (-o.priority, o.due_at)).id if queued else None


class FakeCatalog:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    async def by_gtin(self, store_id: int, gtin14: str) -> Product | None:
        return self.storage.products.get(gtin14)

    async def by_plu(self, store_id: int, plu: str) -> Product | None:
        return next((p for p in self.storage.products.values() if p.plu == plu), None)


class FakeScans:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def probe(self, store_id: int, order_id: int, scan_id: str, *, gtin: str | None,
                    plu: str | None, marking_code: str | None) -> ScanProbe:
        product = self.uow.storage.products.get(gtin) if gtin else None
        counted = None
        used = False
        for order in self.uow.working.values():
            for line in order.lines:
                for scan in line.scans:
                    if scan.scan_id == scan_id:
                        counted = Counted(order.id or 0, line.id or 0, scan.code)
                    if marking_code and scan.marking_code == marking_code and not scan.undone_at:
                        used = True
        here = self.uow.working.get(order_id)
        return ScanProbe(product=product, counted=counted,
                         refused=self.uow.refused.get(scan_id), marking_used=used,
                         order_in_store=here is not None and here.store_id == store_id,
                         likely_out=product is not None
                         and (store_id, product.id) in self.uow.likely_out)

    async def refuse(self, *, scan_id: str, store_id: int, order_id: int | None,
                     staff_id: int, code: str, error: str, params: dict[str, Any],
                     at: datetime) -> None:
        self.uow.refused[scan_id] = Refused(order_id, code[:200], error, dict(params))

    async def note_error(self, *, store_id: int, staff_id: int, order_id: int | None,
                         code: str, kind: str, at: datetime) -> None:
        self.uow.errors.append({"order_id": order_id, "code": code, "kind": kind})


class FakeStores:
    async def settings(self, store_id: int) -> StoreInfo:
        return StoreInfo(id=store_id, code="MSK-001", name="Test", timezone="Europe/Moscow",
                         locale="ru_RU", currency="RUB",
                         layout=ScaleLayout.parse("2P IIIII WWWWW C"))


class FakeStock:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def clear_likely_out(self, store_id: int, product_id: int) -> None:
        self.uow.likely_out.discard((store_id, product_id))


class FakeUnitOfWork:
    """Works on copies; ``commit`` makes them the stored state, leaving without it
    throws them away (rollback is the default, as in the SQL unit of work)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.catalog = FakeCatalog(storage)
        self.stores = FakeStores()

    async def __aenter__(self) -> FakeUnitOfWork:
        self.working = copy.deepcopy(self.storage.orders)
        self.refused = dict(self.storage.refused)
        self.errors: list[dict[str, Any]] = []
        self.orders = FakeOrders(self)
        self.scans = FakeScans(self)
        self.likely_out = set(self.storage.likely_out)
        self.stock = FakeStock(self)
        self.runs = FakeRuns(self)
        self.totes = FakeTotes(self.runs)
        fakes_oos.enter(self)  # the loop's, the substitutions' and the photos' repositories
        fakes_handover.enter(self)  # orders by OMS id, handovers, pickup codes, check-ins
        fakes_inbound.enter(self)  # what the OMS sends: stores, catalog, signatures
        fakes_floor.enter(self)  # pickup check-in, pace, supervision, store settings
        self.committed = False
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        return None

    async def commit(self) -> None:
        for order in self.working.values():
            self.storage.outbox.extend(order.events)
            order.events = []
        self.storage.orders = self.working
        self.storage.refused = self.refused
        self.storage.errors.extend(self.errors)
        self.storage.likely_out = self.likely_out
        self.storage.runs = self.runs.committed()
        fakes_oos.commit(self)
        fakes_handover.commit(self)
        fakes_inbound.commit(self)
        fakes_floor.commit(self)
        self.storage.commits += 1
        self.committed = True
