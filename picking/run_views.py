"""What the run page shows (several orders in one walk): one frozen read model.

The run page and its body render from a ``RunPageView``, never from the write
side: its orders (letter, colour, status, progress, a tote per zone), the totes
of cancelled orders to empty, what the picker does next, and the run's one list
in walking order, where each order's part of a row is a ``LineView`` (the pick
page's read model of a line). ``run_page_view`` is pure; the run (as the
services read it: ``app.services.runs.RunView``), the reader's language, the
moment and the products' codes come in as arguments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from picking.lines import Line, Product
from picking.model import Order
from picking.progress import Progress, progress_of
from picking.runs import LETTERS, merged_list, short_tote, zones_of
from picking.status import OrderStatus
from picking.views import LineView, line_view

# Each letter of a run has its colour on the screen (a CSS modifier: tag--a ... tag--h).
COLOURS: Mapping[str, str] = {letter: letter.lower() for letter in LETTERS}
# The orders whose lines are on the walking list: being picked, or picked in this run.
_ON_THE_LIST = (OrderStatus.PICKING, OrderStatus.PICKED)


class RunMember(Protocol):
    """An order of the run with its letter (``app.services.runs.RunOrder``)."""

    @property
    def letter(self) -> str: ...
    @property
    def order(self) -> Order: ...
    @property
    def left_reason(self) -> str | None: ...


class WaitingPut(Protocol):
    """A counted unit not in its tote yet (``app.services.runs.Pending``)."""

    @property
    def letter(self) -> str: ...
    @property
    def zone(self) -> str: ...
    @property
    def product(self) -> Product: ...
    @property
    def tote(self) -> str | None: ...


class RunState(Protocol):
    """A run as the services read it (``app.services.runs.RunView``)."""

    @property
    def id(self) -> int: ...
    @property
    def orders(self) -> Sequence[RunMember]: ...
    @property
    def totes(self) -> Mapping[tuple[int, str], str]: ...
    @property
    def flagged(self) -> Sequence[Mapping[str, Any]]: ...
    @property
    def pending(self) -> Sequence[WaitingPut]: ...
    @property
    def active_orders(self) -> Sequence[RunMember]: ...
    def unbound(self) -> Sequence[tuple[RunMember, str]]: ...


@dataclass(frozen=True, slots=True)
class ToteSlotView:
    """One temperature zone of an order and its tote (none bound yet: ``code`` None)."""

    zone: str
    code: str | None
    short: str  # what a person reads on the tote, "" for none


@dataclass(frozen=True, slots=True)
class RunOrderView:
    letter: str
    colour: str
    id: int | None
    oms_id: str
    status: str
    due_at: datetime
    left_reason: str | None  # why it left the run (finished, released...), None while in it
    progress: Progress
    done_count: int  # lines no longer open
    line_count: int
    totes: tuple[ToteSlotView, ...]  # a slot per zone its lines need, ambient first


@dataclass(frozen=True, slots=True)
class FlaggedToteView:
    """A tote of a cancelled order, to empty back onto the shelves."""

    id: int
    code: str
    short: str
    zone: str | None
    letter: str


@dataclass(frozen=True, slots=True)
class UnboundView:
    """An order's zone that still needs a tote."""

    letter: str
    colour: str
    zone: str


@dataclass(frozen=True, slots=True)
class PendingView:
    """A unit counted for an order, waiting to be put into its tote."""

    letter: str
    colour: str
    zone: str
    name: str  # the product, in the reader's language
    tote: str | None
    short: str  # the tote as a person reads it, "" for none


@dataclass(frozen=True, slots=True)
class ShareView:
    """One order's part of a row of the walking list."""

    letter: str
    colour: str
    order_id: int | None
    line: LineView
    done: bool  # the line is no longer open
    is_substitute: bool  # the line replaces another one
    tote: str | None
    short: str  # the tote as a person reads it, "" for none


@dataclass(frozen=True, slots=True)
class RunRowView:
    """A product on the walk with every order of the run that wants it."""

    sku: str
    name: str  # in the reader's language
    zone: str
    aisle: int
    shelf: str
    marked: bool
    open: bool  # some order still wants it
    shares: tuple[ShareView, ...]  # by letter


@dataclass(frozen=True, slots=True)
class RunPageView:
    id: int
    orders: tuple[RunOrderView, ...]  # every order of the run, by letter
    flagged: tuple[FlaggedToteView, ...]
    unbound: tuple[UnboundView, ...]  # in letter order; the first is asked for next
    pending: tuple[PendingView, ...]  # oldest first; the first is asked for next
    has_active: bool  # some order is still being picked in this run by its picker
    next: str  # bind | put | scan: what the next scan should be
    rows: tuple[RunRowView, ...]  # the walking list (orders being picked or picked)
    queue_lines: tuple[LineView, ...]  # every line of the active orders (offline queue)


def colour_of(letter: str) -> str:
    return COLOURS.get(letter, "")


def _short(code: str | None) -> str:
    return short_tote(code or "")


def _order_view(member: RunMember, totes: Mapping[tuple[int, str], str]) -> RunOrderView:
    order = member.order
    slots = []
    for zone in zones_of(order):
        code = totes.get((order.id, zone)) if order.id is not None else None
        slots.append(ToteSlotView(zone=zone, code=code, short=_short(code)))
    return RunOrderView(
        letter=member.letter, colour=colour_of(member.letter), id=order.id,
        oms_id=order.oms_id, status=str(order.status), due_at=order.due_at,
        left_reason=member.left_reason, progress=progress_of(order.lines),
        done_count=order.done_count, line_count=len(order.lines), totes=tuple(slots))


def _share_view(letter: str, order_id: int | None, line: Line, tote: str | None,
                order: Order, *, language: str, now: datetime) -> ShareView:
    replaced = (next((ln.product.name(language) for ln in order.lines
                      if ln.id == line.substitute_for_id), None)
                if line.substitute_for_id is not None else None)
    return ShareView(
        letter=letter, colour=colour_of(letter), order_id=order_id,
        line=line_view(line, language=language, now=now, order_status=str(order.status),
                       substitute_for=replaced),
        done=line.is_done, is_substitute=bool(line.substitute_for_id), tote=tote,
        short=_short(tote))


def run_page_view(run: RunState, *, language: str, now: datetime,
                  codes: Mapping[int, Sequence[str]] | None = None) -> RunPageView:
    """The run page's read model of ``run``. ``codes``: product id -> its GTIN-14s, for
    the offline queue's lines (only the whole page needs them)."""
    totes = dict(run.totes)
    by_letter = {m.letter: m.order for m in run.orders}
    merged = merged_list([(m.letter, m.order) for m in run.orders
                          if m.order.status in _ON_THE_LIST], totes)
    rows = tuple(
        RunRowView(sku=row.product.sku, name=row.product.name(language),
                   zone=row.product.zone, aisle=row.product.aisle, shelf=row.product.shelf,
                   marked=row.product.marked, open=row.open,
                   shares=tuple(_share_view(s.letter, s.order_id, s.line, s.tote,
                                            by_letter[s.letter], language=language, now=now)
                                for s in row.shares))
        for row in merged)
    unbound = tuple(UnboundView(letter=m.letter, colour=colour_of(m.letter), zone=zone)
                    for m, zone in run.unbound())
    pending = tuple(PendingView(letter=p.letter, colour=colour_of(p.letter), zone=p.zone,
                                name=p.product.name(language), tote=p.tote, short=_short(p.tote))
                    for p in run.pending)
    active = run.active_orders
    return RunPageView(
        id=run.id,
        orders=tuple(_order_view(m, totes) for m in run.orders),
        flagged=tuple(FlaggedToteView(id=t["id"], code=t["code"], short=_short(t["code"]),
                                      zone=t["zone"], letter=t["letter"])
                      for t in run.flagged),
        unbound=unbound, pending=pending, has_active=bool(active),
        next="bind" if unbound else ("put" if pending else "scan"),
        rows=rows,
        queue_lines=tuple(line_view(ln, language=language, now=now, codes=codes)
                          for m in active for ln in m.order.lines))

