"""In-memory repositories of packing and handover (the ports ``OmsOrders``,
``Handovers``, ``PickupAttempts`` and ``CheckIns`` of ``app.services.ports_handover``).

``tests.support.fakes.FakeUnitOfWork`` builds them when it opens (``enter``) and keeps
what they wrote only when it commits (``commit``), as the SQL unit of work does. An
order's handover travels on the order itself (``Order.handover``), so it is stored,
copied and thrown away with the orders; the wrong pickup codes and the customers'
check-ins are in ``HandoverStorage`` (``Storage.handover``)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from picking.handover import Handover
from picking.model import Order

if TYPE_CHECKING:
    from tests.support.fakes import FakeOrders, FakeUnitOfWork


@dataclass
class HandoverStorage:
    failures: list[tuple[int, datetime]] = field(default_factory=list)  # (staff id, when)


def enter(uow: FakeUnitOfWork) -> None:
    uow.handover = copy.deepcopy(uow.storage.handover)
    uow.orders = FakeOmsOrders(uow, uow.orders)  # type: ignore[assignment]
    uow.handovers = FakeHandovers(uow)
    uow.pickup_attempts = FakePickupAttempts(uow)


def commit(uow: FakeUnitOfWork) -> None:
    uow.storage.handover = uow.handover


class FakeOmsOrders:
    """The picking fake's orders (``FakeOrders``), and by OMS id, and new ones."""

    def __init__(self, uow: FakeUnitOfWork, base: FakeOrders) -> None:
        self.uow, self.base = uow, base

    async def lock(self, order_id: int) -> None:
        await self.base.lock(order_id)

    async def get(self, order_id: int, *, store_id: int | None = None, lock: bool = True,
                  scans: bool = True) -> Order | None:
        return await self.base.get(order_id, store_id=store_id, lock=lock, scans=scans)

    async def for_scan(self, order_id: int, *, store_id: int, product_id: int | None = None,
                       line_id: int | None = None) -> Order | None:
        return await self.base.for_scan(order_id, store_id=store_id, product_id=product_id,
                                        line_id=line_id)

    async def reload(self, order_id: int, *, store_id: int) -> Order | None:
        return await self.base.reload(order_id, store_id=store_id)

    async def current_for_picker(self, picker_id: int) -> int | None:
        return await self.base.current_for_picker(picker_id)

    async def claim_next_queued(self, store_id: int) -> int | None:
        return await self.base.claim_next_queued(store_id)

    async def by_oms_id(self, oms_id: str) -> Order | None:
        return next((o for o in self.uow.working.values() if o.oms_id == oms_id), None)

    def add(self, order: Order) -> None:
        """A new order gets its ids at once (the SQL one gets them at commit)."""
        order.id = max(self.uow.working, default=0) + 1
        self.uow.working[order.id] = order
        number_lines(self.uow)


def number_lines(uow: FakeUnitOfWork) -> None:
    """Lines without an id (new orders, lines a revision added) get the next free ones."""
    lines = [ln for o in uow.working.values() for ln in o.lines]
    last = max((ln.id or 0 for ln in lines), default=0)
    for line in lines:
        if line.id is None:
            last += 1
            line.id = last


class FakeHandovers:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    def _orders(self) -> list[Order]:
        return [self.uow.working[k] for k in sorted(self.uow.working)]

    async def attach(self, order: Order) -> Order:
        return order  # the handover is kept on the order

    def add(self, handover: Handover) -> None:
        order = self.uow.working[handover.order_id or 0]
        assert order.handover is handover, "packing attaches the handover to its order"

    async def code_waiting(self, code_hash: str) -> bool:
        return any(o.handover.pickup_code_hash == code_hash and o.handover.delivered_at is None
                   for o in self._orders() if o.handover is not None)

    async def waiting_for(self, store_id: int, code_hash: str) -> int | None:
        return next((o.id for o in self._orders()
                     if o.store_id == store_id and str(o.status) == "packed"
                     and o.fulfilment == "collect" and o.handover is not None
                     and o.handover.pickup_code_hash == code_hash), None)

    async def handed_over_since(self, store_id: int, code_hash: str,
                                since: datetime) -> tuple[str, datetime] | None:
        found = sorted(((o.handover.handed_over_at, o.oms_id) for o in self._orders()
                        if o.store_id == store_id and o.fulfilment == "collect"
                        and o.handover is not None and o.handover.pickup_code_hash == code_hash
                        and o.handover.handed_over_at is not None
                        and o.handover.handed_over_at >= since), reverse=True)
        return None if not found else (found[0][1], found[0][0])


class FakePickupAttempts:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def failures_since(self, staff_id: int, since: datetime) -> int:
        return sum(1 for who, at in self.uow.handover.failures if who == staff_id and at > since)

    async def add_failure(self, staff_id: int, at: datetime) -> None:
        self.uow.handover.failures.append((staff_id, at))


