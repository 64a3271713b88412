"""The supervisor's order panel beside the board (and as a page of its own)."""

from __future__ import annotations

from dataclasses import dataclass

from app.views.shared import status_of
from picking.lines import Line, Product
from picking.model import Order
from picking.progress import Progress


@dataclass(frozen=True, slots=True)
class PanelLine:
    id: int
    product: Product
    is_weighed: bool
    quantity: int
    picked_quantity: int
    state: str  # open | picked | short | substituted
    short_reason: str | None
    weight_note: str | None


@dataclass(frozen=True, slots=True)
class OrderPanel:
    id: int
    oms_id: str
    status: str
    progress: Progress
    priority: int
    picker_id: int | None
    lines: tuple[PanelLine, ...]  # in walking order


def panel_line(line: Line) -> PanelLine:
    return PanelLine(id=line.id or 0, product=line.product, is_weighed=line.is_weighed,
                     quantity=line.quantity, picked_quantity=line.picked_quantity,
                     state=str(line.state), short_reason=line.short_reason,
                     weight_note=line.weight_note)


def order_panel(order: Order) -> OrderPanel:
    return OrderPanel(id=order.id or 0, oms_id=order.oms_id, status=status_of(order),
                      progress=order.progress, priority=order.priority,
                      picker_id=order.picker_id,
                      lines=tuple(panel_line(ln) for ln in order.lines_in_walking_order()))
