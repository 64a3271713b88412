"""In-memory repositories of what the OMS asks of a store (the ports ``OmsStores``,
``OmsCatalog`` and ``OmsSignatures`` of ``app.services.ports_handover``); orders by OMS
id are ``tests.support.fakes_handover.FakeOmsOrders``.

``tests.support.fakes.FakeUnitOfWork`` builds them when it opens (``enter``) and keeps
what they wrote only when it commits (``commit``). Their data is ``InboundStorage``
(``Storage.inbound``): the stores by code, their sale policies, the catalog as the OMS
wrote it (products by id, barcodes by store and GTIN-14) and the signatures seen."""

from __future__ import annotations

import copy
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from picking.model import Product
from picking.sale_policy import SalePolicy, sale_policy
from tests.support import fakes_handover

if TYPE_CHECKING:
    from tests.support.fakes import FakeUnitOfWork


@dataclass
class InboundStorage:
    stores: dict[str, int] = field(default_factory=lambda: {"MSK-001": 1})
    locales: dict[int, str] = field(default_factory=lambda: {1: "ru_RU"})
    policies: dict[int, Any] = field(default_factory=dict)  # store id -> stores.sale_policy
    products: dict[int, Product] = field(default_factory=dict)  # by id
    barcodes: dict[tuple[int, str], int] = field(default_factory=dict)  # (store, gtin) -> id
    signatures: dict[str, datetime] = field(default_factory=dict)  # signature -> seen at
    racing: set[str] = field(default_factory=set)  # another process is inserting these


def enter(uow: FakeUnitOfWork) -> None:
    uow.inbound = copy.deepcopy(uow.storage.inbound)
    uow.oms_stores = FakeOmsStores(uow)
    uow.oms_catalog = FakeOmsCatalog(uow)
    uow.signatures = FakeSignatures(uow)


def commit(uow: FakeUnitOfWork) -> None:
    fakes_handover.number_lines(uow)  # lines a revision added
    uow.storage.inbound = uow.inbound


class FakeOmsStores:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def id_for(self, store_code: str) -> int | None:
        return self.uow.inbound.stores.get(store_code)

    async def sale_policy(self, store_id: int) -> SalePolicy:
        return sale_policy(self.uow.inbound.policies.get(store_id),
                           self.uow.inbound.locales[store_id])


class FakeOmsCatalog:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    def _of(self, store_id: int, skus: Collection[str]) -> list[Product]:
        return [p for p in self.uow.inbound.products.values()
                if p.store_id == store_id and p.sku in skus]

    async def by_skus(self, store_id: int, skus: Collection[str]) -> dict[str, Product]:
        return {p.sku: p for p in self._of(store_id, skus)}

    async def ids_by_sku(self, store_id: int, skus: Collection[str]) -> dict[str, int]:
        return {p.sku: p.id for p in self._of(store_id, skus) if p.id is not None}

    async def update(self, product_id: int, values: dict[str, Any]) -> None:
        product = self.uow.inbound.products[product_id]
        for name, value in values.items():
            setattr(product, name, value)

    async def create(self, store_id: int, sku: str, values: dict[str, Any]) -> int:
        product_id = max(self.uow.inbound.products, default=0) + 1
        self.uow.inbound.products[product_id] = Product(
            store_id=store_id, sku=sku, id=product_id, **{"stock": 0, **values})
        return product_id

    async def set_barcodes(self, store_id: int, product_ids: list[int],
                           barcodes: list[tuple[str, int]]) -> None:
        given = {gtin for gtin, _ in barcodes}
        held = self.uow.inbound.barcodes
        for key in [k for k, pid in held.items()
                    if k[0] == store_id and (pid in product_ids or k[1] in given)]:
            del held[key]
        for gtin, product_id in barcodes:
            held[(store_id, gtin)] = product_id

    async def set_stock(self, product_id: int, stock: int) -> None:
        self.uow.inbound.products[product_id].stock = stock


class FakeSignatures:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def forget_before(self, moment: datetime) -> None:
        seen = self.uow.inbound.signatures
        for signature in [s for s, at in seen.items() if at < moment]:
            del seen[signature]

    async def seen(self, signature: str) -> bool:
        return signature in self.uow.inbound.signatures

    async def add(self, signature: str, at: datetime) -> bool:
        if signature in self.uow.inbound.racing or signature in self.uow.inbound.signatures:
            return False
        self.uow.inbound.signatures[signature] = at
        return True
