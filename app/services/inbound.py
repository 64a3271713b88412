"""Inbound services: what the central OMS asks of a store, applied in one transaction.

Each function takes a unit of work and the request's ``Signed`` facts. The
request's signature was already remembered by the API guard, in its own
transaction, before the request was looked at (``remember_signature``): a refused
request cannot be sent again either. Raises ``ContractError`` (unknown store or
product, invalid values, conflicts) and never leaves a partial write behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables
from app.db.engine import Database
from app.db.tables_sync import oms_request_signatures
from app.db.uow import UnitOfWork
from picking import errors
from picking.attributes import normalise as normalise_attributes
from picking.gtin import to_gtin14
from picking.lifecycle import RevisedLine, RevisionRefused
from picking.model import Line, Order, OrderStatus, Product
from picking.sale_policy import SalePolicy, group_of, sale_policy
from picking.sizes import size_amount
from sync import contract as c


@dataclass(frozen=True)
class Signed:
    """The verified signature of the request being served, and when it came."""

    signature: str
    now: datetime
    window_seconds: int = 300


async def remember_signature(db: Database, signed: Signed) -> None:
    """Remember the signature in its own committed transaction, whatever becomes of
    the request; refuse one already seen (409). Signatures older than twice the
    clock-skew window are forgotten: their timestamps are refused anyway.

    The cache is the database, so every app process sees it; two processes racing
    with the same signature meet at the primary key and one of them is refused.
    """
    s = oms_request_signatures.c
    replay = c.refuse("X-Storepick-Signature", "replayed request: sign each attempt afresh",
                      409)
    async with db.writing() as session:
        await session.execute(delete(oms_request_signatures).where(
            s.seen_at < signed.now - timedelta(seconds=2 * signed.window_seconds)))
        if await session.scalar(select(exists().where(s.signature == signed.signature))):
            raise replay
        try:
            await session.execute(insert(oms_request_signatures).values(
                signature=signed.signature, seen_at=signed.now))
            await session.commit()
        except IntegrityError:
            await session.rollback()
            raise replay from None


async def store_id_for(session: AsyncSession, store_code: str) -> int:
    """The store's id. Raises ContractError(404) for an unknown store."""
    store_id = await session.scalar(
        select(tables.stores.c.id).where(tables.stores.c.code == store_code))
    if store_id is None:
        raise c.refuse("store", f"unknown store {store_code!r}", 404)
    return int(store_id)


async def put_order(uow: UnitOfWork, store_code: str, oms_id: str, data: c.OrderIn,
                    signed: Signed) -> c.OrderAck:
    """Create the order, or apply a newer version of it; an older version is ignored.

    Raises ContractError: 422 for invalid values or unknown products, 404 for
    an unknown store, 409 for a replay, a cancelled order, an order of another
    store, or a revision the basket cannot take (see picking.lifecycle).
    """
    problems = c.order_errors(data)
    if problems:
        raise c.ContractError(problems)
    async with uow:
        store_id = await store_id_for(uow.session, store_code)
        order = await uow.orders.by_oms_id(oms_id)
        if order is not None and order.store_id != store_id:
            raise c.refuse("oms_id", "belongs to another store", 409)
        if order is not None and data.version <= order.oms_version:
            await uow.commit()
            return _ack("ignored", order)
        lines = await _revised_lines(uow.session, store_id, data)
        if order is None:
            order = _new_order(store_id, store_code, oms_id, data, lines, signed.now)
            uow.orders.add(order)
            outcome = "created"
        else:
            _revise(order, data, lines, signed.now)
            outcome = "updated"
        await uow.commit()
        return _ack(outcome, order)


def _revise(order: Order, data: c.OrderIn, lines: list[RevisedLine], now: datetime) -> None:
    try:
        order.revise(data.version, lines, now=now)
    except errors.OrderCancelled:
        raise c.refuse("oms_id", "the order is cancelled", 409) from None
    except RevisionRefused as refused:
        detail = ", ".join(f"{k}={v}" for k, v in refused.params.items() if k != "order")
        raise c.refuse("lines", f"cannot apply while picking: {detail}", 409) from None
    _set_details(order, data)


async def cancel_order(uow: UnitOfWork, store_code: str, oms_id: str, data: c.CancelIn,
                       signed: Signed) -> c.OrderAck:
    """Cancel the order (until handover); cancelling again is acknowledged and ignored.

    Raises ContractError: 404 unknown store or order, 409 after handover or replay.
    """
    async with uow:
        store_id = await store_id_for(uow.session, store_code)
        order = await uow.orders.by_oms_id(oms_id)
        if order is None or order.store_id != store_id:
            raise c.refuse("oms_id", "unknown order in this store", 404)
        try:
            changed = order.cancel(reason=data.reason[:200], now=signed.now)
        except errors.InvalidTransition:
            raise c.refuse("oms_id", f"cannot cancel: the order is {order.status}", 409) from None
        await uow.commit()
        return _ack("cancelled" if changed else "ignored", order)


def _ack(outcome: str, order: Order) -> c.OrderAck:
    return c.OrderAck(status=outcome, oms_id=order.oms_id,  # type: ignore[arg-type]
                      version=order.oms_version, order_status=str(order.status))


async def _revised_lines(session: AsyncSession, store_id: int,
                         data: c.OrderIn) -> list[RevisedLine]:
    """The order's lines against the store's catalog and sale policy.

    Raises ContractError(422) naming each line at fault: an unknown product, a
    quantity over the limit, or a product (or named substitute) the store may
    not sell for this fulfilment (``picking.sale_policy``).
    """
    wanted = {ln.sku for ln in data.lines} | {ln.specific_sku for ln in data.lines
                                              if ln.specific_sku}
    found = {p.sku: p for p in (await session.scalars(select(Product).where(
        tables.products.c.store_id == store_id, tables.products.c.sku.in_(wanted)))).all()}
    policy = await store_sale_policy(session, store_id)
    problems = []
    for i, line in enumerate(data.lines):
        product = found.get(line.sku)
        limit = c.MAX_GRAMS if product is not None and product.is_weighed else c.MAX_PIECES
        if product is None:
            problems.append(c.FieldError(f"lines[{i}].sku", "no such product in this store"))
        elif line.quantity > limit:
            problems.append(c.FieldError(f"lines[{i}].quantity", f"must be <= {limit}"))
        for name, sku in (("sku", line.sku), ("specific_sku", line.specific_sku)):
            named = found.get(sku or "")
            if named is not None and not policy.allows(named.category, data.fulfilment):
                problems.append(c.FieldError(f"lines[{i}].{name}", _not_for_sale(
                    policy, named, data.fulfilment)))
    if problems:
        raise c.ContractError(problems)
    return [RevisedLine(product=found[ln.sku], quantity=ln.quantity,
                        unit_price_minor=found[ln.sku].price_minor
                        if ln.unit_price_minor is None else ln.unit_price_minor,
                        substitution=ln.substitution, specific_sku=ln.specific_sku,
                        min_days_left=ln.min_days_left, fallback=ln.fallback)
            for ln in data.lines]


async def store_sale_policy(session: AsyncSession, store_id: int) -> SalePolicy:
    row = (await session.execute(select(tables.stores.c.sale_policy, tables.stores.c.locale)
                                 .where(tables.stores.c.id == store_id))).one()
    return sale_policy(row.sale_policy, row.locale)


def _not_for_sale(policy: SalePolicy, product: Product, fulfilment: str) -> str:
    group, allowed = group_of(product.category), policy.allowed_for(product.category)
    where = f"allowed for: {', '.join(allowed)}" if allowed else "not sold to online orders"
    return (f"{product.sku} is {group}: this store may not sell it for {fulfilment} "
            f"(distance-sale rules); {where}")


def _new_order(store_id: int, store_code: str, oms_id: str, data: c.OrderIn,
               lines: list[RevisedLine], now: datetime) -> Order:
    order = Order(store_id=store_id, store_code=store_code, oms_id=oms_id, due_at=data.due_at,
                  oms_version=data.version, status=OrderStatus.QUEUED, created_at=now,
                  lines=[Line(product=ln.product, quantity=ln.quantity,
                              unit_price_minor=ln.unit_price_minor, position=i,
                              substitution=ln.substitution, specific_sku=ln.specific_sku,
                              min_days_left=ln.min_days_left,
                              fallback=ln.fallback or "refund")
                         for i, ln in enumerate(lines)])
    _set_details(order, data)
    return order


def _set_details(order: Order, data: c.OrderIn) -> None:
    order.due_at = data.due_at
    order.fulfilment = data.fulfilment
    order.customer_name = data.customer_name[:200]
    order.customer_phone = data.customer_phone[:40]
    order.address = data.address
    order.priority = data.priority
    order.note = data.note or None
    order.customer_ref = data.customer_id or None
    _set_wishes(order, data)


def _set_wishes(order: Order, data: c.OrderIn) -> None:
    """The customer's note and wishes on each ordered line (not on substitute lines)."""
    wanted = {ln.sku: ln for ln in data.lines}
    for line in order.lines:
        given = wanted.get(line.product.sku)
        if given is None or line.substitute_for_id is not None:
            continue
        for name, value in (("note", given.note or None),
                            ("max_difference_pct", given.max_difference_pct),
                            ("same_brand", given.same_brand)):
            if getattr(line, name) != value:
                setattr(line, name, value)


async def upsert_catalog(uow: UnitOfWork, store_code: str, data: c.CatalogIn,
                         signed: Signed) -> c.UpsertAck:
    """Create or update products by SKU; their barcodes become exactly those given
    (a GTIN moves to the product that now carries it).

    Raises ContractError: 422 invalid values, 404 unknown store, 409 replay.
    """
    problems = c.catalog_errors(data)
    if problems:
        raise c.ContractError(problems)
    async with uow:
        store_id = await store_id_for(uow.session, store_code)
        ids = await _product_ids(uow.session, store_id, [p.sku for p in data.products])
        updated = len(ids)
        for product in data.products:
            ids[product.sku] = await _write_product(uow.session, store_id, product,
                                                    ids.get(product.sku))
        await _write_barcodes(uow.session, store_id, data.products, ids)
        await uow.commit()
    return c.UpsertAck(status="applied", created=len(data.products) - updated, updated=updated)


async def _product_ids(session: AsyncSession, store_id: int, skus: list[str]) -> dict[str, int]:
    p = tables.products.c
    rows = await session.execute(select(p.sku, p.id).where(p.store_id == store_id,
                                                           p.sku.in_(skus)))
    return {sku: int(pid) for sku, pid in rows.all()}


async def _write_product(session: AsyncSession, store_id: int, product: c.ProductIn,
                         product_id: int | None) -> int:
    values = {
        "name_ru": product.name_ru, "name_en": product.name_en, "unit": product.unit,
        "price_minor": product.price_minor, "zone": product.zone, "aisle": product.aisle,
        "shelf": product.shelf, "sequence": product.sequence, "category": product.category,
        "plu": product.plu, "size_text": product.size_text,
        "size_amount": size_amount(product.size_text), "marked": product.marked,
        "age_restricted": product.age_restricted, "tolerance_pct": product.tolerance_pct,
        "min_days_left": product.min_days_left, "ask_expiry": product.ask_expiry,
        "brand": product.brand, "attributes": normalise_attributes(product.attributes) or None}
    if product.stock is not None:
        values["stock"] = product.stock
    p = tables.products
    if product_id is not None:
        await session.execute(update(p).where(p.c.id == product_id).values(**values))
        return product_id
    result = await session.execute(insert(p).values(
        store_id=store_id, sku=product.sku, **{"stock": 0, **values}).returning(p.c.id))
    return int(result.scalar_one())


async def _write_barcodes(session: AsyncSession, store_id: int, products: list[c.ProductIn],
                          ids: dict[str, int]) -> None:
    rows = [{"store_id": store_id, "gtin": to_gtin14(code), "product_id": ids[p.sku]}
            for p in products for code in p.barcodes]
    b = tables.product_barcodes.c
    await session.execute(delete(tables.product_barcodes).where(
        b.store_id == store_id,
        b.product_id.in_([ids[p.sku] for p in products]) | b.gtin.in_([r["gtin"] for r in rows])))
    if rows:
        await session.execute(insert(tables.product_barcodes), rows)


async def set_stock(uow: UnitOfWork, store_code: str, data: c.StockIn,
                    signed: Signed) -> c.UpsertAck:
    """Set stock levels by SKU. Raises ContractError: 422 for an unknown SKU or a
    negative level, 404 unknown store, 409 replay."""
    problems = c.stock_errors(data)
    if problems:
        raise c.ContractError(problems)
    async with uow:
        store_id = await store_id_for(uow.session, store_code)
        ids = await _product_ids(uow.session, store_id, [lv.sku for lv in data.levels])
        unknown = [c.FieldError(f"levels[{i}].sku", "no such product in this store")
                   for i, lv in enumerate(data.levels) if lv.sku not in ids]
        if unknown:
            raise c.ContractError(unknown)
        p = tables.products
        for level in data.levels:
            await uow.session.execute(update(p).where(p.c.id == ids[level.sku])
                                      .values(stock=level.stock))
        await uow.commit()
    return c.UpsertAck(status="applied", created=0, updated=len(data.levels))


async def catalog_for_oms(session: AsyncSession, store_code: str) -> list[c.CatalogEntryOut]:
    """The store's catalog as the OMS sees it (for the simulator and reconciliation).

    Raises ContractError(404) for an unknown store."""
    store_id = await store_id_for(session, store_code)
    policy = await store_sale_policy(session, store_id)
    p = tables.products.c
    rows = await session.execute(select(p.sku, p.name_en, p.unit, p.price_minor, p.stock,
                                        p.category, p.attributes)
                                 .where(p.store_id == store_id).order_by(p.sku))
    return [c.CatalogEntryOut(sku=r.sku, name_en=r.name_en, unit=r.unit,
                              price_minor=r.price_minor, stock=r.stock,
                              fulfilments=policy.allowed_for(r.category),
                              attributes=list(r.attributes or ())) for r in rows.all()]
