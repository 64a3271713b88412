"""Inbound services: what the central OMS asks of a store, applied in one transaction.

Each function takes a unit of work (``app.services.ports_handover``) and the
request's ``Signed`` facts. The
request's signature was already remembered by the API guard, in its own
transaction, before the request was looked at (``remember_signature``): a refused
request cannot be sent again either. Raises ``ContractError`` (unknown store or
product, invalid values, conflicts) and never leaves a partial write behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.services.ports_handover import InboundUnitOfWork, OmsStores
from picking import errors
from picking.attributes import normalise as normalise_attributes
from picking.gtin import to_gtin14
from picking.lifecycle import RevisedLine, RevisionRefused
from picking.model import Line, Order, OrderStatus, Product
from picking.sale_policy import SalePolicy, group_of
from picking.sizes import size_amount
from sync import contract as c


@dataclass(frozen=True)
class Signed:
    """The verified signature of the request being served, and when it came."""

    signature: str
    now: datetime
    window_seconds: int = 300


async def remember_signature(uow: InboundUnitOfWork, signed: Signed) -> None:
    """Remember the signature in its own committed transaction, whatever becomes of
    the request; refuse one already seen (409). Signatures older than twice the
    clock-skew window are forgotten: their timestamps are refused anyway.

    The cache is the database, so every app process sees it; two processes racing
    with the same signature meet at the primary key and one of them is refused.
    """
    replay = c.refuse("X-Storepick-Signature", "replayed request: sign each attempt afresh",
                      409)
    async with uow:
        await uow.signatures.forget_before(
            signed.now - timedelta(seconds=2 * signed.window_seconds))
        if await uow.signatures.seen(signed.signature):
            raise replay
        if not await uow.signatures.add(signed.signature, signed.now):
            raise replay  # leaving the unit of work rolls back
        await uow.commit()


async def store_id_for(stores: OmsStores, store_code: str) -> int:
    """The store's id. Raises ContractError(404) for an unknown store."""
    store_id = await stores.id_for(store_code)
    if store_id is None:
        raise c.refuse("store", f"unknown store {store_code!r}", 404)
    return store_id


async def put_order(uow: InboundUnitOfWork, store_code: str, oms_id: str, data: c.OrderIn,
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
        store_id = await store_id_for(uow.oms_stores, store_code)
        order = await uow.orders.by_oms_id(oms_id)
        if order is not None and order.store_id != store_id:
            raise c.refuse("oms_id", "belongs to another store", 409)
        if order is not None and data.version <= order.oms_version:
            await uow.commit()
            return _ack("ignored", order)
        lines = await _revised_lines(uow, store_id, data)
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


async def cancel_order(uow: InboundUnitOfWork, store_code: str, oms_id: str, data: c.CancelIn,
                       signed: Signed) -> c.OrderAck:
    """Cancel the order (until handover); cancelling again is acknowledged and ignored.

    Raises ContractError: 404 unknown store or order, 409 after handover or replay.
    """
    async with uow:
        store_id = await store_id_for(uow.oms_stores, store_code)
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


async def _revised_lines(uow: InboundUnitOfWork, store_id: int,
                         data: c.OrderIn) -> list[RevisedLine]:
    """The order's lines against the store's catalog and sale policy.

    Raises ContractError(422) naming each line at fault: an unknown product, a
    quantity over the limit, or a product (or named substitute) the store may
    not sell for this fulfilment (``picking.sale_policy``).
    """
    wanted = {ln.sku for ln in data.lines} | {ln.specific_sku for ln in data.lines
                                              if ln.specific_sku}
    found = await uow.oms_catalog.by_skus(store_id, wanted)
    policy = await uow.oms_stores.sale_policy(store_id)
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


async def upsert_catalog(uow: InboundUnitOfWork, store_code: str, data: c.CatalogIn,
                         signed: Signed) -> c.UpsertAck:
    """Create or update products by SKU; their barcodes become exactly those given
    (a GTIN moves to the product that now carries it).

    Raises ContractError: 422 invalid values, 404 unknown store, 409 replay.
    """
    problems = c.catalog_errors(data)
    if problems:
        raise c.ContractError(problems)
    async with uow:
        store_id = await store_id_for(uow.oms_stores, store_code)
        ids = await uow.oms_catalog.ids_by_sku(store_id, [p.sku for p in data.products])
        updated = len(ids)
        for product in data.products:
            ids[product.sku] = await _write_product(uow, store_id, product,
                                                    ids.get(product.sku))
        await uow.oms_catalog.set_barcodes(
            store_id, [ids[p.sku] for p in data.products],
            [(to_gtin14(code), ids[p.sku]) for p in data.products for code in p.barcodes])
        await uow.commit()
    return c.UpsertAck(status="applied", created=len(data.products) - updated, updated=updated)


async def _write_product(uow: InboundUnitOfWork, store_id: int, product: c.ProductIn,
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
    if product_id is not None:
        await uow.oms_catalog.update(product_id, values)
        return product_id
    return await uow.oms_catalog.create(store_id, product.sku, values)


async def set_stock(uow: InboundUnitOfWork, store_code: str, data: c.StockIn,
                    signed: Signed) -> c.UpsertAck:
    """Set stock levels by SKU. Raises ContractError: 422 for an unknown SKU or a
    negative level, 404 unknown store, 409 replay."""
    problems = c.stock_errors(data)
    if problems:
        raise c.ContractError(problems)
    async with uow:
        store_id = await store_id_for(uow.oms_stores, store_code)
        ids = await uow.oms_catalog.ids_by_sku(store_id, [lv.sku for lv in data.levels])
        unknown = [c.FieldError(f"levels[{i}].sku", "no such product in this store")
                   for i, lv in enumerate(data.levels) if lv.sku not in ids]
        if unknown:
            raise c.ContractError(unknown)
        for level in data.levels:
            await uow.oms_catalog.set_stock(ids[level.sku], level.stock)
        await uow.commit()
    return c.UpsertAck(status="applied", created=0, updated=len(data.levels))
