"""Walking simulation: one order per walk against runs of 2, 4 and 6 orders.

The demo store's plan (app.demo.catalog: aisles 1-12 ambient, 13-16 chilled,
17-18 frozen, bays A-H along each aisle) and one shift of demo orders, grouped
into runs by the real run builder (``picking.runs.choose_run``: the most urgent
order and the compatible ones due within the window). Each walk starts and ends
at the packing desk at the front of aisle 1 and visits the aisles it needs in
number order (ambient, chilled, frozen), S-shaped: through each visited aisle,
alternating direction; with an odd number of aisles, the last one is entered
only as deep as its deepest item and left the way it came.

Time model (stated, not measured): walking 1.0 m/s with a trolley; per stop (a
product's shelf) 8 s to find it; per unit 6 s to take it and 3 s to scan it;
in a run, 2 s more per unit to scan the tote label and put it in (the put), and
per walk 30 s to set up plus 10 s per tote bound. Weighed lines count as one
unit (one scale label). No CPU time is measured, so the busy shared machine does
not change the numbers.

    .venv/bin/python -m benchmarks.runs [--orders 48] [--seed 7]
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime

from app.demo.catalog import DemoOrder, DemoProduct, demo_orders, demo_products
from picking.runs import Candidate, RunRules, choose_run

AISLE_LENGTH_M = 20.0   # eight bays of 2.5 m
BAY_M = 2.5
AISLE_PITCH_M = 3.0     # from one aisle's centre line to the next
WALK_M_PER_S = 1.0
FIND_S, TAKE_S, SCAN_S, PUT_S = 8.0, 6.0, 3.0, 2.0
SETUP_S, BIND_S = 30.0, 10.0
ZONE_ORDER = {"ambient": 0, "chilled": 1, "frozen": 2}


@dataclass
class Walk:
    metres: float
    units: int
    stops: int
    orders: int
    totes: int

    def seconds(self, run: bool) -> float:
        per_unit = TAKE_S + SCAN_S + (PUT_S if run else 0.0)
        setup = SETUP_S + (BIND_S * self.totes if run else 0.0)
        return self.metres / WALK_M_PER_S + self.stops * FIND_S + self.units * per_unit + setup


def depth(product: DemoProduct) -> float:
    """How far into its aisle (from the front) the product's bay is."""
    bay = "ABCDEFGH".index(product.shelf[0]) if product.shelf[:1] in "ABCDEFGH" else 0
    return (bay + 0.5) * BAY_M


def walk(orders: list[DemoOrder], products: dict[str, DemoProduct]) -> Walk:
    """The S-shaped walk that picks every line of ``orders`` in one pass."""
    skus = {line.sku for order in orders for line in order.lines}
    aisles: dict[int, float] = {}
    for sku in skus:
        p = products[sku]
        aisles[p.aisle] = max(aisles.get(p.aisle, 0.0), depth(p))
    visited = sorted(aisles, key=lambda a: (ZONE_ORDER[_zone(a, products)], a))
    x, at_back, metres = 0.0, False, 0.0
    for k, aisle in enumerate(visited):
        target = (aisle - 1) * AISLE_PITCH_M
        metres += abs(target - x)
        x = target
        last_odd = k == len(visited) - 1 and len(visited) % 2 == 1
        if last_odd and not at_back:
            metres += 2 * aisles[aisle]  # in as deep as needed and back out
        else:
            metres += AISLE_LENGTH_M
            at_back = not at_back
    if at_back:
        metres += AISLE_LENGTH_M  # back to the front along the last aisle
    metres += x  # along the front to the packing desk
    units = sum(1 if products[ln.sku].unit == "weight" else ln.quantity
                for order in orders for ln in order.lines)
    totes = sum(len({products[ln.sku].zone for ln in order.lines}) for order in orders)
    return Walk(metres, units, len(skus), len(orders), totes)


def _zone(aisle: int, products: dict[str, DemoProduct]) -> str:
    return next(p.zone for p in products.values() if p.aisle == aisle)


def runs_of(orders: list[DemoOrder], size: int) -> list[list[DemoOrder]]:
    """The shift cut into runs by the real builder, most urgent first."""
    by_id = dict(enumerate(orders))
    left = [Candidate(i, o.due_at, o.fulfilment) for i, o in by_id.items()]
    rules = RunRules(max_orders=size, window_minutes=60)
    out = []
    while left:
        chosen = choose_run(left, rules)
        out.append([by_id[c.id] for c in chosen])
        taken = {c.id for c in chosen}
        left = [c for c in left if c.id not in taken]
    return out


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=48)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    catalog = demo_products()
    products = {p.sku: p for p in catalog}
    orders = demo_orders(catalog, datetime(2026, 12, 1, 8, 0, tzinfo=UTC), count=args.orders,
                         seed=args.seed)
    print(f"{len(orders)} demo orders, {sum(len(o.lines) for o in orders)} lines; "
          f"walk {WALK_M_PER_S} m/s, stop {FIND_S} s, unit {TAKE_S}+{SCAN_S} s, "
          f"put {PUT_S} s, walk setup {SETUP_S} s, tote {BIND_S} s")
    print(f"{'orders/run':>10} {'runs':>5} {'avg size':>8} {'m/item':>7} {'median m/item':>13} "
          f"{'items/h':>8} {'vs single':>9} {'m vs single':>11}")
    base_rate = base_m = 0.0
    for size in (1, 2, 4, 6):
        walks = [walk(group, products) for group in runs_of(orders, size)]
        metres = sum(w.metres for w in walks)
        units = sum(w.units for w in walks)
        seconds = sum(w.seconds(run=size > 1) for w in walks)
        rate = units / seconds * 3600
        per_item = metres / units
        median = statistics.median(w.metres / w.units for w in walks)
        if size == 1:
            base_rate, base_m = rate, per_item
        print(f"{size:>10} {len(walks):>5} {len(orders) / len(walks):>8.2f} {per_item:>7.1f} "
              f"{median:>13.1f} {rate:>8.0f} {rate / base_rate:>8.2f}x "
              f"{per_item / base_m:>10.2f}x")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
