"""Read queries for the supervisor's board: open orders, pickers, an order's history.

Each function returns what one part of the board shows. Reasons and limits
come from the pure ``picking.board``; this module only gathers the facts in a
few set-based queries (never one query per order).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables
from app.db.tables_board import scan_errors
from app.floor_queries import load_store
from app.progress_sql import progress_columns, progress_join
from picking import board
from picking.lines import shown_name
from picking.progress import Progress

o, ln, p, s = tables.orders.c, tables.order_lines.c, tables.products.c, tables.staff.c
sc, ob = tables.scans.c, tables.outbox.c
SUBSTITUTION_EVENTS = ("SubstitutionProposed", "SubstitutionDecided")
STATUS_EVENTS = ("OrderPacked", "PickerUnassigned")
ACTIVE_WITHIN = timedelta(minutes=10)


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class BoardRow:
    id: int
    oms_id: str
    status: str
    due_at: datetime
    priority: int
    fulfilment: str
    picker_id: int | None
    picker_name: str | None
    facts: board.OrderFacts
    limit: int | None
    minutes_in_status: int
    over_limit: bool
    late: bool
    reasons: list[board.Reason]
    flags: list[str]
    progress: Progress = field(default_factory=Progress)

    @property
    def attention(self) -> bool:
        return self.over_limit or self.late


@dataclass(frozen=True)
class Board:
    rows: list[BoardRow]
    counts: dict[str, int]
    limits: dict[str, int]
    alerts: list[BoardRow] = field(default_factory=list)  # worst first
    folded: board.FoldedAlerts[BoardRow] = field(default_factory=board.FoldedAlerts)


async def store_limits(session: AsyncSession, store_id: int) -> dict[str, int]:
    # The store's cached settings (app.services.stores): a change is announced to
    # every process, so no board reads the stores table on every render.
    return board.time_limits((await load_store(session, store_id)).time_limits)


async def open_board(session: AsyncSession, store_id: int, now: datetime) -> Board:
    """Every open order of the store with its facts, reasons and flags; counts by status.

    Rows needing attention come first (late or over limit), then by priority and due time.
    Alerts are ranked worst first (``picking.board.alert_rank``) and all but the first
    few folded by kind, so a long shift never buries the board under banners.
    """
    facts = await read_orders(session, store_id)
    return board_of(facts, await store_limits(session, store_id), now)


@dataclass
class OrderFacts:
    """What the board read of a store's open orders: kept by a live board feed, so that a
    change re-reads only the orders it names (``refresh_orders``)."""

    store_id: int
    orders: dict[int, Any]  # order id -> its row of ``_open_orders``
    last_scans: dict[int, datetime]
    timeline: dict[int, list[Any]]


async def read_orders(session: AsyncSession, store_id: int) -> OrderFacts:
    base = await _open_orders(session, store_id)
    ids = [r.id for r in base]
    return OrderFacts(store_id, {r.id: r for r in base}, await _last_scans(session, ids),
                      await _timeline(session, ids))


async def refresh_orders(session: AsyncSession, facts: OrderFacts, changed: set[int]) -> set[int]:
    """Read the ``changed`` orders again (one that is no longer open leaves); the pickers
    they were and are now given to, whose panel rows may have moved with them."""
    ids = sorted(changed)
    pickers = {facts.orders[i].picker_id for i in ids if i in facts.orders}
    fresh = await _open_orders(session, facts.store_id, ids)
    for i in ids:
        facts.orders.pop(i, None)
        facts.last_scans.pop(i, None)
        facts.timeline.pop(i, None)
    found = [r.id for r in fresh]
    facts.orders.update((r.id, r) for r in fresh)
    facts.last_scans.update(await _last_scans(session, found))
    facts.timeline.update(await _timeline(session, found))
    return {pid for pid in pickers | {r.picker_id for r in fresh} if pid is not None}


def board_of(facts: OrderFacts, limits: dict[str, int], now: datetime) -> Board:
    """The board as of ``now`` from what was read (reasons and limits move with the clock)."""
    rows = [_row(r, facts.last_scans.get(r.id), facts.timeline.get(r.id, []), limits, now)
            for r in facts.orders.values()]
    rows.sort(key=lambda r: (not r.attention, -r.priority, r.due_at, r.id))
    counts = dict.fromkeys(board.OPEN_STATUSES, 0)
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    alerts = sorted((r for r in rows if r.attention), key=lambda r: board.alert_rank(
        late=r.late, due_at=r.due_at, priority=r.priority))
    return Board(rows=rows, counts=counts, limits=limits, alerts=alerts,
                 folded=board.fold_alerts(alerts, lambda r: board.alert_kind(r.reasons)))


async def _open_orders(session: AsyncSession, store_id: int,
                       ids: list[int] | None = None) -> list[Any]:
    stmt = (
        select(o.id, o.oms_id, o.status, o.due_at, o.priority, o.fulfilment, o.picker_id,
               o.created_at, o.picking_started_at, o.picked_at, s.name.label("picker_name"),
               *progress_columns(),
               func.sum(case((ln.state == "short", 1), else_=0)).label("short"),
               func.sum(case(((p.unit == "weight") & (ln.state == "open"), 1), else_=0))
               .label("weight_missing"))
        .select_from(progress_join(
            tables.orders.outerjoin(tables.order_lines, ln.order_id == o.id)))
        .outerjoin(tables.products, p.id == ln.product_id)
        .outerjoin(tables.staff, s.id == o.picker_id)
        .where(o.store_id == store_id, o.status.in_(board.OPEN_STATUSES))
        .group_by(o.id, s.name)
    )
    if ids is not None:
        stmt = stmt.where(o.id.in_(ids))
    return list((await session.execute(stmt)).all())


async def _last_scans(session: AsyncSession, ids: list[int]) -> dict[int, datetime]:
    if not ids:
        return {}
    rows = await session.execute(
        select(ln.order_id, func.max(sc.scanned_at))
        .join(tables.order_lines, ln.id == sc.line_id)
        .where(ln.order_id.in_(ids))
        .group_by(ln.order_id))
    return {order_id: utc(at) for order_id, at in rows.all() if at is not None}  # type: ignore[misc]


async def _timeline(session: AsyncSession, ids: list[int]) -> dict[int, list[Any]]:
    """Events that move an order's clock: substitutions, packing, unassignment."""
    if not ids:
        return {}
    rows = await session.execute(
        select(ob.order_id, ob.type, ob.occurred_at, ob.envelope)
        .where(ob.order_id.in_(ids), ob.type.in_(SUBSTITUTION_EVENTS + STATUS_EVENTS))
        .order_by(ob.order_id, ob.sequence))
    found: dict[int, list[Any]] = defaultdict(list)
    for row in rows.all():
        found[row.order_id].append(row)
    return found


def waiting_since(events: list[Any]) -> datetime | None:
    """The oldest substitution proposal the customer has not answered yet."""
    pending: dict[Any, datetime] = {}
    for n, event in enumerate(events):
        line = _payload(event.envelope).get("line_id", f"#{n}")
        if event.type == "SubstitutionProposed":
            pending.setdefault(line, utc(event.occurred_at))  # type: ignore[arg-type]
        elif event.type == "SubstitutionDecided":
            key = line if line in pending else next(iter(pending), None)
            pending.pop(key, None)
    return min(pending.values()) if pending else None


def _payload(envelope: str) -> dict[str, Any]:
    try:
        payload = json.loads(envelope).get("payload", {})
    except (ValueError, AttributeError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _status_since(r: Any, events: list[Any], now: datetime) -> datetime:
    def last(kind: str) -> datetime | None:
        times = [utc(e.occurred_at) for e in events if e.type == kind]
        return times[-1] if times else None

    since = {
        "picking": utc(r.picking_started_at),
        "picked": utc(r.picked_at),
        "packed": last("OrderPacked") or utc(r.picked_at),
    }.get(r.status) or last("PickerUnassigned") or utc(r.created_at)
    return since or now


def _row(r: Any, last_scan: datetime | None, events: list[Any], limits: dict[str, int],
         now: datetime) -> BoardRow:
    progress = Progress(total=int(r.lines or 0), picked=int(r.picked or 0),
                        substituted=int(r.substituted or 0), missing=int(r.missing or 0))
    facts = board.OrderFacts(
        status=r.status, due_at=utc(r.due_at) or now, status_since=_status_since(r, events, now),
        picker_id=r.picker_id, lines=progress.total, done=progress.done,
        last_scan_at=last_scan, waiting_since=waiting_since(events),
        weight_missing=int(r.weight_missing or 0), short=int(r.short or 0))
    return BoardRow(
        id=r.id, oms_id=r.oms_id, status=r.status, due_at=facts.due_at, priority=r.priority,
        fulfilment=r.fulfilment, picker_id=r.picker_id, picker_name=r.picker_name, facts=facts,
        limit=board.limit_for(facts, limits), minutes_in_status=board.minutes_in_status(facts, now),
        over_limit=board.is_over_limit(facts, limits, now), late=board.is_late(facts, now),
        reasons=board.stuck_reasons(facts, limits, now), flags=board.flags(facts),
        progress=progress)


# -- pickers -------------------------------------------------------------------


@dataclass(frozen=True)
class PickerRow:
    id: int
    name: str
    current_order_id: int | None
    current_oms_id: str | None
    items: int
    scans: int
    errors: int
    last_scan_at: datetime | None
    items_per_hour: float
    error_rate: float  # percent of scans refused
    active: bool


async def pickers_panel(session: AsyncSession, store_id: int, since: datetime,
                        now: datetime) -> list[PickerRow]:
    """The store's pickers: current order, items per hour and scan error rate since ``since``."""
    return pickers_of(await read_pickers(session, store_id, since), now)


@dataclass
class PickerFacts:
    """What the pickers panel read since ``since`` (the day): kept by a live board feed, so
    that a change re-reads only the pickers it concerns (``refresh_pickers``)."""

    store_id: int
    since: datetime
    people: list[tuple[int, str]]
    current: dict[int, tuple[int, str]]
    work: dict[int, Any]
    errors: dict[int, int]


async def read_pickers(session: AsyncSession, store_id: int, since: datetime) -> PickerFacts:
    people = [(pid, name) for pid, name in (await session.execute(
        select(s.id, s.name).where(s.store_id == store_id, s.role == "picker", s.active.is_(True))
        .order_by(s.name))).all()]
    return PickerFacts(store_id, since, people, await _current_orders(session, store_id),
                       await _scan_work(session, store_id, since),
                       await _scan_errors(session, store_id, since))


async def refresh_pickers(session: AsyncSession, facts: PickerFacts, pickers: set[int]) -> None:
    """Read again whose order is whose, and the day's work of ``pickers``."""
    facts.current = await _current_orders(session, facts.store_id)
    if not pickers:
        return
    for pid in pickers:
        facts.work.pop(pid, None)
        facts.errors.pop(pid, None)
    facts.work.update(await _scan_work(session, facts.store_id, facts.since, pickers))
    facts.errors.update(await _scan_errors(session, facts.store_id, facts.since, pickers))


def pickers_of(facts: PickerFacts, now: datetime) -> list[PickerRow]:
    rows = [_picker_row(pid, name, facts.current.get(pid), facts.work.get(pid),
                        int(facts.errors.get(pid, 0)), now) for pid, name in facts.people]
    rows.sort(key=lambda r: (not r.active, r.name))
    return rows


async def _current_orders(session: AsyncSession, store_id: int) -> dict[int, tuple[int, str]]:
    rows = await session.execute(
        select(o.picker_id, o.id, o.oms_id)
        .where(o.store_id == store_id, o.status == "picking", o.picker_id.is_not(None))
        .order_by(o.picking_started_at.desc()))
    return {picker_id: (order_id, oms_id) for picker_id, order_id, oms_id in rows.all()}


async def _scan_work(session: AsyncSession, store_id: int, since: datetime,
                     staff: set[int] | None = None) -> dict[int, Any]:
    items = func.sum(case((p.unit == "weight", 1), else_=sc.quantity))
    stmt = (
        select(sc.staff_id, items.label("items"), func.count(sc.id).label("scans"),
               func.min(sc.scanned_at).label("first"), func.max(sc.scanned_at).label("last"))
        .join(tables.order_lines, ln.id == sc.line_id)
        .join(tables.orders, o.id == ln.order_id)
        .join(tables.products, p.id == ln.product_id)
        .where(o.store_id == store_id, sc.scanned_at >= since, sc.undone_at.is_(None),
               sc.staff_id.is_not(None))
        .group_by(sc.staff_id))
    if staff is not None:
        stmt = stmt.where(sc.staff_id.in_(sorted(staff)))
    return {row.staff_id: row for row in (await session.execute(stmt)).all()}


async def _scan_errors(session: AsyncSession, store_id: int, since: datetime,
                       staff: set[int] | None = None) -> dict[int, int]:
    stmt = (select(scan_errors.c.staff_id, func.count())
            .where(scan_errors.c.store_id == store_id, scan_errors.c.at >= since)
            .group_by(scan_errors.c.staff_id))
    if staff is not None:
        stmt = stmt.where(scan_errors.c.staff_id.in_(sorted(staff)))
    return {pid: int(n) for pid, n in (await session.execute(stmt)).all()}


def _picker_row(pid: int, name: str, current: tuple[int, str] | None, work: Any, errors: int,
                now: datetime) -> PickerRow:
    items = int(work.items or 0) if work else 0
    scans = int(work.scans or 0) if work else 0
    first, last = (utc(work.first), utc(work.last)) if work else (None, None)
    hours = max(((last - first).total_seconds() / 3600) if first and last else 0.0, 0.25)
    attempts = scans + errors
    return PickerRow(
        id=pid, name=name, current_order_id=current[0] if current else None,
        current_oms_id=current[1] if current else None, items=items, scans=scans, errors=errors,
        last_scan_at=last, items_per_hour=round(items / hours, 1) if items else 0.0,
        error_rate=round(100 * errors / attempts, 1) if attempts else 0.0,
        active=current is not None or (last is not None and now - last <= ACTIVE_WITHIN))


@dataclass(frozen=True)
class PickerChoice:
    """One person an order may be given to, with the orders they are picking now."""

    id: int
    name: str
    picking: int  # orders in status picking assigned to them


async def store_pickers(session: AsyncSession, store_id: int) -> list[PickerChoice]:
    """Who an order may be assigned to: active pickers (and supervisors) of the store."""
    load = (select(func.count()).where(o.picker_id == s.id, o.status == "picking")
            .correlate(tables.staff).scalar_subquery())
    rows = await session.execute(
        select(s.id, s.name, load.label("picking"))
        .where(s.store_id == store_id, s.active.is_(True), s.role.in_(("picker", "supervisor")))
        .order_by(s.role, s.name))
    return [PickerChoice(r.id, r.name, int(r.picking or 0)) for r in rows.all()]


# -- one order's history (the audit trail) ---------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    type: str
    occurred_at: datetime
    actor_name: str | None
    payload: dict[str, Any]
    product: tuple[str, str] | None = None  # the payload's product: (name_ru, name_en)

    def product_name(self, language: str) -> str:
        """The event's product in the reader's language (its SKU if the catalog lost it)."""
        if self.product is None:
            return str(self.payload.get("sku") or "")
        return self.product[1] if language == "en" else self.product[0]


async def order_history(session: AsyncSession, store_id: int, order_id: int
                        ) -> list[HistoryEntry]:
    """Every event the order recorded, oldest first, with who did it."""
    rows = (await session.execute(
        select(ob.type, ob.occurred_at, ob.envelope)
        .join(tables.orders, o.id == ob.order_id)
        .where(ob.order_id == order_id, o.store_id == store_id)
        .order_by(ob.sequence, ob.id))).all()
    payloads = [_payload(r.envelope) for r in rows]
    ids = {pl.get("actor_id") for pl in payloads} | {pl.get("picker_id") for pl in payloads}
    names = dict((await session.execute(
        select(s.id, s.name).where(s.id.in_([i for i in ids if isinstance(i, int)])))).all())
    skus = {str(pl["sku"]) for pl in payloads if pl.get("sku")}
    products = {r.sku: (shown_name(r.name_ru), shown_name(r.name_en))
                for r in (await session.execute(select(p.sku, p.name_ru, p.name_en).where(
                    p.store_id == store_id, p.sku.in_(skus)))).all()} if skus else {}
    return [HistoryEntry(type=r.type, occurred_at=utc(r.occurred_at) or r.occurred_at,
                         actor_name=names.get(pl.get("actor_id")),
                         payload={**pl, "picker_name": names.get(pl.get("picker_id"))},
                         product=products.get(str(pl.get("sku"))))
            for r, pl in zip(rows, payloads, strict=True)]
