"""Pickup check-in services: the customer's steps on their link, and who is waiting.

The customer's link is the capability (``app.services.substitutions``): only its
holder can check in, each step once (``picking.arrival``), by POST only. The
pickup code is kept sealed: an HMAC-SHA256 keystream under the app's secret key
and a random nonce (XOR over the six digits), so neither the database nor a
link preview reveals it; the customer's page unseals it on a POST after check-in.

Storage only through the ports of ``app.services.ports_floor`` (``Pickups``,
``CustomerLinks``); a screen reads through ``app.floor_queries``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from app.i18n import gettext as _
from app.services.ports_floor import CheckInStorage, FloorReader, FloorUnitOfWork, Pickups
from app.services.records_floor import CheckedIn
from app.services.records_floor import PickupSettings as PickupSettings  # its home now
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


async def save_typed_settings(uow: FloorUnitOfWork, store_id: int, typed: dict[str, str]
                              ) -> PickupSettings:
    """Check and save the store's pickup settings. Raises InvalidPickupSetting (nothing
    saved)."""
    settings = parse_settings(typed)
    async with uow:
        await uow.pickups.save_settings(store_id, settings)
        await uow.commit()
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


async def open_check_in(uow: CheckInStorage, order: Order, code: str | None, now: datetime,
                        link: CheckInLink | None) -> str | None:
    """At packing of a collect order: a fresh customer link (its URL returned, for
    ``OrderPacked``) and the arrival row with the sealed code. Inside the caller's
    unit of work; nothing without a ``link``'s secret but the empty arrival row."""
    if order.fulfilment != "collect" or order.id is None:
        return None
    sealed = seal_code(link.secret, order.id, code) if link and code else None
    await uow.pickups.opened(order.id, sealed)
    if link is None:
        return None
    token, url = new_link(link.base_url)
    await uow.links.add(link_hash(token), order.id, now)
    return url


# -- the customer's steps ---------------------------------------------------------------

async def arrival_of(pickups: Pickups, order_id: int) -> Arrival | None:
    """The order's arrival record; None when it was never packed for collection."""
    return await pickups.arrival(order_id)


async def check_in(uow: FloorUnitOfWork, token: str, step: str, now: datetime,
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
        arrival = await uow.pickups.arrival(order_id) or Arrival()
        if step == ON_THE_WAY:
            order.customer_on_the_way(arrival, now=now)
        else:
            settings = await uow.pickups.settings(order.store_id)
            order.customer_arrived(arrival, now=now, bay=bay, bays=settings.bays)
        await uow.pickups.save_arrival(order_id, arrival)
        await uow.commit()
        return order, arrival


async def pickup_code(reader: FloorReader, token: str, secret: str) -> str | None:
    """The pickup code for the link's holder after they checked in; None before
    check-in or when the code was not sealed at packing. Raises LinkNotFound."""
    order_id = await order_id_for_link(reader.links, token)
    found = await reader.pickups.sealed_code(order_id)
    if found is None:
        return None
    came, sealed = found
    if sealed is None or (came.on_the_way_at is None and came.arrived_at is None):
        return None
    return unseal_code(secret, order_id, sealed)


# -- who is waiting ------------------------------------------------------------------

@dataclass(frozen=True)
class Waiting(CheckedIn):
    """A checked-in customer as the counter sees them: how long they have waited."""

    minutes: int  # waiting since "I'm here"; 0 for customers on the way
    over_limit: bool


async def waiting_customers(reader: FloorReader, store_id: int, now: datetime,
                            limit_minutes: int) -> list[Waiting]:
    """Customers here (longest wait first), then customers on the way (first said
    first), for packed collect orders of the store."""
    out = []
    for r in await reader.pickups.checked_in(store_id):
        minutes = (max(int((now - r.arrived_at).total_seconds() // 60), 0)
                   if r.arrived_at is not None else 0)
        out.append(Waiting(r.order_id, r.oms_id, r.customer_name, r.bay, r.on_the_way_at,
                           r.arrived_at, minutes,
                           r.arrived_at is not None and minutes >= limit_minutes))
    here = sorted((w for w in out if w.arrived_at is not None),
                  key=lambda w: w.arrived_at or now)
    coming = sorted((w for w in out if w.arrived_at is None),
                    key=lambda w: w.on_the_way_at or now)
    return here + coming
