"""What services need to know about a store: its code layout and tolerances.

Read through a ``StoreRows`` port (``app.services.ports_floor``; SQL:
``app.db.repo_floor.StoreRepository``) and cached here for a short while.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from picking.codes import ScaleLayout
from picking.freshness import default_for
from picking.model import Product, Tolerance

if TYPE_CHECKING:
    from app.services.ports_floor import StoreRows


@dataclass(frozen=True)
class StoreInfo:
    id: int
    code: str
    name: str
    timezone: str
    locale: str
    currency: str
    layout: ScaleLayout
    soft_tolerance_pct: int = 10
    hard_tolerance_pct: int = 30
    time_limits: dict[str, Any] = field(default_factory=dict)
    freshness: dict[str, int] = field(default_factory=dict)  # category -> min days left

    def min_days_for(self, product: Product) -> int | None:
        """The store's freshness default for the product's category, if any."""
        return default_for(product, self.freshness)

    def tolerance_for(self, product: Product) -> Tolerance:
        soft = product.tolerance_pct or self.soft_tolerance_pct
        return Tolerance(soft_pct=soft, hard_pct=max(self.hard_tolerance_pct, soft))


_cache: dict[tuple[str, int], tuple[float, StoreInfo]] = {}
CACHE_SECONDS = 30.0


async def load_store(rows: StoreRows, store_id: int) -> StoreInfo:
    """The store's settings, cached for a short while: they change rarely and
    every scan needs them."""
    # By the database's address, not the engine object's id: ids are reused once an
    # engine is gone, and two databases must never share a store's settings.
    key = (rows.address, store_id)
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    info = await rows.read(store_id)
    _cache[key] = (now, info)
    return info


def forget_store(store_id: int) -> None:
    """Drop this process's cached settings of ``store_id`` (see ``store_changed``)."""
    for key in [k for k in _cache if k[1] == store_id]:
        del _cache[key]


def forget_all_stores() -> None:
    """Drop every cached store setting in this process: after a gap in hearing other
    processes' announcements (``app.live_pg``), any of them may have changed."""
    _cache.clear()


# Whoever tells the other processes (app.live_pg on PostgreSQL); none on SQLite, where
# there is one process.
_announcers: list[Callable[[int], Awaitable[None]]] = []


def on_store_changed(announce: Callable[[int], Awaitable[None]]) -> Callable[[], None]:
    """Register ``announce(store_id)``, awaited on every settings change; returns the
    function that unregisters it."""
    _announcers.append(announce)
    return lambda: _announcers.remove(announce) if announce in _announcers else None


async def store_changed(store_id: int) -> None:
    """A store's settings changed (committed): forget them here and, before returning,
    have every other app process told to forget them too."""
    forget_store(store_id)
    for announce in list(_announcers):
        await announce(store_id)

