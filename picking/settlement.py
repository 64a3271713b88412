"""What was handed over, ready for the settlement receipt: ``OrderSettled``, and the
rule that a marked unit refused at the door is named by its own code.

The receipt needs the marking code of every marked unit sold; a unit the customer
gives back must be known by its code too, so that codes handed over plus codes
returned are exactly the codes picked (the OMS checks this).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from picking import events
from picking.handover_facts import InvalidRefusal
from picking.handover_records import Handover, Refusal
from picking.lines import Line
from picking.marking import check_form

if TYPE_CHECKING:
    from picking.handover import HandoverRules


def returnable_unit(line: Line, refusals: Sequence[Refusal], marking_code: str | None,
                    quantity: int) -> None:
    """A marked unit is refused one at a time, by the code of a unit handed over on this
    line and not returned yet. Raises InvalidRefusal naming what is wrong."""
    if marking_code is None:
        raise InvalidRefusal(reason="marking_code", value="")
    if quantity != 1:
        raise InvalidRefusal(reason="quantity", value=quantity)
    live = {s.marking_code for s in line.live_scans()}
    if marking_code not in live:
        raise InvalidRefusal(reason="marking_code", value=marking_code[:64])
    if any(r.marking_code == marking_code for r in refusals):
        raise InvalidRefusal(reason="marking_code", value=marking_code[:64])


def settlement(order: HandoverRules, handover: Handover, now: datetime,
               staff_id: int | None) -> events.OrderSettled:
    """Every line as handed over, with its units' codes, and the codes returned."""
    returned_keys = {r.marking_code for r in handover.refusals if r.marking_code}
    lines: list[dict[str, Any]] = []
    returned: list[str] = []
    for line in order.lines:
        kept = order.kept_quantity(line)
        codes: list[str] = []
        for scan in line.live_scans():
            if scan.marking_code is None:
                continue
            code = check_form(scan.marking_code, scan.marking_tail, scan.code)
            (returned if scan.marking_code in returned_keys else codes).append(code)
        if kept <= 0 and not codes:
            continue
        price = (round(line.unit_price_minor * kept / 1000) if line.is_weighed
                 else line.unit_price_minor * kept)
        lines.append({
            "line_id": line.id, "sku": line.product.sku, "unit": line.product.unit,
            "quantity": kept, "unit_price_minor": line.unit_price_minor, "price_minor": price,
            "substitute_for": line.substitute_for_id, "marking_codes": codes})
    return events.OrderSettled(
        order_id=order._id(), occurred_at=now, actor_id=staff_id, fulfilment=order.fulfilment,
        lines=tuple(lines), returned_codes=tuple(returned),
        total_minor=sum(ln["price_minor"] for ln in lines))
