"""Maps the pure domain classes of ``picking`` onto the tables (imperative mapping).

The domain never imports SQLAlchemy; this module teaches SQLAlchemy about it.
Relationships raise on lazy load: repositories say up front what they load,
which an async session needs anyway.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import registry, relationship

from app.db import (
    tables,
    tables_handover,
    tables_substitutions,
    tables_trust,  # noqa: F401 - its tables join the metadata
)
from picking.model import Line as OrderLine
from picking.model import LineState, Order, OrderStatus, Product, Scan

mapper_registry = registry(metadata=tables.metadata)
_mapped = False


def start_mappers() -> None:
    """Idempotent: safe to call from every app factory and test."""
    global _mapped
    if _mapped:
        return
    _mapped = True
    mapper_registry.map_imperatively(Product, tables.products)
    mapper_registry.map_imperatively(Scan, tables.scans, properties={
        "line_id": tables.scans.c.line_id,
    })
    mapper_registry.map_imperatively(OrderLine, tables.order_lines, properties={
        "product": relationship(Product, lazy="raise"),
        "scans": relationship(Scan, lazy="raise", order_by=tables.scans.c.id,
                              cascade="all, delete-orphan"),
    })
    mapper_registry.map_imperatively(
        Order, tables.orders,
        version_id_col=tables.orders.c.version,
        properties={
            "lines": relationship(OrderLine, lazy="raise", order_by=tables.order_lines.c.position,
                                  cascade="all, delete-orphan"),
        },
    )
    tables_handover.map_handover(mapper_registry)
    tables_substitutions.map_substitutions(mapper_registry)
    event.listen(Order, "load", _on_order_load)
    event.listen(OrderLine, "load", _on_line_load)


def _on_order_load(order: Order, _context: Any) -> None:
    # The ORM does not call __init__, so give loaded orders their event list
    # and turn the stored strings back into enums.
    order.events = []
    order.status = OrderStatus(order.status)


def _on_line_load(line: OrderLine, _context: Any) -> None:
    line.state = LineState(line.state)
