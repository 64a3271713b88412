"""The scan path's rules through the in-memory unit of work (no database): a scan id
is answered once, accepted or refused; questions are not refusals; refusals are
recorded in the scan's own unit of work. Milliseconds per test."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.services import picking as service
from app.staff import StaffUser
from picking import errors
from picking.gtin import complete
from picking.model import Line, Order, OrderStatus, Product
from tests.support.fakes import FakeUnitOfWork, Storage

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
MILK = complete("460123456789")
TEA = complete("460111222333")
PICKER = StaffUser(id=7, store_id=1, store_code="MSK-001", store_name="Test",
                   personnel_no="1001", name="Picker", role="picker", language="en")


def storage(quantity: int = 2) -> Storage:
    milk = Product(store_id=1, sku="milk", name_ru="Молоко", name_en="Milk", unit="piece",
                   price_minor=9990, id=1)
    tea = Product(store_id=1, sku="tea", name_ru="Чай", name_en="Tea", unit="piece",
                  price_minor=19990, id=2)
    order = Order(store_id=1, store_code="MSK-001", oms_id="E-1", due_at=NOW, id=10,
                  status=OrderStatus.PICKING, picker_id=PICKER.id,
                  lines=[Line(product=milk, quantity=quantity, unit_price_minor=9990, id=100)])
    return Storage(orders={10: order}, products={MILK.zfill(14): milk, TEA.zfill(14): tea})


async def scan(store: Storage, code: str, scan_id: str) -> service.ScanOutcome:
    return await service.scan(FakeUnitOfWork(store), PICKER, 10, code, scan_id=scan_id, now=NOW)


def milk_line(store: Storage) -> Line:
    return store.orders[10].lines[0]


async def test_a_scan_counts_once_per_scan_id() -> None:
    store = storage()
    assert not (await scan(store, MILK, "a")).repeated
    assert (await scan(store, MILK, "a")).repeated
    assert milk_line(store).picked_quantity == 1
    assert [e.type for e in store.outbox] == ["ItemScanned"]
    with pytest.raises(errors.ScanIdReused):
        await scan(store, TEA, "a")


async def test_a_refusal_is_recorded_with_the_scan_and_answered_again_unchanged() -> None:
    store = storage(quantity=1)
    with pytest.raises(errors.WrongItemScanned):
        await scan(store, TEA, "t")
    assert store.refused["t"].error == "WrongItemScanned"
    assert [e["kind"] for e in store.errors] == ["wrong_item"]
    # The line is added later (say, a revision): the replay still gets its first answer.
    store.orders[10].lines.append(Line(product=store.products[TEA.zfill(14)], quantity=1,
                                       unit_price_minor=1, id=101))
    with pytest.raises(errors.WrongItemScanned) as again:
        await scan(store, TEA, "t")
    assert again.value.params["product"] == "tea"
    assert len(store.errors) == 1 and store.outbox == []


async def test_nothing_but_the_refusal_is_written_when_a_scan_is_refused() -> None:
    store = storage(quantity=1)
    await scan(store, MILK, "a")
    commits = store.commits
    with pytest.raises(errors.LineAlreadyDone):
        await scan(store, MILK, "b")
    assert store.commits == commits + 1  # one unit of work: the refusal
    assert milk_line(store).picked_quantity == 1
    assert [e.type for e in store.outbox] == ["ItemScanned"]


async def test_unreadable_codes_are_refused_and_remembered() -> None:
    store = storage()
    for _ in range(2):
        with pytest.raises(errors.BadCode):
            await scan(store, "4601234567890", "bad")  # wrong check digit
    assert store.refused["bad"].error == "BadCode" and len(store.errors) == 1


async def test_an_order_of_another_store_is_not_found_and_not_recorded_against_it() -> None:
    store = storage()
    store.orders[10].store_id = 2
    with pytest.raises(errors.OrderNotFound):
        await scan(store, MILK, "x")
    assert store.refused["x"].order_id is None


def test_a_stored_refusal_comes_back_as_the_same_error() -> None:
    err = errors.TooManyScanned(product="milk", name_ru="Молоко", name_en="Milk", ordered=1,
                                picked=1, quantity=2)
    back = errors.restore(type(err).__name__, errors.storable(err))
    assert type(back) is errors.TooManyScanned and back.params == err.params
    assert type(errors.restore("NoLongerAnError", {"x": 1})) is errors.PickingError
