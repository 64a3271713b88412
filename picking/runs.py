"""Several orders in one walk: which orders make a run, which order gets a unit,
what a tote label says, and the run's one list in walking order. Pure: no I/O.

The rule for a unit several orders of the run want is fixed and explainable:
the most urgent order first (highest priority, then earliest due, then the
oldest order), the same order the pickers' queue uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from picking import errors
from picking.lines import ZONE_ORDER

LETTERS = "ABCDEFGH"
MAX_RUN = len(LETTERS)
DEFAULT_MAX_ORDERS = 4
DEFAULT_WINDOW_MINUTES = 60
TOTE_PREFIX = "SPT"  # storepick's printed tote labels: SPT.<store>.<number>.<check>
_PRINTED = re.compile(r"^SPT[.\-]([A-Z0-9\-]{1,32})[.\-](\d{5})[.\-](\d)$")


@dataclass(frozen=True)
class RunRules:
    """A store's settings for runs (defaults when it has none)."""

    max_orders: int = DEFAULT_MAX_ORDERS
    window_minutes: int = DEFAULT_WINDOW_MINUTES
    # groups of fulfilment types allowed together; a type in no group runs alone
    mixes: tuple[frozenset[str], ...] = ()
    own_tote_prefix: str | None = None

    def may_mix(self, a: str, b: str) -> bool:
        return a == b or any(a in group and b in group for group in self.mixes)


@dataclass(frozen=True)
class Candidate:
    """A queued order as the run builder sees it."""

    id: int
    due_at: datetime
    fulfilment: str
    priority: int = 0

    @property
    def urgency(self) -> tuple[int, datetime, int]:
        return (-self.priority, self.due_at, self.id)


def choose_run(candidates: Iterable[Candidate], rules: RunRules) -> list[Candidate]:
    """The most urgent order and up to ``max_orders - 1`` compatible ones: due
    within the window after it, of a fulfilment the store allows with it."""
    ordered = sorted(candidates, key=lambda c: c.urgency)
    if not ordered:
        return []
    first = ordered[0]
    limit = max(1, min(rules.max_orders, MAX_RUN))
    window = timedelta(minutes=rules.window_minutes)
    chosen = [first]
    for other in ordered[1:]:
        if len(chosen) >= limit:
            break
        if other.due_at - first.due_at > window:
            continue
        if all(rules.may_mix(c.fulfilment, other.fulfilment) for c in chosen):
            chosen.append(other)
    return chosen


@dataclass(frozen=True)
class Want:
    """An order of the run that still needs units of a product."""

    order_id: int
    priority: int
    due_at: datetime
    remaining: int

    @property
    def urgency(self) -> tuple[int, datetime, int]:
        return (-self.priority, self.due_at, self.order_id)


def assign_unit(wants: Iterable[Want]) -> int | None:
    """The order a scanned unit goes to: the most urgent that still needs it."""
    needing = [w for w in wants if w.remaining > 0]
    return min(needing, key=lambda w: w.urgency).order_id if needing else None


# -- tote labels ---------------------------------------------------------------------

def check_digit(store_code: str, number: int) -> int:
    """A weighted sum over the store code and the number: a misread character or a
    swapped pair of digits changes it."""
    text = f"{store_code}{number:05d}"
    return sum((i + 1) * ord(ch) for i, ch in enumerate(text)) % 10


def tote_code(store_code: str, number: int) -> str:
    """The text of a printed tote label (in its QR and under it)."""
    return f"{TOTE_PREFIX}.{store_code}.{number:05d}.{check_digit(store_code, number)}"


def short_tote(code: str) -> str:
    """What a person reads on a tote: T-00017 for a printed label, else the code."""
    found = _PRINTED.match(code)
    return f"T-{found.group(2)}" if found else code


@dataclass(frozen=True)
class ToteLabel:
    code: str
    kind: str  # printed | own


def read_tote(raw: str, store_code: str, own_prefix: str | None) -> ToteLabel:
    """What a scanned tote label is, for this store.

    Raises ToteDamaged (a storepick label that does not check), ToteOfAnotherStore,
    ToteUnknown (neither a storepick label nor the store's own tote barcode)."""
    text = raw.strip().upper()
    shown = text[:40]
    if text.startswith(TOTE_PREFIX):
        found = _PRINTED.match(text)
        if found is None:
            raise errors.ToteDamaged(tote=shown)
        store, number, check = found.group(1), int(found.group(2)), int(found.group(3))
        if check != check_digit(store, number):
            raise errors.ToteDamaged(tote=shown)
        if store != store_code.upper():
            raise errors.ToteOfAnotherStore(tote=shown)
        return ToteLabel(tote_code(store_code.upper(), number), "printed")
    prefix = (own_prefix or "").upper()
    if prefix and text.startswith(prefix) and re.fullmatch(r"[A-Z0-9\-]{1,40}", text) \
            and len(text) > len(prefix):
        return ToteLabel(text, "own")
    raise errors.ToteUnknown(tote=shown)


# -- the merged list -----------------------------------------------------------------

@dataclass
class Share:
    """One order's part of a product row: its letter, line and tote."""

    letter: str
    order_id: int
    line: Any
    tote: str | None


@dataclass
class Row:
    """A product in the walk, with every order of the run that wants it."""

    product: Any
    shares: list[Share] = field(default_factory=list)

    @property
    def walk_key(self) -> tuple[int, int, int, str]:
        p = self.product
        return (ZONE_ORDER.get(p.zone, 0), p.aisle, p.sequence, p.sku)

    @property
    def open(self) -> bool:
        return any(not s.line.is_done for s in self.shares)


def merged_list(orders: Sequence[tuple[str, Any]], totes: dict[tuple[int, str], str]
                ) -> list[Row]:
    """Every line of every order (``(letter, order)``), one row per product in walking
    order (ambient, chilled, frozen; aisle; sequence), each with its orders' shares."""
    rows: dict[str, Row] = {}
    for letter, order in orders:
        for line in order.lines:
            if line.state == "substituted":
                continue  # its substitute line stands in for it
            row = rows.setdefault(line.product.sku, Row(line.product))
            row.shares.append(Share(letter, order.id, line,
                                    totes.get((order.id, line.product.zone))))
    for row in rows.values():
        row.shares.sort(key=lambda s: s.letter)
    return sorted(rows.values(), key=lambda r: r.walk_key)


def zones_of(order: Any) -> list[str]:
    """The temperature zones an order's lines need a tote for, ambient first."""
    zones = {ln.product.zone for ln in order.lines}
    return sorted(zones, key=lambda z: ZONE_ORDER.get(z, 0))
