"""The floor screens' reads, on a reading session: pickup settings and who is waiting
(the board, the collect desk, the customer's page), the picker's pace and the board's
rates, a store's cached settings. The rules are the services' (``app.services.arrival``,
``app.services.pace``, ``app.services.stores``), read through the SQL repositories of
``app.db.repo_floor`` without a write transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.repo_floor import PaceRepository, PickupRepository, StoreRepository
from app.db.repo_oos import CustomerLinkRepository
from app.services import arrival, pace, stores
from app.services.arrival import Waiting
from app.services.records_floor import PickRates, PickupSettings
from app.services.stores import StoreInfo
from app.staff import StaffUser
from picking.arrival import Arrival
from picking.pace import Pace


class FloorReading:
    """The floor's repositories on a screen's reading session (a ``FloorReader``)."""

    def __init__(self, session: AsyncSession) -> None:
        self.pickups = PickupRepository(session)
        self.links = CustomerLinkRepository(session)
        self.pace = PaceRepository(session)


def reader(session: AsyncSession) -> FloorReading:
    return FloorReading(session)


async def load_store(session: AsyncSession, store_id: int) -> StoreInfo:
    """The store's settings (cached for a short while, ``app.services.stores``)."""
    return await stores.load_store(StoreRepository(session), store_id)


async def pickup_settings(session: AsyncSession, store_id: int) -> PickupSettings:
    """The store's pickup place, hours, bays, wait limit and pace target (defaults
    for a store that never set them)."""
    return await PickupRepository(session).settings(store_id)


async def arrival_of(session: AsyncSession, order_id: int) -> Arrival | None:
    """The order's arrival record; None when it was never packed for collection."""
    return await PickupRepository(session).arrival(order_id)


async def waiting_customers(session: AsyncSession, store_id: int, now: datetime,
                            limit_minutes: int) -> list[Waiting]:
    return await arrival.waiting_customers(reader(session), store_id, now, limit_minutes)


async def pickup_code(session: AsyncSession, token: str, secret: str) -> str | None:
    return await arrival.pickup_code(reader(session), token, secret)


async def my_pace(session: AsyncSession, picker: StaffUser, now: datetime) -> Pace:
    return await pace.my_pace(reader(session), picker, now)


async def pick_rates(session: AsyncSession, store_id: int, since: datetime
                     ) -> dict[int, PickRates]:
    return await pace.pick_rates(reader(session), store_id, since)
