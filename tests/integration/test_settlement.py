"""Receipt-ready handover (SQLite and PostgreSQL): OrderSettled carries every line as
handed over with the code of every marked unit; a marked unit refused at the door is
named by scanning its code, and its code is listed as returned."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.db.uow import UnitOfWork
from app.services import handover as service
from picking import errors
from picking.bags import BagCode
from tests.support.handover import outbox_payload, picked_order, staff_user
from tests.support.shop import BEER, NOW, marking_code

LATER = NOW + timedelta(minutes=10)


async def test_order_settled_lists_the_codes_handed_over_and_the_codes_returned(
        db: Any, shop: Any) -> None:
    order_id = await picked_order(db, shop, {"water": 2, "beer": 3}, oms_id="S-1")
    picker, courier = staff_user(shop, "picker"), staff_user(shop, "courier")
    await service.pack_order(UnitOfWork(db), picker, order_id, {"ambient": 1}, {"ambient": "A"},
                             NOW)
    await service.scan_bag(UnitOfWork(db), courier, BagCode("S-1", 1, 1, "ambient").text(), NOW)
    order = await service.take_order(UnitOfWork(db), courier, order_id, NOW)
    beer = next(ln for ln in order.lines if ln.product.sku == "beer")
    codes = [marking_code(BEER, f"beer{order_id}x{n}") for n in range(3)]

    async def refuse(unit_code: str, quantity: int = 1) -> None:
        await service.refuse_line(UnitOfWork(db), courier, order_id, beer.id, quantity,
                                  "damaged", LATER, unit_code=unit_code)

    for bad, quantity in (("", 1), ("not a code", 1), (marking_code(BEER, "someoneelse"), 1),
                          (codes[1], 2)):
        with pytest.raises(errors.InvalidRefusal):
            await refuse(bad, quantity)
    await refuse(codes[1].replace("\x1d", ""))  # scanned without GS: the same unit
    with pytest.raises(errors.InvalidRefusal):
        await refuse(codes[1])  # the same pack cannot come back twice
    await service.deliver(UnitOfWork(db), courier, order_id, LATER, id_checked=True)

    settled = await outbox_payload(db, order_id, "OrderSettled")
    lines = {ln["sku"]: ln for ln in settled["lines"]}
    assert lines["beer"]["quantity"] == 2 and lines["beer"]["marking_codes"] == [
        codes[0], codes[2]]
    assert settled["returned_codes"] == [codes[1]]
    assert lines["water"]["marking_codes"] == [] and lines["water"]["quantity"] == 2
    assert settled["total_minor"] == 2 * shop.prices["water"] + 2 * shop.prices["beer"]
    assert lines["beer"]["price_minor"] == 2 * shop.prices["beer"]

    # the OMS's audit over the events as sent: handed over + returned == picked
    import json

    from sqlalchemy import select

    from app.db import tables
    from sync.code_audit import CodeAudit

    audit = CodeAudit()
    async with db.reading() as session:
        envelopes = await session.scalars(select(tables.outbox.c.envelope).where(
            tables.outbox.c.order_id == order_id).order_by(tables.outbox.c.sequence))
        for envelope in envelopes.all():
            audit.note(json.loads(envelope))
    [result] = audit.results.values()
    assert result["ok"] and (result["picked"], result["handed"], result["returned"]) == (3, 2, 1)
