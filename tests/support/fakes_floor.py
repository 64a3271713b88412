"""In-memory repositories of the floor (the ports ``StoreSettings``, ``Pickups``,
``Floor`` and ``PaceFigures`` of ``app.services.ports_floor``).

``tests.support.fakes.FakeUnitOfWork`` builds them when it opens (``enter``) and keeps
what they wrote only when it commits (``commit``), as the SQL unit of work does. Their
own data is in ``FloorStorage`` (``Storage.floor``); orders are the shared
``Storage``'s, customer links ``tests.support.fakes_oos``'s. An open fake unit of work
is also a ``FloorReader`` for the read-only services."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from app.services.records_floor import CheckedIn, PickRates, PickupSettings
from app.services.stores import StoreInfo
from picking.arrival import Arrival
from picking.codes import ScaleLayout
from picking.model import LineState, OrderStatus

if TYPE_CHECKING:
    from tests.support.fakes import FakeUnitOfWork


@dataclass
class Person:
    store_id: int
    name: str
    role: str = "picker"
    active: bool = True


@dataclass
class FloorStorage:
    pickup: dict[int, PickupSettings] = field(default_factory=dict)  # by store id
    arrivals: dict[int, Arrival] = field(default_factory=dict)  # by order id
    sealed: dict[int, str | None] = field(default_factory=dict)  # order id -> sealed code
    staff: dict[int, Person] = field(default_factory=dict)  # by staff id
    time_limits: dict[int, dict[str, int]] = field(default_factory=dict)  # by store id
    # What a pace is made of, as the SQL side reads it from scans and proposals:
    scans: list[tuple[int, datetime, int]] = field(default_factory=list)  # picker, at, items
    waits: list[tuple[int, datetime, datetime | None, datetime | None]] = field(
        default_factory=list)  # picker, proposed, decided, expires
    rates: dict[int, dict[int, PickRates]] = field(default_factory=dict)  # store -> picker


def enter(uow: FakeUnitOfWork) -> None:
    """Give an opening unit of work the floor's repositories, on a copy of their data."""
    uow.floor_data = copy.deepcopy(uow.storage.floor)
    uow.stores = FakeStoreSettings(uow)  # type: ignore[assignment]
    uow.pickups = FakePickups(uow)
    uow.floor = FakeFloor(uow)
    uow.pace = FakePace(uow)


def commit(uow: FakeUnitOfWork) -> None:
    uow.storage.floor = uow.floor_data


class FakeStoreSettings:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def settings(self, store_id: int) -> StoreInfo:
        return StoreInfo(id=store_id, code="MSK-001", name="Test", timezone="Europe/Moscow",
                         locale="ru_RU", currency="RUB",
                         layout=ScaleLayout.parse("2P IIIII WWWWW C"),
                         time_limits=dict(self.uow.floor_data.time_limits.get(store_id, {})))

    async def save_time_limits(self, store_id: int, limits: dict[str, int]) -> None:
        self.uow.floor_data.time_limits[store_id] = dict(limits)


class FakePickups:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def settings(self, store_id: int) -> PickupSettings:
        return self.uow.floor_data.pickup.get(store_id, PickupSettings())

    async def save_settings(self, store_id: int, settings: PickupSettings) -> None:
        self.uow.floor_data.pickup[store_id] = settings

    async def opened(self, order_id: int, code_sealed: str | None) -> None:
        assert order_id not in self.uow.floor_data.arrivals  # the primary key
        self.uow.floor_data.arrivals[order_id] = Arrival()
        self.uow.floor_data.sealed[order_id] = code_sealed

    async def arrival(self, order_id: int) -> Arrival | None:
        came = self.uow.floor_data.arrivals.get(order_id)
        return None if came is None else replace(came)

    async def save_arrival(self, order_id: int, arrival: Arrival) -> None:
        self.uow.floor_data.arrivals[order_id] = replace(arrival)
        self.uow.floor_data.sealed.setdefault(order_id, None)

    async def sealed_code(self, order_id: int) -> tuple[Arrival, str | None] | None:
        came = self.uow.floor_data.arrivals.get(order_id)
        return None if came is None else (replace(came),
                                          self.uow.floor_data.sealed.get(order_id))

    async def checked_in(self, store_id: int) -> list[CheckedIn]:
        out = []
        for order_id, came in sorted(self.uow.floor_data.arrivals.items()):
            order = self.uow.working.get(order_id)
            if (order is None or order.store_id != store_id
                    or order.status is not OrderStatus.PACKED or order.fulfilment != "collect"
                    or (came.arrived_at is None and came.on_the_way_at is None)):
                continue
            out.append(CheckedIn(order_id, order.oms_id, order.customer_name, came.bay,
                                 came.on_the_way_at, came.arrived_at))
        return out


class FakeFloor:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def picker_name(self, store_id: int, picker_id: int,
                          roles: Sequence[str]) -> str | None:
        person = self.uow.floor_data.staff.get(picker_id)
        if (person is None or person.store_id != store_id or not person.active
                or person.role not in roles):
            return None
        return person.name

    async def orders_being_picked(self, picker_id: int, *, besides: int) -> int:
        return sum(1 for o in self.uow.working.values()
                   if o.picker_id == picker_id and o.status is OrderStatus.PICKING
                   and o.id != besides)

    async def order_of_store(self, order_id: int | None, store_id: int) -> int | None:
        order = self.uow.working.get(order_id) if order_id is not None else None
        return order_id if order is not None and order.store_id == store_id else None


class FakePace:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def scans(self, picker_id: int, since: datetime) -> list[tuple[datetime, int]]:
        return [(at, n) for who, at, n in self.uow.floor_data.scans
                if who == picker_id and at >= since]

    async def waits(self, picker_id: int, since: datetime
                    ) -> list[tuple[datetime, datetime | None, datetime | None]]:
        return [(start, end, expires) for who, start, end, expires in self.uow.floor_data.waits
                if who == picker_id and start >= since]

    async def in_hand(self, store_id: int, picker_id: int) -> tuple[datetime, int] | None:
        picking = [o for o in self.uow.working.values()
                   if o.store_id == store_id and o.status is OrderStatus.PICKING
                   and o.picker_id == picker_id]
        if not picking:
            return None
        order = max(picking, key=lambda o: o.picking_started_at or o.due_at)
        left = sum(1 if ln.product.unit == "weight" else ln.quantity - ln.picked_quantity
                   for ln in order.lines if ln.state is LineState.OPEN)
        return order.due_at, left

    async def rates(self, store_id: int, since: datetime) -> dict[int, PickRates]:
        return dict(self.uow.floor_data.rates.get(store_id, {}))
