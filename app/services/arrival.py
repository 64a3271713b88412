"""Pickup check-in services: the customer's steps on their link, and who is waiting.

The customer's link is the capability (``app.services.substitutions``): only its
holder can check in, each step once (``picking.arrival``), by POST only. The
pickup code is kept sealed: an HMAC-SHA256 keystream under the app's secret key
and a random nonce (XOR over the six digits), so neither the database nor a
link preview reveals it; the customer's page unseals it on a POST after check-in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables
from app.db.engine import Database
from app.db.repo_oos import CustomerLinkRepository
from app.db.tables_arrive import pickup_arrivals, store_pickup
from app.db.tables_substitutions import customer_links
from app.db.uow import UnitOfWork
from app.i18n import gettext as _
from app.services.substitutions import (
    CLOSED_STATUSES,
    LinkExpired,
    LinkNotFound,
    link_hash,
    new_link,
    order_id_for_link,
)
from picking.arrival import ARRIVED, ON_THE_WAY, Arrival, parse_bays
from picking.model import Order

DEFAULT_WAIT_LIMIT_MINUTES = 10
DEFAULT_PACE_TARGET_PER_HOUR = 60


@dataclass(frozen=True)
class PickupSettings:
    place: str = ""
    hours: str = ""
    bays: tuple[str, ...] = ()
    wait_limit_minutes: int = DEFAULT_WAIT_LIMIT_MINUTES
    pace_target_per_hour: int = DEFAULT_PACE_TARGET_PER_HOUR


async def pickup_settings(session: AsyncSession, store_id: int) -> PickupSettings:
    """The store's pickup place, hours, bays, wait limit and pace target (defaults
    for a store that never set them)."""
    row = (await session.execute(select(store_pickup).where(
        store_pickup.c.store_id == store_id))).first()
    if row is None:
        return PickupSettings()
    return PickupSettings(row.place, row.hours, parse_bays(row.bays), row.wait_limit_minutes,
                          row.pace_target_per_hour)


async def save_pickup_settings(session: AsyncSession, store_id: int,
                               settings: PickupSettings) -> None:
    values = {"place": settings.place, "hours": settings.hours,
              "bays": ",".join(settings.bays), "wait_limit_minutes": settings.wait_limit_minutes,
              "pace_target_per_hour": settings.pace_target_per_hour}
    done = await session.execute(update(store_pickup).where(
        store_pickup.c.store_id == store_id).values(**values))
    if not done.rowcount:  # type: ignore[attr-defined]
        await session.execute(insert(store_pickup).values(store_id=store_id, **values))


SETTINGS_FIELDS = ("place", "hours", "bays", "wait_limit_minutes", "pace_target_per_hour")
MAX_WAIT_LIMIT_MINUTES = 240
MAX_PACE_TARGET = 2000


class InvalidPickupSetting(ValueError):
    """A typed pickup setting out of range; ``field`` names it."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field

    def sentence(self) -> str:
        if self.field == "wait_limit_minutes":
            return _("Waiting limit: type whole minutes from 1 to %(max)s.",
                     max=MAX_WAIT_LIMIT_MINUTES)
        if self.field == "pace_target_per_hour":
            return _("Pace target: type whole items per hour from 1 to %(max)s.",
                     max=MAX_PACE_TARGET)
        return _("Keep each text under 200 characters.")


def settings_form(settings: PickupSettings) -> dict[str, str]:
    return {"place": settings.place, "hours": settings.hours, "bays": ", ".join(settings.bays),
            "wait_limit_minutes": str(settings.wait_limit_minutes),
            "pace_target_per_hour": str(settings.pace_target_per_hour)}


def parse_settings(typed: dict[str, str]) -> PickupSettings:
    """The settings a supervisor typed. Raises InvalidPickupSetting."""
    texts = {name: typed.get(name, "").strip() for name in ("place", "hours", "bays")}
    for name, text in texts.items():
        if len(text) > 200:
            raise InvalidPickupSetting(name)
    numbers = {}
    for name, top in (("wait_limit_minutes", MAX_WAIT_LIMIT_MINUTES),
                      ("pace_target_per_hour", MAX_PACE_TARGET)):
        value = typed.get(name, "").strip()
        if not value.isdigit() or not 1 <= int(value) <= top:
            raise InvalidPickupSetting(name)
        numbers[name] = int(value)
    return PickupSettings(texts["place"], texts["hours"], parse_bays(texts["bays"]),
                          numbers["wait_limit_minutes"], numbers["pace_target_per_hour"])


async def save_typed_settings(db: Database, store_id: int, typed: dict[str, str]
                              ) -> PickupSettings:
    """Check and save the store's pickup settings. Raises InvalidPickupSetting."""
    settings = parse_settings(typed)
    async with db.writing() as session:
        await save_pickup_settings(session, store_id, settings)
        await session.commit()
    return settings


# -- the sealed pickup code ---------------------------------------------------------

def _keystream(secret: str, order_id: int, nonce: bytes) -> bytes:
    return hmac.new(secret.encode(), b"pickup-code:%d:" % order_id + nonce,
                    hashlib.sha256).digest()


def seal_code(secret: str, order_id: int, code: str) -> str:
    nonce = secrets.token_bytes(12)
    data = code.encode()
    sealed = bytes(a ^ b for a, b in zip(data, _keystream(secret, order_id, nonce), strict=False))
    return f"{nonce.hex()}:{sealed.hex()}"


def unseal_code(secret: str, order_id: int, sealed: str) -> str:
    nonce_hex, _sep, body_hex = sealed.partition(":")
    body = bytes.fromhex(body_hex)
    stream = _keystream(secret, order_id, bytes.fromhex(nonce_hex))
    return bytes(a ^ b for a, b in zip(body, stream, strict=False)).decode(errors="replace")


# -- packing: the link and the sealed code -----------------------------------------------

@dataclass(frozen=True)
class CheckInLink:
    """What packing needs to give a collect order its check-in link."""

    base_url: str
    secret: str


async def open_check_in(uow: UnitOfWork, order: Order, code: str | None, now: datetime,
                        link: CheckInLink | None) -> str | None:
    """At packing of a collect order: a fresh customer link (its URL returned, for
    ``OrderPacked``) and the arrival row with the sealed code. Inside the caller's
    unit of work; nothing without a ``link``'s secret but the empty arrival row."""
    if order.fulfilment != "collect" or order.id is None:
        return None
    sealed = seal_code(link.secret, order.id, code) if link and code else None
    await uow.session.execute(insert(pickup_arrivals).values(order_id=order.id,
                                                             code_sealed=sealed))
    if link is None:
        return None
    token, url = new_link(link.base_url)
    await uow.session.execute(insert(customer_links).values(
        token_hash=link_hash(token), order_id=order.id, created_at=now))
    return url


# -- the customer's steps ---------------------------------------------------------------

async def arrival_of(session: AsyncSession, order_id: int) -> Arrival | None:
    """The order's arrival record; None when it was never packed for collection."""
    row = (await session.execute(select(
        pickup_arrivals.c.on_the_way_at, pickup_arrivals.c.arrived_at, pickup_arrivals.c.bay)
        .where(pickup_arrivals.c.order_id == order_id))).first()
    return None if row is None else Arrival(row.on_the_way_at, row.arrived_at, row.bay)


async def check_in(uow: UnitOfWork, token: str, step: str, now: datetime,
                   bay: str = "") -> tuple[Order, Arrival]:
    """The customer's "on my way" (``step`` = on_the_way) or "I'm here" (arrived).

    Raises LinkNotFound (also for an unknown step), LinkExpired, CheckInNotOpen,
    AlreadyCheckedIn, UnknownBay; nothing is written when one is raised.
    """
    if step not in (ON_THE_WAY, ARRIVED):
        raise LinkNotFound()
    async with uow:
        order_id = await order_id_for_link(uow.links, token)
        order = await uow.orders.get(order_id, scans=False)
        if order is None:
            raise LinkNotFound()
        if str(order.status) in CLOSED_STATUSES:
            raise LinkExpired()
        arrival = await arrival_of(uow.session, order_id) or Arrival()
        if step == ON_THE_WAY:
            order.customer_on_the_way(arrival, now=now)
        else:
            settings = await pickup_settings(uow.session, order.store_id)
            order.customer_arrived(arrival, now=now, bay=bay, bays=settings.bays)
        await _save(uow.session, order_id, arrival)
        await uow.commit()
        return order, arrival


async def _save(session: AsyncSession, order_id: int, arrival: Arrival) -> None:
    values = {"on_the_way_at": arrival.on_the_way_at, "arrived_at": arrival.arrived_at,
              "bay": arrival.bay}
    done = await session.execute(update(pickup_arrivals).where(
        pickup_arrivals.c.order_id == order_id).values(**values))
    if not done.rowcount:  # type: ignore[attr-defined]
        await session.execute(insert(pickup_arrivals).values(order_id=order_id, **values))


async def pickup_code(session: AsyncSession, token: str, secret: str) -> str | None:
    """The pickup code for the link's holder after they checked in; None before
    check-in or when the code was not sealed at packing. Raises LinkNotFound."""
    order_id = await order_id_for_link(CustomerLinkRepository(session), token)
    row = (await session.execute(select(pickup_arrivals).where(
        pickup_arrivals.c.order_id == order_id))).first()
    if row is None or row.code_sealed is None or (
            row.on_the_way_at is None and row.arrived_at is None):
        return None
    return unseal_code(secret, order_id, row.code_sealed)


# -- who is waiting ------------------------------------------------------------------

@dataclass(frozen=True)
class Waiting:
    order_id: int
    oms_id: str
    customer_name: str
    bay: str | None
    on_the_way_at: datetime | None
    arrived_at: datetime | None
    minutes: int  # waiting since "I'm here"; 0 for customers on the way
    over_limit: bool


async def waiting_customers(session: AsyncSession, store_id: int, now: datetime,
                            limit_minutes: int) -> list[Waiting]:
    """Customers here (longest wait first), then customers on the way (first said
    first), for packed collect orders of the store."""
    o, a = tables.orders.c, pickup_arrivals.c
    rows = await session.execute(
        select(o.id, o.oms_id, o.customer_name, a.bay, a.on_the_way_at, a.arrived_at)
        .join(pickup_arrivals, a.order_id == o.id)
        .where(o.store_id == store_id, o.status == "packed", o.fulfilment == "collect",
               (a.arrived_at.is_not(None)) | (a.on_the_way_at.is_not(None))))
    out = []
    for r in rows:
        minutes = (max(int((now - r.arrived_at).total_seconds() // 60), 0)
                   if r.arrived_at is not None else 0)
        out.append(Waiting(r.id, r.oms_id, r.customer_name, r.bay, r.on_the_way_at,
                           r.arrived_at, minutes,
                           r.arrived_at is not None and minutes >= limit_minutes))
    here = sorted((w for w in out if w.arrived_at is not None),
                  key=lambda w: w.arrived_at or now)
    coming = sorted((w for w in out if w.arrived_at is None),
                    key=lambda w: w.on_the_way_at or now)
    return here + coming
