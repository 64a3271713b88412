"""The scan path's steps of issue 15 (late find, the out-of-stock loop), kept apart
from ``app.services.picking.scan`` which calls them.

Both cost nothing on an ordinary scan beyond one indexed DELETE: the late find
looks only at the lines the scan loaded already and loads the whole order only
when one of them was marked missing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.services.ports import PickingUnitOfWork
from app.staff import StaffUser
from picking import errors
from picking.model import Line, Order, Product


async def count_scan(uow: PickingUnitOfWork, picker: StaffUser, order: Order,
                     product: Product, now: datetime, count: Callable[[Order], Line], *,
                     likely_out: bool = True) -> Line:
    """Count a scan of ``product`` on the order (``count``), first reopening the
    product's line if it was marked missing and none of its lines is open (a late
    find: the whole order is loaded, the line's waiting substitutes withdrawn,
    ``LineReopened`` recorded; a refused scan leaves the line missing). A counted
    scan clears the product's "likely out" mark (when ``likely_out``: the scan's probe
    says whether there is one, so an ordinary scan writes nothing more). Raises what
    ``count`` raises and the picker checks of the order (a finished order stays
    finished)."""
    line = order.short_line_for_late_find(product)
    if line is None or line.id is None:
        counted = count(order)
    else:
        whole = await uow.orders.reload(order.id or 0, store_id=picker.store_id)
        if whole is None:
            raise errors.OrderNotFound(order_id=order.id)
        counted = whole.count_late_find(line.id, lambda: count(whole), now=now,
                                        staff_id=picker.id)
    if likely_out:
        await on_the_shelf(uow, picker, product)
    return counted


async def on_the_shelf(uow: PickingUnitOfWork, picker: StaffUser, product: Product) -> None:
    """A good scan of the product: it is not out after all."""
    if product.id is not None:
        await uow.stock.clear_likely_out(picker.store_id, product.id)
