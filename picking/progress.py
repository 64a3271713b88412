"""How far an order is, in the customer's items: picked, substituted, missing, to do.

Every screen that shows progress (pick page, queue, customer page, supervisor
board) says the same thing, so the counting lives here once. A line the
customer ordered is one item; a substitute line is not an item of its own, it
tells how its original item ended. An item counts as

- picked: its line is picked;
- substituted: the customer approved a substitute and the picker has finished
  that substitute's line with at least one unit (until then the item is still
  to do);
- missing: it is short (refunded), also while a substitute is still being
  offered, or its substitute turned out short with nothing found;
- to do: everything else.

The SQL form for list screens is in ``app.progress_sql``; both follow this.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from picking.lines import Line
from picking.status import LineState


@dataclass(frozen=True)
class Progress:
    total: int = 0
    picked: int = 0
    substituted: int = 0
    missing: int = 0

    @property
    def done(self) -> int:
        return self.picked + self.substituted + self.missing

    @property
    def open(self) -> int:
        return max(self.total - self.done, 0)

    @property
    def complete(self) -> bool:
        """Every item picked as ordered: the only state that earns a full green bar."""
        return self.total > 0 and self.picked == self.total

    def percent(self, part: str) -> int:
        """Width of one segment of the bar (``picked``, ``substituted``, ``missing``)."""
        return round(100 * getattr(self, part) / self.total) if self.total else 0


def progress_of(lines: Iterable[Line]) -> Progress:
    lines = list(lines)
    substitutes = {ln.substitute_for_id: ln for ln in lines if ln.substitute_for_id is not None}
    originals = [ln for ln in lines if ln.substitute_for_id is None]
    picked = substituted = missing = 0
    for line in originals:
        if line.state is LineState.PICKED:
            picked += 1
        elif line.state is LineState.SHORT:
            missing += 1
        elif line.state is LineState.SUBSTITUTED:
            sub = substitutes.get(line.id) if line.id is not None else None
            if sub is None or sub.state is LineState.PICKED or (
                    sub.state is LineState.SHORT and sub.picked_quantity > 0):
                substituted += 1
            elif sub.state is LineState.SHORT:  # not one unit of the substitute was found
                missing += 1
    return Progress(total=len(originals), picked=picked, substituted=substituted,
                    missing=missing)
