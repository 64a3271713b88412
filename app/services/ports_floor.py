"""What the floor services need from storage, as Protocols (issue 10, item 2):
pickup check-in (``app.services.arrival``), the picker's pace and the board's rates
(``app.services.pace``), the supervisor's actions (``app.services.supervision``) and a
store's settings (``app.services.stores``).

The SQL side is ``app.db.repo_floor`` (registered on ``app.db.uow.UnitOfWork``, and on a
screen's reading session by ``app.floor_queries.reader``); the in-memory one is
``tests.support.fakes_floor``, wired into ``tests.support.fakes.FakeUnitOfWork``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from app.services.ports import CustomerLinks, PickingUnitOfWork, Stores
from app.services.records_floor import CheckedIn, PickRates, PickupSettings
from app.services.stores import StoreInfo
from picking.arrival import Arrival


class StoreRows(Protocol):
    """A store's settings as stored (``app.services.stores.load_store`` caches them)."""

    @property
    def address(self) -> str:
        """Which database: two databases never share a store's cached settings."""
        ...

    async def read(self, store_id: int) -> StoreInfo: ...


class StoreSettings(Stores, Protocol):
    """A store's settings (cached), and the supervisor's changes to them."""

    async def save_time_limits(self, store_id: int, limits: dict[str, int]) -> None: ...


class Pickups(Protocol):
    """The stores' pickup settings and the customers' check-ins, one row per packed
    collect order."""

    async def settings(self, store_id: int) -> PickupSettings:
        """The defaults for a store that never set them."""
        ...

    async def save_settings(self, store_id: int, settings: PickupSettings) -> None: ...

    async def opened(self, order_id: int, code_sealed: str | None) -> None:
        """The order's arrival row, at packing, with its sealed pickup code."""
        ...

    async def arrival(self, order_id: int) -> Arrival | None:
        """None when the order was never packed for collection."""
        ...

    async def save_arrival(self, order_id: int, arrival: Arrival) -> None: ...

    async def sealed_code(self, order_id: int) -> tuple[Arrival, str | None] | None:
        """The order's check-in steps and its sealed code; None without an arrival row."""
        ...

    async def checked_in(self, store_id: int) -> list[CheckedIn]:
        """The store's packed collect orders whose customer is here or on the way."""
        ...


class Floor(Protocol):
    """Who may pick in a store, what they hold, and which orders are the store's."""

    async def picker_name(self, store_id: int, picker_id: int,
                          roles: Sequence[str]) -> str | None:
        """The name of an active staff member of the store in one of ``roles``."""
        ...

    async def orders_being_picked(self, picker_id: int, *, besides: int) -> int: ...

    async def order_of_store(self, order_id: int | None, store_id: int) -> int | None:
        """``order_id`` when it is an order of the store; else None."""
        ...


class PaceFigures(Protocol):
    """What a picker's pace and the board's per-picker rates are made of."""

    async def scans(self, picker_id: int, since: datetime) -> list[tuple[datetime, int]]:
        """The picker's counted scans since ``since``: when, and how many items each."""
        ...

    async def waits(self, picker_id: int, since: datetime
                    ) -> list[tuple[datetime, datetime | None, datetime | None]]:
        """The picker's substitute proposals since ``since``: proposed, decided, expires."""
        ...

    async def in_hand(self, store_id: int, picker_id: int) -> tuple[datetime, int] | None:
        """The due time and items left of the order the picker is picking, if any."""
        ...

    async def rates(self, store_id: int, since: datetime) -> dict[int, PickRates]: ...


class FloorReader(Protocol):
    """What the floor's read-only services read through (a screen's reading session,
    ``app.floor_queries.reader``, or an open fake unit of work)."""

    @property
    def pickups(self) -> Pickups: ...

    @property
    def links(self) -> CustomerLinks: ...

    @property
    def pace(self) -> PaceFigures: ...


class CheckInStorage(Protocol):
    """What opening a check-in at packing needs (``arrival.open_check_in``): the
    arrival record and the customer's link. Packing's unit of work has both."""

    @property
    def pickups(self) -> Pickups: ...

    @property
    def links(self) -> CustomerLinks: ...


class FloorUnitOfWork(PickingUnitOfWork, Protocol):
    """The picking unit of work with the floor's repositories."""

    @property
    def stores(self) -> StoreSettings: ...

    @property
    def pickups(self) -> Pickups: ...

    @property
    def links(self) -> CustomerLinks: ...

    @property
    def floor(self) -> Floor: ...

    async def __aenter__(self) -> FloorUnitOfWork: ...
