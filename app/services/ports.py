"""What the picking services need from storage, as Protocols (the ports).

The services take a unit of work that satisfies ``PickingUnitOfWork`` and
nothing else; ``app.db.uow.UnitOfWork`` is the SQL implementation (SQLite and
PostgreSQL), ``tests.support.fakes.FakeUnitOfWork`` an in-memory one that the
service rules are tested through in milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol

from app.services.records import Refused, ScanProbe
from app.services.records_oos import LikelyOut
from app.services.run_records import BoardRun, DonePut, RunMember, RunRow, ToteRow, UnputScan
from app.services.stores import StoreInfo
from picking.lines import Line, Proposal
from picking.marking import MarkingVerdict
from picking.model import Order, Product
from picking.runs import Candidate, RunRules


class Orders(Protocol):
    async def lock(self, order_id: int) -> None: ...

    async def get(self, order_id: int, *, store_id: int | None = None,
                  lock: bool = True, scans: bool = True) -> Order | None: ...

    async def for_scan(self, order_id: int, *, store_id: int, product_id: int | None = None,
                       line_id: int | None = None) -> Order | None: ...

    async def reload(self, order_id: int, *, store_id: int) -> Order | None: ...

    async def current_for_picker(self, picker_id: int) -> int | None: ...

    async def claim_next_queued(self, store_id: int) -> int | None: ...


class Catalog(Protocol):
    async def by_gtin(self, store_id: int, gtin14: str) -> Product | None: ...

    async def by_plu(self, store_id: int, plu: str) -> Product | None: ...


class Scans(Protocol):
    async def probe(self, store_id: int, order_id: int, scan_id: str, *, gtin: str | None,
                    plu: str | None, marking_code: str | None) -> ScanProbe: ...

    async def refuse(self, *, scan_id: str, store_id: int, order_id: int | None,
                     staff_id: int, code: str, error: str, params: dict[str, Any],
                     at: datetime) -> None: ...

    async def note_error(self, *, store_id: int, staff_id: int, order_id: int | None,
                         code: str, kind: str, at: datetime) -> None: ...


class Stock(Protocol):
    """Products likely out in a store (the out-of-stock loop)."""

    async def clear_likely_out(self, store_id: int, product_id: int) -> None: ...


class Stores(Protocol):
    async def settings(self, store_id: int) -> StoreInfo: ...


class PickingUnitOfWork(Protocol):
    """One transaction: leaving the block without ``commit()`` undoes everything."""

    # Read-only members (properties), so an implementation may hold its own classes.
    @property
    def orders(self) -> Orders: ...

    @property
    def catalog(self) -> Catalog: ...

    @property
    def scans(self) -> Scans: ...

    @property
    def stores(self) -> Stores: ...

    @property
    def stock(self) -> Stock: ...

    async def __aenter__(self) -> PickingUnitOfWork: ...

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None: ...

    async def commit(self) -> None: ...


class MarkingChecker(Protocol):
    """May these marked units be sold? (``app.marking.HttpMarkingChecker``.)

    Called before any write transaction: it may wait on the network (about 1 s at
    most). Returns a verdict for every code given, keyed by the code as given.
    """

    @property
    def description(self) -> dict[str, Any]: ...

    async def check(self, codes: Sequence[str], now: datetime, *,
                    fresh: bool = False) -> dict[str, MarkingVerdict]: ...


# -- runs: several orders in one walk (app.services.runs) ------------------------------
# SQL: app.db.repo_runs; in memory: tests.support.fakes_runs.

class Runs(Protocol):
    """Runs, their orders (each with its letter) and the store's run settings."""

    async def rules(self, store_id: int) -> RunRules: ...

    async def save_rules(self, store_id: int, rules: RunRules) -> None: ...

    async def active_run(self, picker_id: int) -> int | None: ...

    async def active_run_ids(self, picker_id: int) -> list[int]: ...

    async def run_of_order(self, order_id: int) -> tuple[int, int] | None: ...

    async def queued(self, store_id: int, *, excluding: set[int],
                     limit: int) -> list[Candidate]: ...

    async def hold_queued(self, order_ids: list[int]) -> set[int]: ...

    async def add(self, *, store_id: int, picker_id: int, now: datetime,
                  built_by: int | None) -> int: ...

    async def get(self, run_id: int, store_id: int) -> RunRow | None: ...

    async def members(self, run_id: int) -> list[RunMember]: ...

    async def open_members(self, run_id: int) -> list[int]: ...

    async def is_member(self, run_id: int, order_id: int, store_id: int) -> bool: ...

    async def scan_floor(self) -> int: ...

    async def letters(self, run_id: int) -> set[str]: ...

    async def join(self, run_id: int, order_id: int, *, letter: str, now: datetime,
                   scan_floor: int) -> None: ...

    async def leave(self, run_id: int, order_id: int, *, now: datetime,
                    reason: str) -> None: ...

    async def leave_runs(self, order_ids: list[int], *, now: datetime, reason: str,
                         other_than: int | None = None) -> None: ...

    async def still_picking(self, run_id: int) -> int: ...

    async def close(self, run_id: int, now: datetime) -> None: ...

    async def unput_scans(self, run_id: int, order_ids: list[int]) -> list[UnputScan]: ...

    async def counted_order(self, scan_id: str) -> int | None: ...

    async def refused(self, scan_id: str) -> Refused | None: ...

    async def picker_store(self, picker_id: int) -> int | None: ...

    async def board(self, store_id: int) -> list[BoardRun]: ...


class Totes(Protocol):
    """The store's totes, which order and zone each holds, and the puts into them."""

    async def get(self, store_id: int, code: str, *, lock: bool) -> ToteRow | None: ...

    async def of_orders(self, order_ids: list[int]) -> list[ToteRow]: ...

    async def add_own(self, store_id: int, code: str) -> bool: ...

    async def count_printed(self, store_id: int) -> int: ...

    async def add_printed(self, store_id: int, codes: list[str]) -> None: ...

    async def bind(self, tote_id: int, *, order_id: int, zone: str, now: datetime,
                   staff_id: int) -> None: ...

    async def emptied(self, tote_id: int, store_id: int, now: datetime) -> None: ...

    async def holder_status(self, order_id: int) -> str | None: ...

    async def put(self, put_id: str) -> DonePut | None: ...

    async def add_put(self, *, put_id: str, tote_id: int, order_id: int, line_id: int,
                      item_scan_id: str, quantity: int, staff_id: int,
                      at: datetime) -> None: ...


class RunsReader(Protocol):
    """What a run's view is read through: a unit of work, or a screen's reading session
    (``app.runs_queries.reader``)."""

    @property
    def orders(self) -> Orders: ...

    @property
    def runs(self) -> Runs: ...

    @property
    def totes(self) -> Totes: ...


class RunsUnitOfWork(PickingUnitOfWork, Protocol):
    """The picking unit of work with the runs repositories."""

    @property
    def runs(self) -> Runs: ...

    @property
    def totes(self) -> Totes: ...

    async def __aenter__(self) -> RunsUnitOfWork: ...


# -- The out-of-stock loop, substitutions and their shelf photos (issue 10, item 2) --
# (app.services.oos, app.services.substitutions, app.services.proposal_photos; the SQL
# side is app.db.repo_oos, the in-memory one tests.support.fakes_oos)

class OosCatalog(Catalog, Protocol):
    async def by_sku(self, store_id: int, sku: str) -> Product | None: ...

    async def marking_code_used(self, code: str) -> bool: ...


class StockMarks(Stock, Protocol):
    async def mark_likely_out(self, store_id: int, product_id: int, *, reason: str,
                              order_id: int | None, staff_id: int | None, at: datetime,
                              until: datetime) -> bool: ...


class LikelyOutMarks(Protocol):
    """Reading the "likely out" marks, and the orders an empty shelf concerns."""

    async def now(self, store_id: int, now: datetime) -> dict[int, LikelyOut]: ...

    async def orders_to_offer(self, store_id: int, product_id: int, *, besides: int,
                              statuses: Sequence[str], limit: int) -> list[int]: ...


class CustomerLinks(Protocol):
    """Customer links, stored by the SHA-256 of their token only."""

    async def add(self, token_hash: str, order_id: int | None, at: datetime) -> None: ...

    async def find(self, token_hash: str) -> tuple[str, int] | None: ...


class Substitutes(Protocol):
    async def candidates(self, line: Line, group: str) -> list[Product]: ...

    async def accepted_before(self, original: Product,
                              customer_ref: str | None = None) -> dict[str, int]: ...

    async def orders_with_due_proposals(self, now: datetime) -> list[int]: ...


class ProposalPhotos(Protocol):
    async def replace(self, proposal: Proposal, *, path: str, size: int, at: datetime,
                      staff_id: int | None) -> str | None: ...

    async def path_for(self, order_id: int, ref: str) -> str | None: ...


class OosReader(Protocol):
    """What the loop's and the customer's read-only services read through (a reading
    session's repositories, or an open unit of work)."""

    @property
    def orders(self) -> Orders: ...

    @property
    def catalog(self) -> OosCatalog: ...

    @property
    def likely_out_marks(self) -> LikelyOutMarks: ...

    @property
    def links(self) -> CustomerLinks: ...

    @property
    def substitutes(self) -> Substitutes: ...

    @property
    def proposal_photos(self) -> ProposalPhotos: ...


class OosUnitOfWork(PickingUnitOfWork, OosReader, Protocol):
    @property
    def catalog(self) -> OosCatalog: ...

    @property
    def stock(self) -> StockMarks: ...

    async def __aenter__(self) -> OosUnitOfWork: ...
