"""Parts several screens share: an order's head, and a status as the screens spell it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from picking.model import Order
from picking.status import OrderStatus


def status_of(order: Order) -> str:
    """The order's status as a plain string (templates compare it with literals)."""
    return OrderStatus(order.status).value


@dataclass(frozen=True, slots=True)
class OrderHead:
    """What a screen's heading says about an order."""

    id: int
    oms_id: str
    status: str
    due_at: datetime
    fulfilment: str
    customer_name: str
    customer_phone: str
    address: str | None
    note: str | None


def order_head(order: Order) -> OrderHead:
    return OrderHead(id=order.id or 0, oms_id=order.oms_id, status=status_of(order),
                     due_at=order.due_at, fulfilment=order.fulfilment,
                     customer_name=order.customer_name, customer_phone=order.customer_phone,
                     address=order.address, note=order.note)
