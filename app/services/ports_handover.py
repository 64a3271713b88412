"""What the handover and inbound services need from storage, as Protocols (issue 10,
item 2), beside the picking ports of ``app.services.ports``.

``app.services.handover`` (packing, bags, couriers, the click & collect counter) and
``app.services.inbound`` (orders, catalog and stock from the chain's OMS) take a unit of
work satisfying ``HandoverUnitOfWork`` / ``InboundUnitOfWork`` and nothing else. The
SQL side is ``app.db.repo_handover`` and ``app.db.repo_inbound`` (registered on
``app.db.uow.UnitOfWork``); the in-memory one ``tests.support.fakes_handover`` and
``tests.support.fakes_inbound`` (on ``tests.support.fakes.FakeUnitOfWork``).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from app.services.ports import CustomerLinks, Orders, PickingUnitOfWork
from app.services.ports_floor import Pickups
from picking.handover import Handover
from picking.model import Order, Product
from picking.sale_policy import SalePolicy

if TYPE_CHECKING:
    pass


class OmsOrders(Orders, Protocol):
    """Orders as the OMS names them, and new ones."""

    async def by_oms_id(self, oms_id: str) -> Order | None: ...

    def add(self, order: Order) -> None: ...


# -- packing and handover (app.services.handover) ---------------------------------------

class Handovers(Protocol):
    """An order's handover (bags, refusals) and the pickup codes they hold, by hash."""

    async def attach(self, order: Order) -> Order:
        """The order with its handover attached (None until packed)."""
        ...

    def add(self, handover: Handover) -> None: ...

    async def code_waiting(self, code_hash: str) -> bool:
        """Does an order not yet delivered hold this pickup code?"""
        ...

    async def waiting_for(self, store_id: int, code_hash: str) -> int | None:
        """The store's packed collect order with this pickup code."""
        ...

    async def handed_over_since(self, store_id: int, code_hash: str,
                                since: datetime) -> tuple[str, datetime] | None:
        """The OMS id and moment (aware) of the store's latest collect order with this
        code handed over at or after ``since``."""
        ...


class PickupAttempts(Protocol):
    """Wrong pickup codes, per staff member."""

    async def failures_since(self, staff_id: int, since: datetime) -> int: ...

    async def add_failure(self, staff_id: int, at: datetime) -> None: ...


class HandoverUnitOfWork(PickingUnitOfWork, Protocol):
    @property
    def orders(self) -> OmsOrders: ...

    @property
    def handovers(self) -> Handovers: ...

    @property
    def pickup_attempts(self) -> PickupAttempts: ...

    @property
    def pickups(self) -> Pickups:
        """The arrival of a collect order (``app.services.ports_floor``)."""
        ...

    @property
    def links(self) -> CustomerLinks: ...

    async def __aenter__(self) -> HandoverUnitOfWork: ...


# -- what the OMS asks of a store (app.services.inbound) -------------------------------

class OmsStores(Protocol):
    async def id_for(self, store_code: str) -> int | None: ...

    async def sale_policy(self, store_id: int) -> SalePolicy: ...


class OmsCatalog(Protocol):
    """The store's products by SKU, written as the OMS sends them."""

    async def by_skus(self, store_id: int, skus: Collection[str]) -> dict[str, Product]: ...

    async def ids_by_sku(self, store_id: int, skus: Collection[str]) -> dict[str, int]: ...

    async def update(self, product_id: int, values: dict[str, Any]) -> None: ...

    async def create(self, store_id: int, sku: str, values: dict[str, Any]) -> int: ...

    async def set_barcodes(self, store_id: int, product_ids: list[int],
                           barcodes: list[tuple[str, int]]) -> None:
        """The products ``product_ids`` carry exactly their ``(gtin14, product id)`` of
        ``barcodes``; a GTIN given moves to the product now carrying it."""
        ...

    async def set_stock(self, product_id: int, stock: int) -> None: ...


class OmsSignatures(Protocol):
    """The OMS request signatures already seen (replays are refused)."""

    async def forget_before(self, moment: datetime) -> None: ...

    async def seen(self, signature: str) -> bool: ...

    async def add(self, signature: str, at: datetime) -> bool:
        """Remember it; False when another request holds it already (a race)."""
        ...


class InboundUnitOfWork(Protocol):
    """One transaction: leaving the block without ``commit()`` undoes everything."""

    @property
    def orders(self) -> OmsOrders: ...

    @property
    def oms_stores(self) -> OmsStores: ...

    @property
    def oms_catalog(self) -> OmsCatalog: ...

    @property
    def signatures(self) -> OmsSignatures: ...

    async def __aenter__(self) -> InboundUnitOfWork: ...

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None: ...

    async def commit(self) -> None: ...
