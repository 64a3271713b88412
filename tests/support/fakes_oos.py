"""In-memory repositories of the out-of-stock loop, substitutions and their shelf
photos (the ports ``OosCatalog``, ``StockMarks``, ``LikelyOutMarks``,
``CustomerLinks``, ``Substitutes``, ``ProposalPhotos`` of ``app.services.ports``).

``tests.support.fakes.FakeUnitOfWork`` builds them when it opens (``enter``) and
keeps what they wrote only when it commits (``commit``), as the SQL unit of work
does. Their own data is in ``OosStorage`` (``Storage.oos``); orders, products and
the set of products likely out are the shared ``Storage``'s."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from app.services.records_oos import LikelyOut
from picking.model import Line, Order, Product
from picking.substitution import Proposal

if TYPE_CHECKING:
    from tests.support.fakes import FakeCatalog, FakeUnitOfWork


@dataclass
class OosStorage:
    marks: dict[tuple[int, int], LikelyOut] = field(default_factory=dict)  # (store, product)
    links: dict[str, int] = field(default_factory=dict)  # token hash -> order id
    photos: dict[tuple[int, str], str] = field(default_factory=dict)  # (order id, ref) -> path
    photo_sizes: dict[str, int] = field(default_factory=dict)  # path -> bytes


def enter(uow: FakeUnitOfWork) -> None:
    """Give an opening unit of work the loop's repositories, on a copy of their data."""
    uow.oos = copy.deepcopy(uow.storage.oos)
    uow.catalog = FakeOosCatalog(uow, uow.catalog)  # type: ignore[assignment]
    uow.stock = FakeStockMarks(uow)  # type: ignore[assignment]
    uow.likely_out_marks = FakeLikelyOutMarks(uow)
    uow.links = FakeLinks(uow)
    uow.substitutes = FakeSubstitutes(uow)
    uow.proposal_photos = FakeProposalPhotos(uow)


def commit(uow: FakeUnitOfWork) -> None:
    uow.storage.oos = uow.oos


def _orders(uow: FakeUnitOfWork) -> list[Order]:
    return [uow.working[k] for k in sorted(uow.working)]


class FakeOosCatalog:
    def __init__(self, uow: FakeUnitOfWork, base: FakeCatalog) -> None:
        self.uow, self.base = uow, base

    async def by_gtin(self, store_id: int, gtin14: str) -> Product | None:
        return await self.base.by_gtin(store_id, gtin14)

    async def by_plu(self, store_id: int, plu: str) -> Product | None:
        return await self.base.by_plu(store_id, plu)

    async def by_sku(self, store_id: int, sku: str) -> Product | None:
        return next((p for p in self.uow.storage.products.values()
                     if p.store_id == store_id and p.sku == sku), None)

    async def marking_code_used(self, code: str) -> bool:
        return any(s.marking_code == code and s.undone_at is None
                   for o in _orders(self.uow) for ln in o.lines for s in ln.scans)


class FakeStockMarks:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def clear_likely_out(self, store_id: int, product_id: int) -> None:
        self.uow.likely_out.discard((store_id, product_id))
        self.uow.oos.marks.pop((store_id, product_id), None)

    async def mark_likely_out(self, store_id: int, product_id: int, *, reason: str,
                              order_id: int | None, staff_id: int | None, at: datetime,
                              until: datetime) -> bool:
        current = self.uow.oos.marks.get((store_id, product_id))
        self.uow.oos.marks[(store_id, product_id)] = LikelyOut(product_id, reason, at, until)
        self.uow.likely_out.add((store_id, product_id))
        return current is None or current.until <= at


class FakeLikelyOutMarks:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def now(self, store_id: int, now: datetime) -> dict[int, LikelyOut]:
        return {product_id: mark for (store, product_id), mark in self.uow.oos.marks.items()
                if store == store_id and mark.until > now}

    async def orders_to_offer(self, store_id: int, product_id: int, *, besides: int,
                              statuses: Sequence[str], limit: int) -> list[int]:
        return [o.id for o in _orders(self.uow)
                if o.id is not None and o.store_id == store_id and str(o.status) in statuses
                and o.id != besides
                and any(ln.product.id == product_id and ln.state == "open"
                        and ln.substitution == "best_match" for ln in o.lines)][:limit]


class FakeLinks:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def add(self, token_hash: str, order_id: int | None, at: datetime) -> None:
        assert order_id is not None and token_hash not in self.uow.oos.links
        self.uow.oos.links[token_hash] = order_id

    async def find(self, token_hash: str) -> tuple[str, int] | None:
        order_id = self.uow.oos.links.get(token_hash)
        return None if order_id is None else (token_hash, order_id)


class FakeSubstitutes:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def candidates(self, line: Line, group: str) -> list[Product]:
        def wanted(p: Product) -> bool:
            return (p.category in (line.product.category, group)
                    or p.category.startswith(f"{group}/")
                    or (line.specific_sku is not None and p.sku == line.specific_sku))

        unique = {id(p): p for p in self.uow.storage.products.values()}.values()
        found = [p for p in unique if p.store_id == line.product.store_id and wanted(p)
                 and p.stock > 0 and p.unit == line.product.unit]
        return sorted(found, key=lambda p: p.sequence)[:400]

    async def accepted_before(self, original: Product,
                              customer_ref: str | None = None) -> dict[str, int]:
        votes: dict[str, int] = {}
        for order in _orders(self.uow):
            if customer_ref is not None and order.customer_ref != customer_ref:
                continue
            for line in order.lines:
                if line.product.id != original.id:
                    continue
                for p in line.proposals:
                    if p.decided_by == "customer" and p.status in ("approved", "rejected"):
                        votes[p.product.sku] = (votes.get(p.product.sku, 0)
                                                + (1 if p.status == "approved" else -1))
        return votes

    async def orders_with_due_proposals(self, now: datetime) -> list[int]:
        return [o.id for o in _orders(self.uow) if o.id is not None and any(
            p.status == "proposed" and p.expires_at is not None and p.expires_at <= now
            for p in o.proposals())]


class FakeProposalPhotos:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def replace(self, proposal: Proposal, *, path: str, size: int, at: datetime,
                      staff_id: int | None) -> str | None:
        key = (proposal.order_id, proposal.ref)
        old = self.uow.oos.photos.get(key)
        self.uow.oos.photos[key] = path
        self.uow.oos.photo_sizes[path] = size
        return old

    async def path_for(self, order_id: int, ref: str) -> str | None:
        return self.uow.oos.photos.get((order_id, ref))
