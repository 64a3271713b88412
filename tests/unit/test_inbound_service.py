"""What the chain's OMS asks of a store (orders, cancellations, catalog, stock, replayed
signatures), through the in-memory unit of work (``tests.support.fakes``,
``tests.support.fakes_inbound``): no database, milliseconds per test. The SQL
repositories behind the same ports (``app.db.repo_inbound``) are proven by the
integration tests on SQLite and PostgreSQL (test_api_orders, test_api_changes,
test_api_sale_policy, test_api_signing, test_api_bounds)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.services import inbound
from app.services.inbound import Signed
from picking.gtin import complete, to_gtin14
from picking.model import OrderStatus
from sync import contract as c
from tests.support.fakes import FakeUnitOfWork, Storage

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
SIGNED = Signed(signature="sig-1", now=NOW)
MILK_GTIN, KEFIR_GTIN = complete("460123456789"), complete("460123456790")


def product_in(sku: str, *, barcodes: tuple[str, ...] = (), price: int = 9990,
               category: str = "dairy", unit: str = "piece",
               stock: int | None = None) -> c.ProductIn:
    return c.ProductIn(sku=sku, name_ru=sku, name_en=sku.title(), unit=unit,  # type: ignore[arg-type]
                       price_minor=price, category=category, barcodes=list(barcodes),
                       stock=stock)


CATALOG = c.CatalogIn(products=[
    product_in("milk", barcodes=(MILK_GTIN,), stock=10), product_in("kefir", stock=3),
    product_in("bananas", unit="weight", category="fruit"),
    product_in("wine", category="alcohol/wine"), product_in("cigarettes", category="tobacco")])


def uow(store: Storage) -> FakeUnitOfWork:
    return FakeUnitOfWork(store)


async def shop() -> Storage:
    store = Storage()
    await inbound.upsert_catalog(uow(store), "MSK-001", CATALOG, SIGNED)
    store.outbox.clear()
    return store


def order_in(version: int, lines: dict[str, int], *, fulfilment: str = "delivery",
             **line_fields: object) -> c.OrderIn:
    return c.OrderIn(version=version, due_at=NOW + timedelta(hours=2),
                     lines=[c.OrderLineIn(sku=sku, quantity=q, **line_fields)  # type: ignore[arg-type]
                            for sku, q in lines.items()],
                     fulfilment=fulfilment, customer_name="Анна")  # type: ignore[arg-type]


async def put(store: Storage, oms_id: str, data: c.OrderIn) -> c.OrderAck:
    return await inbound.put_order(uow(store), "MSK-001", oms_id, data, SIGNED)


def the_order(store: Storage, oms_id: str) -> dict[str, int]:
    order = next(o for o in store.orders.values() if o.oms_id == oms_id)
    return {ln.product.sku: ln.quantity for ln in order.lines}


def refused(exc: pytest.ExceptionInfo[c.ContractError]) -> tuple[int, list[str]]:
    return exc.value.status, [e.field for e in exc.value.errors]


# -- orders ---------------------------------------------------------------------------

async def test_a_new_order_is_created_once_and_the_same_version_again_is_ignored() -> None:
    store = await shop()
    ack = await put(store, "W-1", order_in(2, {"milk": 2, "bananas": 1200}))
    assert (ack.status, ack.version, ack.order_status) == ("created", 2, "queued")
    assert the_order(store, "W-1") == {"milk": 2, "bananas": 1200}
    order = next(iter(store.orders.values()))
    assert order.status is OrderStatus.QUEUED and order.customer_name == "Анна"
    assert order.lines[0].unit_price_minor == 9990  # the catalog's price when none given
    again = await put(store, "W-1", order_in(2, {"milk": 5}))
    older = await put(store, "W-1", order_in(1, {"kefir": 1}))
    assert again.status == older.status == "ignored"
    assert len(store.orders) == 1 and the_order(store, "W-1") == {"milk": 2, "bananas": 1200}


async def test_a_newer_version_revises_the_order_in_place() -> None:
    store = await shop()
    await put(store, "W-1", order_in(1, {"milk": 2, "bananas": 1200}))
    ack = await put(store, "W-1", order_in(2, {"milk": 3, "kefir": 1}))
    assert (ack.status, ack.version) == ("updated", 2)
    assert len(store.orders) == 1 and the_order(store, "W-1") == {"milk": 3, "kefir": 1}
    assert [e.type for e in store.outbox][-1] == "OrderRevised"
    order = next(iter(store.orders.values()))
    assert all(ln.id is not None for ln in order.lines)


async def test_an_order_of_unknown_products_or_over_the_limit_names_each_line() -> None:
    store = await shop()
    with pytest.raises(c.ContractError) as bad:
        await put(store, "W-1", order_in(1, {"milk": 1, "caviar": 1, "kefir": 1000}))
    assert refused(bad) == (422, ["lines[1].sku", "lines[2].quantity"])
    with pytest.raises(c.ContractError) as empty:
        await put(store, "W-1", order_in(0, {"milk": 1}))
    assert refused(empty) == (422, ["version"])
    assert store.orders == {} and store.commits == 1  # the catalog's only


async def test_the_sale_policy_keeps_alcohol_for_collect_and_tobacco_out() -> None:
    store = await shop()
    with pytest.raises(c.ContractError) as bad:
        await put(store, "W-1", order_in(1, {"wine": 1, "cigarettes": 1}))
    assert refused(bad) == (422, ["lines[0].sku", "lines[1].sku"])
    assert "allowed for: collect" in bad.value.errors[0].message
    ack = await put(store, "W-2", order_in(1, {"wine": 1}, fulfilment="collect"))
    assert ack.status == "created"
    store.inbound.policies[1] = {"alcohol": []}  # a store that sells no alcohol online
    with pytest.raises(c.ContractError):
        await put(store, "W-3", order_in(1, {"wine": 1}, fulfilment="collect"))


async def test_an_unknown_store_or_another_stores_order_is_refused() -> None:
    store = await shop()
    store.inbound.stores["SPB-002"] = 2
    store.inbound.locales[2] = "ru_RU"
    await put(store, "W-1", order_in(1, {"milk": 1}))
    with pytest.raises(c.ContractError) as unknown:
        await inbound.put_order(uow(store), "XXX-9", "W-2", order_in(1, {"milk": 1}), SIGNED)
    assert unknown.value.status == 404
    with pytest.raises(c.ContractError) as elsewhere:
        await inbound.put_order(uow(store), "SPB-002", "W-1", order_in(2, {"milk": 1}), SIGNED)
    assert refused(elsewhere) == (409, ["oms_id"])


async def test_cancelling_twice_is_acknowledged_and_a_cancelled_order_takes_no_revision(
        ) -> None:
    store = await shop()
    await put(store, "W-1", order_in(1, {"milk": 1}))
    first = await inbound.cancel_order(uow(store), "MSK-001", "W-1", c.CancelIn(), SIGNED)
    second = await inbound.cancel_order(uow(store), "MSK-001", "W-1", c.CancelIn(), SIGNED)
    assert (first.status, second.status, first.order_status) == (
        "cancelled", "ignored", "cancelled")
    with pytest.raises(c.ContractError) as late:
        await put(store, "W-1", order_in(2, {"milk": 2}))
    assert refused(late) == (409, ["oms_id"])
    with pytest.raises(c.ContractError) as unknown:
        await inbound.cancel_order(uow(store), "MSK-001", "W-404", c.CancelIn(), SIGNED)
    assert unknown.value.status == 404


# -- catalog and stock -----------------------------------------------------------------

async def test_the_catalog_is_upserted_by_sku_and_a_barcode_moves_with_it() -> None:
    store = await shop()
    products = store.inbound.products
    assert len(products) == 5 and {p.sku: p.stock for p in products.values()}["milk"] == 10
    milk_id = next(p.id for p in products.values() if p.sku == "milk")
    ack = await inbound.upsert_catalog(uow(store), "MSK-001", c.CatalogIn(products=[
        product_in("milk", price=10990), product_in("kefir", barcodes=(MILK_GTIN, KEFIR_GTIN)),
        product_in("ryazhenka")]), SIGNED)
    assert (ack.created, ack.updated) == (1, 2)
    by_sku = {p.sku: p for p in store.inbound.products.values()}
    assert len(by_sku) == 6 and by_sku["milk"].id == milk_id
    assert by_sku["milk"].price_minor == 10990
    assert by_sku["milk"].stock == 10  # no stock given: kept
    assert store.inbound.barcodes == {(1, to_gtin14(MILK_GTIN)): by_sku["kefir"].id,
                                      (1, to_gtin14(KEFIR_GTIN)): by_sku["kefir"].id}


async def test_stock_is_set_by_sku_and_an_unknown_sku_writes_nothing() -> None:
    store = await shop()
    with pytest.raises(c.ContractError) as bad:
        await inbound.set_stock(uow(store), "MSK-001", c.StockIn(levels=[
            c.StockLevelIn(sku="milk", stock=1), c.StockLevelIn(sku="caviar", stock=1)]),
            SIGNED)
    assert refused(bad) == (422, ["levels[1].sku"])
    ack = await inbound.set_stock(uow(store), "MSK-001", c.StockIn(levels=[
        c.StockLevelIn(sku="milk", stock=0), c.StockLevelIn(sku="kefir", stock=7)]), SIGNED)
    assert (ack.created, ack.updated) == (0, 2)
    assert {p.sku: p.stock for p in store.inbound.products.values()
            if p.sku in ("milk", "kefir")} == {"milk": 0, "kefir": 7}


# -- signatures ------------------------------------------------------------------------

async def test_a_signature_is_accepted_once_and_forgotten_after_twice_the_window() -> None:
    store = Storage()
    await inbound.remember_signature(uow(store), SIGNED)
    with pytest.raises(c.ContractError) as replay:
        await inbound.remember_signature(uow(store), SIGNED)
    assert refused(replay) == (409, ["X-Storepick-Signature"])
    later = Signed(signature="sig-2", now=NOW + timedelta(seconds=601))
    await inbound.remember_signature(uow(store), later)
    assert set(store.inbound.signatures) == {"sig-2"}  # sig-1 is older than 2 x 300 s


async def test_a_signature_lost_in_a_race_is_a_replay_and_forgets_nothing() -> None:
    store = Storage()
    store.inbound.signatures["old"] = NOW - timedelta(hours=1)
    store.inbound.racing.add(SIGNED.signature)  # another process is inserting it
    with pytest.raises(c.ContractError) as replay:
        await inbound.remember_signature(uow(store), SIGNED)
    assert replay.value.status == 409
    assert store.commits == 0 and set(store.inbound.signatures) == {"old"}
