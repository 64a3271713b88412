"""Runs and totes in SQL (SQLite and PostgreSQL): the repositories behind
``app.services.runs`` (ports ``Runs`` and ``Totes`` in ``app.services.ports``).

Every statement here is the one the runs service ran before it moved behind a
port; the rules (which orders make a run, which order gets a unit, which tote a
unit goes into) stay in the service and in ``picking.runs``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables
from app.db.tables_runs import pick_runs, run_orders, run_settings, tote_puts, totes
from app.services.records import Refused
from app.services.run_records import BoardRun, DonePut, RunMember, RunRow, ToteRow, UnputScan
from picking.runs import Candidate, RunRules
from picking.status import OrderStatus


def _postgres(session: AsyncSession) -> bool:
    return session.bind.dialect.name == "postgresql"  # type: ignore[union-attr]


class RunRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- settings ----------------------------------------------------------------------

    async def rules(self, store_id: int) -> RunRules:
        """The store's run settings (the defaults when it saved none)."""
        row = (await self.session.execute(select(run_settings).where(
            run_settings.c.store_id == store_id))).mappings().first()
        if row is None:
            return RunRules()
        return RunRules(max_orders=row["max_orders"], window_minutes=row["window_minutes"],
                        mixes=tuple(frozenset(g) for g in row["mixes"] or []),
                        own_tote_prefix=row["own_tote_prefix"])

    async def save_rules(self, store_id: int, rules: RunRules) -> None:
        await self.session.execute(run_settings.delete().where(
            run_settings.c.store_id == store_id))
        await self.session.execute(insert(run_settings).values(
            store_id=store_id, max_orders=rules.max_orders,
            window_minutes=rules.window_minutes, mixes=[sorted(g) for g in rules.mixes],
            own_tote_prefix=rules.own_tote_prefix))

    # -- finding runs ------------------------------------------------------------------

    async def active_run(self, picker_id: int) -> int | None:
        """The picker's active run (the oldest, should there be two)."""
        return await self.session.scalar(select(pick_runs.c.id).where(
            pick_runs.c.picker_id == picker_id, pick_runs.c.status == "active")
            .order_by(pick_runs.c.id).limit(1))

    async def active_run_ids(self, picker_id: int) -> list[int]:
        return list(await self.session.scalars(select(pick_runs.c.id).where(
            pick_runs.c.picker_id == picker_id, pick_runs.c.status == "active")))

    async def run_of_order(self, order_id: int) -> tuple[int, int] | None:
        """(run id, store id) of the active run the order is still in, if any."""
        found = (await self.session.execute(
            select(run_orders.c.run_id, pick_runs.c.store_id).join(
                pick_runs, pick_runs.c.id == run_orders.c.run_id).where(
                run_orders.c.order_id == order_id, run_orders.c.left_at.is_(None),
                pick_runs.c.status == "active"))).first()
        return None if found is None else (found.run_id, found.store_id)

    async def get(self, run_id: int, store_id: int) -> RunRow | None:
        run = (await self.session.execute(select(pick_runs).where(
            pick_runs.c.id == run_id, pick_runs.c.store_id == store_id))).mappings().first()
        return None if run is None else RunRow(run["id"], run["picker_id"], run["status"])

    async def board(self, store_id: int) -> list[BoardRun]:
        """The store's active runs with their pickers' names, oldest first."""
        r, st = pick_runs.c, tables.staff.c
        rows = (await self.session.execute(
            select(r.id, r.picker_id, st.name, r.built_by, r.created_at)
            .join(tables.staff, st.id == r.picker_id)
            .where(r.store_id == store_id, r.status == "active").order_by(r.created_at, r.id)
        )).all()
        return [BoardRun(run_id, picker_id, name, built_by, created_at)
                for run_id, picker_id, name, built_by, created_at in rows]

    async def picker_store(self, picker_id: int) -> int | None:
        """The store of this picker (None when no picker has that id)."""
        return await self.session.scalar(select(tables.staff.c.store_id).where(
            tables.staff.c.id == picker_id, tables.staff.c.role == "picker"))

    # -- claiming queued orders --------------------------------------------------------

    async def queued(self, store_id: int, *, excluding: set[int],
                     limit: int) -> list[Candidate]:
        """Queued unassigned orders of the store, most urgent first."""
        o = tables.orders.c
        stmt = (select(o.id, o.due_at, o.fulfilment, o.priority)
                .where(o.store_id == store_id, o.status == OrderStatus.QUEUED.value,
                       o.picker_id.is_(None), o.id.not_in(excluding))
                .order_by(o.priority.desc(), o.due_at, o.id).limit(limit))
        rows = (await self.session.execute(stmt)).all()
        return [Candidate(r.id, r.due_at, r.fulfilment, r.priority) for r in rows]

    async def hold_queued(self, order_ids: list[int]) -> set[int]:
        """Those of these orders this transaction now holds. PostgreSQL locks the ones
        still queued and unassigned, skipping rows another picker's transaction holds;
        SQLite's writer transaction already serialises, so every one is held."""
        if not _postgres(self.session):
            return set(order_ids)
        o = tables.orders.c
        return set(await self.session.scalars(
            select(o.id).where(o.id.in_(order_ids),
                               o.status == OrderStatus.QUEUED.value, o.picker_id.is_(None))
            .with_for_update(skip_locked=True)))

    # -- a run and its orders ----------------------------------------------------------

    async def add(self, *, store_id: int, picker_id: int, now: datetime,
                  built_by: int | None) -> int:
        result = await self.session.execute(insert(pick_runs).values(
            store_id=store_id, picker_id=picker_id, status="active",
            created_at=now, built_by=built_by).returning(pick_runs.c.id))
        return int(result.scalar_one())

    async def members(self, run_id: int) -> list[RunMember]:
        """Every order the run held, by letter (those that left too)."""
        rows = (await self.session.execute(select(run_orders).where(
            run_orders.c.run_id == run_id).order_by(run_orders.c.letter))).mappings().all()
        return [RunMember(m["letter"], m["order_id"], m["left_reason"]) for m in rows]

    async def open_members(self, run_id: int) -> list[int]:
        """Ids of the orders still in the run."""
        return list(await self.session.scalars(select(run_orders.c.order_id).where(
            run_orders.c.run_id == run_id, run_orders.c.left_at.is_(None))))

    async def is_member(self, run_id: int, order_id: int, store_id: int) -> bool:
        member = await self.session.scalar(select(run_orders.c.order_id).join(
            pick_runs, pick_runs.c.id == run_orders.c.run_id).where(
            run_orders.c.run_id == run_id, run_orders.c.order_id == order_id,
            run_orders.c.left_at.is_(None), pick_runs.c.store_id == store_id))
        return member is not None

    async def scan_floor(self) -> int:
        """The newest scan's id (0 before any): an order joining a run now owes the run
        no put for its scans up to this one."""
        floor = await self.session.scalar(select(func.coalesce(func.max(tables.scans.c.id), 0)))
        return int(floor or 0)

    async def letters(self, run_id: int) -> set[str]:
        return set(await self.session.scalars(select(run_orders.c.letter).where(
            run_orders.c.run_id == run_id)))

    async def join(self, run_id: int, order_id: int, *, letter: str, now: datetime,
                   scan_floor: int) -> None:
        await self.session.execute(insert(run_orders).values(
            run_id=run_id, order_id=order_id, letter=letter, joined_at=now,
            scan_floor=scan_floor))

    async def leave(self, run_id: int, order_id: int, *, now: datetime, reason: str) -> None:
        await self.session.execute(update(run_orders).where(
            run_orders.c.run_id == run_id, run_orders.c.order_id == order_id).values(
            left_at=now, left_reason=reason))

    async def leave_runs(self, order_ids: list[int], *, now: datetime, reason: str,
                         other_than: int | None = None) -> None:
        """These orders leave every run they are still in (but ``other_than``)."""
        where: list[ColumnElement[bool]] = [run_orders.c.order_id.in_(order_ids),
                                            run_orders.c.left_at.is_(None)]
        if other_than is not None:
            where.insert(1, run_orders.c.run_id != other_than)
        await self.session.execute(update(run_orders).where(*where).values(
            left_at=now, left_reason=reason))

    async def still_picking(self, run_id: int) -> int:
        """How many orders of the run its picker is still picking in it."""
        o, ro = tables.orders.c, run_orders.c
        left = await self.session.scalar(select(func.count()).select_from(run_orders).join(
            tables.orders, o.id == ro.order_id).join(
            pick_runs, pick_runs.c.id == ro.run_id).where(
            ro.run_id == run_id, ro.left_at.is_(None), o.status == OrderStatus.PICKING.value,
            o.picker_id == pick_runs.c.picker_id))
        return int(left or 0)

    async def close(self, run_id: int, now: datetime) -> None:
        await self.session.execute(update(pick_runs).where(pick_runs.c.id == run_id).values(
            status="closed", closed_at=now))

    # -- scans of a run ----------------------------------------------------------------

    async def unput_scans(self, run_id: int, order_ids: list[int]) -> list[UnputScan]:
        """Counted scans on these orders of the run, made after each joined it, whose
        unit has no put yet: oldest first."""
        s, ln, ro = tables.scans.c, tables.order_lines.c, run_orders.c
        rows = (await self.session.execute(
            select(s.scan_id, ln.order_id, ln.id, s.quantity)
            .join(tables.order_lines, ln.id == s.line_id)
            .join(run_orders, and_(ro.order_id == ln.order_id, ro.run_id == run_id))
            .where(ln.order_id.in_(order_ids), s.undone_at.is_(None), s.id > ro.scan_floor,
                   ~exists().where(tote_puts.c.item_scan_id == s.scan_id))
            .order_by(s.id))).all()
        return [UnputScan(scan_id, order_id, line_id, quantity)
                for scan_id, order_id, line_id, quantity in rows]

    async def counted_order(self, scan_id: str) -> int | None:
        """The order a scan id was counted on, if it was."""
        s, ln = tables.scans.c, tables.order_lines.c
        known = await self.session.scalar(select(ln.order_id).join(
            tables.scans, s.line_id == ln.id).where(s.scan_id == scan_id))
        return None if known is None else int(known)

    async def refused(self, scan_id: str) -> Refused | None:
        """The refusal recorded under a scan id (or a put id), if any."""
        r = tables.refused_scans.c
        row = (await self.session.execute(select(r.order_id, r.code, r.error, r.params).where(
            r.scan_id == scan_id))).first()
        return None if row is None else Refused(row.order_id, row.code, row.error,
                                                dict(row.params or {}))


class ToteRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, store_id: int, code: str, *, lock: bool) -> ToteRow | None:
        """The store's tote with this code; ``lock`` holds its row on PostgreSQL."""
        stmt = select(totes).where(totes.c.store_id == store_id, totes.c.code == code)
        if lock and _postgres(self.session):
            stmt = stmt.with_for_update()
        row = (await self.session.execute(stmt)).mappings().first()
        return None if row is None else ToteRow(row["id"], row["code"], row["order_id"],
                                                row["zone"], row["emptied_at"])

    async def of_orders(self, order_ids: list[int]) -> list[ToteRow]:
        if not order_ids:
            return []
        t = totes.c
        rows = (await self.session.execute(select(t.id, t.code, t.order_id, t.zone,
                                                  t.emptied_at)
                                           .where(t.order_id.in_(order_ids)))).all()
        return [ToteRow(r.id, r.code, r.order_id, r.zone, r.emptied_at) for r in rows]

    async def add_own(self, store_id: int, code: str) -> bool:
        """A store's own tote, seen for the first time. False when another transaction
        added the same code first: PostgreSQL makes the second wait on the unique index
        and fail here (the transaction is then spoilt: leave it)."""
        try:
            await self.session.execute(insert(totes).values(
                store_id=store_id, code=code, kind="own"))
        except IntegrityError:
            return False
        return True

    async def count_printed(self, store_id: int) -> int:
        last = await self.session.scalar(select(func.count()).select_from(totes).where(
            totes.c.store_id == store_id, totes.c.kind == "printed"))
        return int(last or 0)

    async def add_printed(self, store_id: int, codes: list[str]) -> None:
        for code in codes:
            await self.session.execute(insert(totes).values(store_id=store_id, code=code,
                                                            kind="printed"))

    async def bind(self, tote_id: int, *, order_id: int, zone: str, now: datetime,
                   staff_id: int) -> None:
        await self.session.execute(update(totes).where(totes.c.id == tote_id).values(
            order_id=order_id, zone=zone, bound_at=now, bound_by=staff_id, emptied_at=None))

    async def emptied(self, tote_id: int, store_id: int, now: datetime) -> None:
        await self.session.execute(update(totes).where(
            totes.c.id == tote_id, totes.c.store_id == store_id).values(
            emptied_at=now, order_id=None, zone=None))

    async def holder_status(self, order_id: int) -> str | None:
        """The status of the order a tote is bound to."""
        return await self.session.scalar(select(tables.orders.c.status).where(
            tables.orders.c.id == order_id))

    async def put(self, put_id: str) -> DonePut | None:
        done = (await self.session.execute(select(tote_puts, totes.c.code, totes.c.zone).join(
            totes, totes.c.id == tote_puts.c.tote_id).where(
            tote_puts.c.put_id == put_id))).mappings().first()
        return None if done is None else DonePut(done["order_id"], done["line_id"],
                                                 done["code"], done["zone"])

    async def add_put(self, *, put_id: str, tote_id: int, order_id: int, line_id: int,
                      item_scan_id: str, quantity: int, staff_id: int,
                      at: datetime) -> None:
        await self.session.execute(insert(tote_puts).values(
            put_id=put_id, tote_id=tote_id, order_id=order_id, line_id=line_id,
            item_scan_id=item_scan_id, quantity=quantity, staff_id=staff_id, at=at))
