"""In-memory runs and totes (the ``Runs`` and ``Totes`` ports of
``app.services.ports``) for ``tests.support.fakes.FakeUnitOfWork``: the runs
services' rules are tested through them without a database. The SQL side,
``app.db.repo_runs``, is proven by tests/integration/test_runs*.py on SQLite and
PostgreSQL.

Orders and scans live in the unit of work's working orders; runs, their
members, totes and puts in a ``RunStorage`` copied on entering and kept on
commit, like the rest of the fake.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from app.services.records import Refused
from app.services.run_records import BoardRun, DonePut, RunMember, RunRow, ToteRow, UnputScan
from picking.lines import Scan
from picking.model import OrderStatus
from picking.runs import Candidate, RunRules

if TYPE_CHECKING:
    from tests.support.fakes import FakeUnitOfWork


@dataclass
class Run:
    id: int
    store_id: int
    picker_id: int
    created_at: datetime
    built_by: int | None = None
    status: str = "active"
    closed_at: datetime | None = None


@dataclass
class Membership:
    run_id: int
    order_id: int
    letter: str
    joined_at: datetime
    scan_floor: int
    left_at: datetime | None = None
    left_reason: str | None = None


@dataclass
class Tote:
    id: int
    store_id: int
    code: str
    kind: str  # printed | own
    order_id: int | None = None
    zone: str | None = None
    bound_at: datetime | None = None
    bound_by: int | None = None
    emptied_at: datetime | None = None

    def row(self) -> ToteRow:
        return ToteRow(self.id, self.code, self.order_id, self.zone, self.emptied_at)


@dataclass
class PutRecord:
    put_id: str
    tote_id: int
    order_id: int
    line_id: int
    item_scan_id: str
    quantity: int
    staff_id: int
    at: datetime


@dataclass
class RunStorage:
    """What the fake database holds for runs between units of work."""

    rules: dict[int, RunRules] = field(default_factory=dict)  # by store id
    runs: dict[int, Run] = field(default_factory=dict)
    members: list[Membership] = field(default_factory=list)
    totes: dict[int, Tote] = field(default_factory=dict)
    puts: dict[str, PutRecord] = field(default_factory=dict)
    staff: dict[int, tuple[int, str, str]] = field(default_factory=dict)  # (store, role, name)
    # Order ids another picker's transaction holds (PostgreSQL's SKIP LOCKED skips them).
    held_elsewhere: set[int] = field(default_factory=set)
    # Tote codes another transaction is adding at this very moment (the unique index).
    racing: set[str] = field(default_factory=set)


class FakeRuns:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.data: RunStorage = copy.deepcopy(uow.storage.runs)

    def committed(self) -> RunStorage:
        """The run data to keep, with the scans counted in this unit of work numbered
        (as the database numbers rows on insert)."""
        self._number_scans()
        return self.data

    def _scans(self) -> list[tuple[int, int, Scan]]:
        return [(order.id or 0, line.id or 0, scan)
                for order in self.uow.working.values() for line in order.lines
                for scan in line.scans]

    def _number_scans(self) -> None:
        scans = self._scans()
        last = max((s.id or 0 for _o, _l, s in scans), default=0)
        for _order, _line, scan in scans:
            if scan.id is None:
                last += 1
                scan.id = last

    # -- settings ----------------------------------------------------------------------

    async def rules(self, store_id: int) -> RunRules:
        return self.data.rules.get(store_id, RunRules())

    async def save_rules(self, store_id: int, rules: RunRules) -> None:
        self.data.rules[store_id] = rules

    # -- finding runs ------------------------------------------------------------------

    async def active_run(self, picker_id: int) -> int | None:
        return min((r.id for r in self.data.runs.values()
                    if r.picker_id == picker_id and r.status == "active"), default=None)

    async def active_run_ids(self, picker_id: int) -> list[int]:
        return [r.id for r in self.data.runs.values()
                if r.picker_id == picker_id and r.status == "active"]

    async def run_of_order(self, order_id: int) -> tuple[int, int] | None:
        for m in self.data.members:
            run = self.data.runs[m.run_id]
            if m.order_id == order_id and m.left_at is None and run.status == "active":
                return run.id, run.store_id
        return None

    async def get(self, run_id: int, store_id: int) -> RunRow | None:
        run = self.data.runs.get(run_id)
        if run is None or run.store_id != store_id:
            return None
        return RunRow(run.id, run.picker_id, run.status)

    async def board(self, store_id: int) -> list[BoardRun]:
        runs = sorted((r for r in self.data.runs.values()
                       if r.store_id == store_id and r.status == "active"),
                      key=lambda r: (r.created_at, r.id))
        return [BoardRun(r.id, r.picker_id, self.data.staff[r.picker_id][2], r.built_by,
                         r.created_at) for r in runs]

    async def picker_store(self, picker_id: int) -> int | None:
        found = self.data.staff.get(picker_id)
        return found[0] if found and found[1] == "picker" else None

    # -- claiming queued orders --------------------------------------------------------

    async def queued(self, store_id: int, *, excluding: set[int],
                     limit: int) -> list[Candidate]:
        orders = sorted((o for o in self.uow.working.values()
                         if o.store_id == store_id and o.status is OrderStatus.QUEUED
                         and o.picker_id is None and o.id not in excluding),
                        key=lambda o: (-o.priority, o.due_at, o.id or 0))
        return [Candidate(o.id or 0, o.due_at, o.fulfilment, o.priority)
                for o in orders[:limit]]

    async def hold_queued(self, order_ids: list[int]) -> set[int]:
        return {i for i in order_ids if i not in self.data.held_elsewhere
                and (o := self.uow.working.get(i)) is not None
                and o.status is OrderStatus.QUEUED and o.picker_id is None}

    # -- a run and its orders ----------------------------------------------------------

    async def add(self, *, store_id: int, picker_id: int, now: datetime,
                  built_by: int | None) -> int:
        run_id = max(self.data.runs, default=0) + 1
        self.data.runs[run_id] = Run(run_id, store_id, picker_id, now, built_by)
        return run_id

    async def members(self, run_id: int) -> list[RunMember]:
        return [RunMember(m.letter, m.order_id, m.left_reason)
                for m in sorted(self.data.members, key=lambda m: m.letter)
                if m.run_id == run_id]

    async def open_members(self, run_id: int) -> list[int]:
        return [m.order_id for m in self.data.members
                if m.run_id == run_id and m.left_at is None]

    async def is_member(self, run_id: int, order_id: int, store_id: int) -> bool:
        return any(m.run_id == run_id and m.order_id == order_id and m.left_at is None
                   and self.data.runs[run_id].store_id == store_id
                   for m in self.data.members)

    async def scan_floor(self) -> int:
        self._number_scans()
        return max((s.id or 0 for _o, _l, s in self._scans()), default=0)

    async def letters(self, run_id: int) -> set[str]:
        return {m.letter for m in self.data.members if m.run_id == run_id}

    async def join(self, run_id: int, order_id: int, *, letter: str, now: datetime,
                   scan_floor: int) -> None:
        if any(m.run_id == run_id and m.order_id == order_id for m in self.data.members):
            raise AssertionError("run_orders: (run, order) is the primary key")
        self.data.members.append(Membership(run_id, order_id, letter, now, scan_floor))

    async def leave(self, run_id: int, order_id: int, *, now: datetime, reason: str) -> None:
        for m in self.data.members:
            if m.run_id == run_id and m.order_id == order_id:
                m.left_at, m.left_reason = now, reason

    async def leave_runs(self, order_ids: list[int], *, now: datetime, reason: str,
                         other_than: int | None = None) -> None:
        for m in self.data.members:
            if m.order_id in order_ids and m.run_id != other_than and m.left_at is None:
                m.left_at, m.left_reason = now, reason

    async def still_picking(self, run_id: int) -> int:
        picker = self.data.runs[run_id].picker_id
        return sum(1 for m in self.data.members
                   if m.run_id == run_id and m.left_at is None
                   and (o := self.uow.working.get(m.order_id)) is not None
                   and o.status is OrderStatus.PICKING and o.picker_id == picker)

    async def close(self, run_id: int, now: datetime) -> None:
        run = self.data.runs[run_id]
        run.status, run.closed_at = "closed", now

    # -- scans of a run ----------------------------------------------------------------

    async def unput_scans(self, run_id: int, order_ids: list[int]) -> list[UnputScan]:
        self._number_scans()
        floors = {m.order_id: m.scan_floor for m in self.data.members if m.run_id == run_id}
        put = {p.item_scan_id for p in self.data.puts.values()}
        found = [(scan.id or 0, UnputScan(scan.scan_id, order_id, line_id, scan.quantity))
                 for order_id, line_id, scan in self._scans()
                 if order_id in order_ids and order_id in floors and scan.undone_at is None
                 and (scan.id or 0) > floors[order_id] and scan.scan_id not in put]
        return [unit for _id, unit in sorted(found, key=lambda x: x[0])]

    async def counted_order(self, scan_id: str) -> int | None:
        return next((order_id for order_id, _line, scan in self._scans()
                     if scan.scan_id == scan_id), None)

    async def refused(self, scan_id: str) -> Refused | None:
        return self.uow.refused.get(scan_id)


class FakeTotes:
    def __init__(self, runs: FakeRuns) -> None:
        self.runs = runs

    @property
    def data(self) -> RunStorage:
        return self.runs.data

    def _find(self, store_id: int, code: str) -> Tote | None:
        return next((t for t in self.data.totes.values()
                     if t.store_id == store_id and t.code == code), None)

    def _add(self, store_id: int, code: str, kind: str) -> None:
        if self._find(store_id, code) is not None:
            raise AssertionError("totes: (store, code) is unique")
        tote_id = max(self.data.totes, default=0) + 1
        self.data.totes[tote_id] = Tote(tote_id, store_id, code, kind)

    async def get(self, store_id: int, code: str, *, lock: bool) -> ToteRow | None:
        tote = self._find(store_id, code)
        return None if tote is None else tote.row()

    async def of_orders(self, order_ids: list[int]) -> list[ToteRow]:
        return [t.row() for t in self.data.totes.values() if t.order_id in order_ids]

    async def add_own(self, store_id: int, code: str) -> bool:
        if code in self.data.racing:
            return False
        self._add(store_id, code, "own")
        return True

    async def count_printed(self, store_id: int) -> int:
        return sum(1 for t in self.data.totes.values()
                   if t.store_id == store_id and t.kind == "printed")

    async def add_printed(self, store_id: int, codes: list[str]) -> None:
        for code in codes:
            self._add(store_id, code, "printed")

    async def bind(self, tote_id: int, *, order_id: int, zone: str, now: datetime,
                   staff_id: int) -> None:
        tote = self.data.totes[tote_id]
        tote.order_id, tote.zone, tote.bound_at, tote.bound_by = order_id, zone, now, staff_id
        tote.emptied_at = None

    async def emptied(self, tote_id: int, store_id: int, now: datetime) -> None:
        tote = self.data.totes.get(tote_id)
        if tote is not None and tote.store_id == store_id:
            tote.emptied_at, tote.order_id, tote.zone = now, None, None

    async def holder_status(self, order_id: int) -> str | None:
        order = self.runs.uow.working.get(order_id)
        return None if order is None else order.status.value

    async def put(self, put_id: str) -> DonePut | None:
        done = self.data.puts.get(put_id)
        if done is None:
            return None
        tote = self.data.totes[done.tote_id]
        return DonePut(done.order_id, done.line_id, tote.code, tote.zone or "")

    async def add_put(self, *, put_id: str, tote_id: int, order_id: int, line_id: int,
                      item_scan_id: str, quantity: int, staff_id: int,
                      at: datetime) -> None:
        if put_id in self.data.puts or any(p.item_scan_id == item_scan_id
                                           for p in self.data.puts.values()):
            raise AssertionError("tote_puts: put id and unit scan are unique")
        self.data.puts[put_id] = PutRecord(put_id, tote_id, order_id, line_id, item_scan_id,
                                           quantity, staff_id, at)
