"""Read queries of the OMS API (on a reading session)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables
from app.db.repo_inbound import OmsStoreRepository
from app.services.inbound import store_id_for
from sync import contract as c


async def catalog_for_oms(session: AsyncSession, store_code: str) -> list[c.CatalogEntryOut]:
    """The store's catalog as the OMS sees it (for the simulator and reconciliation).

    Raises ContractError(404) for an unknown store."""
    stores = OmsStoreRepository(session)
    store_id = await store_id_for(stores, store_code)
    policy = await stores.sale_policy(store_id)
    p = tables.products.c
    rows = await session.execute(select(p.sku, p.name_en, p.unit, p.price_minor, p.stock,
                                        p.category, p.attributes)
                                 .where(p.store_id == store_id).order_by(p.sku))
    return [c.CatalogEntryOut(sku=r.sku, name_en=r.name_en, unit=r.unit,
                              price_minor=r.price_minor, stock=r.stock,
                              fulfilments=policy.allowed_for(r.category),
                              attributes=list(r.attributes or ())) for r in rows.all()]
