"""The SQL repositories of the floor (the ports of ``app.services.ports_floor``:
``StoreRows``/``StoreSettings``, ``Pickups``, ``Floor``, ``PaceFigures``). The
statements are those the services ran themselves before issue 10, moved here
unchanged. Must not import ``app.db.repositories`` (which re-exports
``StoreRepository`` from here)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import and_, case, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables
from app.db.tables_arrive import pickup_arrivals, store_pickup
from app.db.tables_marking import freshness_defaults
from app.db.tables_substitutions import substitution_proposals
from app.services.records_floor import CheckedIn, PickRates, PickupSettings
from app.services.stores import StoreInfo, load_store
from picking.arrival import Arrival, parse_bays
from picking.codes import ScaleLayout
from picking.status import OrderStatus


class StoreRepository:
    """A store's settings (cached for a few seconds, see ``app.services.stores``)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def settings(self, store_id: int) -> StoreInfo:
        return await load_store(self, store_id)

    @property
    def address(self) -> str:
        # By the database's address, not the engine object's id: ids are reused once an
        # engine is gone.
        return str(getattr(self.session.bind, "url", id(self.session.bind)))

    async def read(self, store_id: int) -> StoreInfo:
        row = (await self.session.execute(
            select(tables.stores).where(tables.stores.c.id == store_id))).mappings().one()
        f = freshness_defaults.c
        fresh = await self.session.execute(
            select(f.category, f.min_days).where(f.store_id == store_id))
        return StoreInfo(
            id=row["id"], code=row["code"], name=row["name"], timezone=row["timezone"],
            locale=row["locale"], currency=row["currency"],
            layout=ScaleLayout.parse(row["scale_layout"], prefixes=row["scale_prefixes"]),
            soft_tolerance_pct=row["soft_tolerance_pct"],
            hard_tolerance_pct=row["hard_tolerance_pct"],
            time_limits=dict(row["time_limits"] or {}),
            freshness={str(c): int(d) for c, d in fresh.all()})

    async def save_time_limits(self, store_id: int, limits: dict[str, int]) -> None:
        await self.session.execute(update(tables.stores)
                                   .where(tables.stores.c.id == store_id)
                                   .values(time_limits=limits))


class PickupRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def settings(self, store_id: int) -> PickupSettings:
        row = (await self.session.execute(select(store_pickup).where(
            store_pickup.c.store_id == store_id))).first()
        if row is None:
            return PickupSettings()
        return PickupSettings(row.place, row.hours, parse_bays(row.bays),
                              row.wait_limit_minutes, row.pace_target_per_hour)

    async def save_settings(self, store_id: int, settings: PickupSettings) -> None:
        values = {"place": settings.place, "hours": settings.hours,
                  "bays": ",".join(settings.bays),
                  "wait_limit_minutes": settings.wait_limit_minutes,
                  "pace_target_per_hour": settings.pace_target_per_hour}
        done = await self.session.execute(update(store_pickup).where(
            store_pickup.c.store_id == store_id).values(**values))
        if not done.rowcount:  # type: ignore[attr-defined]
            await self.session.execute(insert(store_pickup).values(store_id=store_id, **values))

    async def opened(self, order_id: int, code_sealed: str | None) -> None:
        await self.session.execute(insert(pickup_arrivals).values(order_id=order_id,
                                                                  code_sealed=code_sealed))

    async def arrival(self, order_id: int) -> Arrival | None:
        row = (await self.session.execute(select(
            pickup_arrivals.c.on_the_way_at, pickup_arrivals.c.arrived_at, pickup_arrivals.c.bay)
            .where(pickup_arrivals.c.order_id == order_id))).first()
        return None if row is None else Arrival(row.on_the_way_at, row.arrived_at, row.bay)

    async def save_arrival(self, order_id: int, arrival: Arrival) -> None:
        values = {"on_the_way_at": arrival.on_the_way_at, "arrived_at": arrival.arrived_at,
                  "bay": arrival.bay}
        done = await self.session.execute(update(pickup_arrivals).where(
            pickup_arrivals.c.order_id == order_id).values(**values))
        if not done.rowcount:  # type: ignore[attr-defined]
            await self.session.execute(insert(pickup_arrivals).values(order_id=order_id,
                                                                      **values))

    async def sealed_code(self, order_id: int) -> tuple[Arrival, str | None] | None:
        row = (await self.session.execute(select(pickup_arrivals).where(
            pickup_arrivals.c.order_id == order_id))).first()
        if row is None:
            return None
        return Arrival(row.on_the_way_at, row.arrived_at, row.bay), row.code_sealed

    async def checked_in(self, store_id: int) -> list[CheckedIn]:
        o, a = tables.orders.c, pickup_arrivals.c
        rows = await self.session.execute(
            select(o.id, o.oms_id, o.customer_name, a.bay, a.on_the_way_at, a.arrived_at)
            .join(pickup_arrivals, a.order_id == o.id)
            .where(o.store_id == store_id, o.status == "packed", o.fulfilment == "collect",
                   (a.arrived_at.is_not(None)) | (a.on_the_way_at.is_not(None))))
        return [CheckedIn(r.id, r.oms_id, r.customer_name, r.bay, r.on_the_way_at,
                          r.arrived_at) for r in rows]


class FloorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def picker_name(self, store_id: int, picker_id: int,
                          roles: Sequence[str]) -> str | None:
        s = tables.staff.c
        found = await self.session.scalar(select(s.name).where(
            s.id == picker_id, s.store_id == store_id, s.active.is_(True),
            s.role.in_(roles)))
        return None if found is None else str(found)

    async def orders_being_picked(self, picker_id: int, *, besides: int) -> int:
        o = tables.orders.c
        count = await self.session.scalar(select(func.count()).where(
            o.picker_id == picker_id, o.status == OrderStatus.PICKING.value, o.id != besides))
        return int(count or 0)

    async def order_of_store(self, order_id: int | None, store_id: int) -> int | None:
        o = tables.orders.c
        found = await self.session.scalar(select(o.id).where(
            o.id == order_id, o.store_id == store_id))
        return None if found is None else int(found)


o, ln, sc, p = tables.orders.c, tables.order_lines.c, tables.scans.c, tables.products.c
sp = substitution_proposals.c


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class PaceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def scans(self, picker_id: int, since: datetime) -> list[tuple[datetime, int]]:
        items = case((p.unit == "weight", 1), else_=sc.quantity)
        return [(_aware(at), int(n)) for at, n in await self.session.execute(
            select(sc.scanned_at, items).join(tables.order_lines, ln.id == sc.line_id)
            .join(tables.products, p.id == ln.product_id)
            .where(sc.staff_id == picker_id, sc.scanned_at >= since, sc.undone_at.is_(None)))]

    async def waits(self, picker_id: int, since: datetime
                    ) -> list[tuple[datetime, datetime | None, datetime | None]]:
        return [(_aware(start), None if end is None else _aware(end),
                 None if expires is None else _aware(expires))
                for start, end, expires in await self.session.execute(
                    select(sp.proposed_at, sp.decided_at, sp.expires_at).where(
                        sp.staff_id == picker_id, sp.proposed_at >= since))]

    async def in_hand(self, store_id: int, picker_id: int) -> tuple[datetime, int] | None:
        order = (await self.session.execute(
            select(o.id, o.due_at).where(o.store_id == store_id, o.status == "picking",
                                         o.picker_id == picker_id)
            .order_by(o.picking_started_at.desc()).limit(1))).first()
        if order is None:
            return None
        left = case((p.unit == "weight", 1), else_=ln.quantity - ln.picked_quantity)
        items_left = await self.session.scalar(
            select(func.coalesce(func.sum(left), 0)).join(tables.products, p.id == ln.product_id)
            .where(ln.order_id == order.id, ln.state == "open"))
        return _aware(order.due_at), int(items_left or 0)

    async def rates(self, store_id: int, since: datetime) -> dict[int, PickRates]:
        undone = select(sc.line_id).where(sc.undone_at.is_not(None))
        picked = ln.state == "picked"
        rows = await self.session.execute(
            select(o.picker_id, func.count(ln.id),
                   func.sum(case((picked, 1), else_=0)),
                   func.sum(case((and_(picked, ln.id.not_in(undone)), 1), else_=0)))
            .join(tables.order_lines, ln.order_id == o.id)
            .where(o.store_id == store_id, o.picker_id.is_not(None),
                   o.picking_started_at >= since, ln.substitute_for_id.is_(None),
                   ln.state.in_(("picked", "short", "substituted")))
            .group_by(o.picker_id))
        return {int(pid): PickRates(int(n), int(found or 0), int(first or 0))
                for pid, n, found, first in rows}
