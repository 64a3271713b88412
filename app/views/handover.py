"""The handover screens: the packing desk's order and labels, the courier's take and
delivery pages, and the click & collect counter's order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from app.views.shared import OrderHead, order_head
from picking.handover_records import Bag, Handover
from picking.lines import Line, Product
from picking.model import Order


@dataclass(frozen=True, slots=True)
class BagView:
    number: int
    count: int
    zone: str
    scanned: bool  # by the person looking at the screen


@dataclass(frozen=True, slots=True)
class KeptLine:
    """A picked line at handover: what the customer still takes of it."""

    id: int
    product: Product
    is_weighed: bool
    picked_quantity: int
    kept: int


@dataclass(frozen=True, slots=True)
class HandoverPage:
    """A packed (or handed over) order at the courier's or the counter's screen."""

    order: OrderHead
    needs_id_check: bool
    bags: tuple[BagView, ...]
    staging: tuple[tuple[str, str], ...]  # (zone, place)
    cold: tuple[tuple[str, int], ...]  # (zone, seconds out of the cold so far)
    lines: tuple[KeptLine, ...]  # picked lines, in walking order
    returned_codes: tuple[str, ...]  # marking codes of the packs given back
    refund_minor: int
    refused: bool  # anything was refused

    @property
    def scanned_count(self) -> int:
        return sum(1 for bag in self.bags if bag.scanned)


def _bags(handover: Handover, missing: list[Bag]) -> tuple[BagView, ...]:
    return tuple(BagView(b.number, b.count, b.zone, scanned=b not in missing)
                 for b in handover.bags)


def kept_line(order: Order, line: Line) -> KeptLine:
    return KeptLine(id=line.id or 0, product=line.product, is_weighed=line.is_weighed,
                    picked_quantity=line.picked_quantity, kept=order.kept_quantity(line))


def handover_page(order: Order, handover: Handover, staff_id: int | None,
                  now: datetime) -> HandoverPage:
    """The order as ``staff_id`` hands it over at ``now`` (which bags they scanned, how
    long cold goods have been out of the cold)."""
    refusals = handover.refusals
    return HandoverPage(
        order=order_head(order), needs_id_check=order.needs_id_check,
        bags=_bags(handover, order.missing_bags(staff_id)),
        staging=tuple(handover.staging.items()),
        cold=tuple(handover.out_of_cold(now).items()),
        lines=tuple(kept_line(order, ln) for ln in order.lines_in_walking_order()
                    if ln.picked_quantity),
        returned_codes=tuple(r.marking_code for r in refusals if r.marking_code),
        refund_minor=sum(r.amount_minor for r in refusals), refused=bool(refusals))


# -- the packing desk ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PackLine:
    product: Product
    is_weighed: bool
    picked_quantity: int


@dataclass(frozen=True, slots=True)
class PackPage:
    order: OrderHead
    lines: tuple[PackLine, ...]  # picked lines, in walking order


def pack_page(order: Order) -> PackPage:
    return PackPage(order=order_head(order), lines=tuple(
        PackLine(ln.product, ln.is_weighed, ln.picked_quantity)
        for ln in order.lines_in_walking_order() if ln.picked_quantity))


@dataclass(frozen=True, slots=True)
class BagLabel:
    """One bag label: its QR and the same code in letters, to type when the QR is scuffed."""

    number: int
    count: int
    zone: str
    text: str
    adult: bool
    qr: str  # inline SVG


@dataclass(frozen=True, slots=True)
class LabelsPage:
    order: OrderHead
    bag_count: int
    staging: tuple[tuple[str, str], ...]  # (zone, place)
    cold_seconds: tuple[tuple[str, int], ...]  # (zone, seconds out of the cold at packing)
    labels: tuple[BagLabel, ...]

    def cold_at(self, zone: str) -> int | None:
        """Seconds ``zone``'s goods were out of the cold until staged; None: not cold."""
        return dict(self.cold_seconds).get(zone)


def labels_page(order: Order, handover: Handover, qr: Callable[[str], str]) -> LabelsPage:
    """The packed order's labels; ``qr`` draws a code's text as inline SVG."""
    adult = order.adult_zones()
    labels = []
    for bag in handover.bags:
        text = bag.code(order.oms_id).text()
        labels.append(BagLabel(bag.number, bag.count, bag.zone, text, bag.zone in adult,
                               qr(text)))
    return LabelsPage(order=order_head(order), bag_count=len(handover.bags),
                      staging=tuple(handover.staging.items()),
                      cold_seconds=tuple(handover.cold_seconds.items()), labels=tuple(labels))
