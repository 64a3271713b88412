"""The SQL repositories of what the OMS asks of a store (the ports ``OmsStores``,
``OmsCatalog`` and ``OmsSignatures`` of ``app.services.ports_handover``). The
statements are those ``app.services.inbound`` ran itself before issue 10, moved here
unchanged."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables
from app.db.tables_sync import oms_request_signatures
from picking.model import Product
from picking.sale_policy import SalePolicy, sale_policy


class OmsStoreRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def id_for(self, store_code: str) -> int | None:
        store_id = await self.session.scalar(
            select(tables.stores.c.id).where(tables.stores.c.code == store_code))
        return None if store_id is None else int(store_id)

    async def sale_policy(self, store_id: int) -> SalePolicy:
        row = (await self.session.execute(
            select(tables.stores.c.sale_policy, tables.stores.c.locale)
            .where(tables.stores.c.id == store_id))).one()
        return sale_policy(row.sale_policy, row.locale)


class OmsCatalogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_skus(self, store_id: int, skus: Collection[str]) -> dict[str, Product]:
        return {p.sku: p for p in (await self.session.scalars(select(Product).where(
            tables.products.c.store_id == store_id, tables.products.c.sku.in_(skus)))).all()}

    async def ids_by_sku(self, store_id: int, skus: Collection[str]) -> dict[str, int]:
        p = tables.products.c
        rows = await self.session.execute(select(p.sku, p.id).where(p.store_id == store_id,
                                                                    p.sku.in_(skus)))
        return {sku: int(pid) for sku, pid in rows.all()}

    async def update(self, product_id: int, values: dict[str, Any]) -> None:
        p = tables.products
        await self.session.execute(update(p).where(p.c.id == product_id).values(**values))

    async def create(self, store_id: int, sku: str, values: dict[str, Any]) -> int:
        p = tables.products
        result = await self.session.execute(insert(p).values(
            store_id=store_id, sku=sku, **{"stock": 0, **values}).returning(p.c.id))
        return int(result.scalar_one())

    async def set_barcodes(self, store_id: int, product_ids: list[int],
                           barcodes: list[tuple[str, int]]) -> None:
        rows = [{"store_id": store_id, "gtin": gtin, "product_id": product_id}
                for gtin, product_id in barcodes]
        b = tables.product_barcodes.c
        await self.session.execute(delete(tables.product_barcodes).where(
            b.store_id == store_id,
            b.product_id.in_(product_ids) | b.gtin.in_([r["gtin"] for r in rows])))
        if rows:
            await self.session.execute(insert(tables.product_barcodes), rows)

    async def set_stock(self, product_id: int, stock: int) -> None:
        p = tables.products
        await self.session.execute(update(p).where(p.c.id == product_id).values(stock=stock))


class OmsSignatureRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def forget_before(self, moment: datetime) -> None:
        await self.session.execute(delete(oms_request_signatures).where(
            oms_request_signatures.c.seen_at < moment))

    async def seen(self, signature: str) -> bool:
        s = oms_request_signatures.c
        return bool(await self.session.scalar(select(exists().where(s.signature == signature))))

    async def add(self, signature: str, at: datetime) -> bool:
        """Two processes racing with the same signature meet at the primary key: the
        second is told False (its transaction is then only fit to be rolled back)."""
        try:
            await self.session.execute(insert(oms_request_signatures).values(
                signature=signature, seen_at=at))
        except IntegrityError:
            return False
        return True
