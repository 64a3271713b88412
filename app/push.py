"""Web Push for staff: VAPID keys, subscriptions, and who hears of what.

The keys are made on first run and kept in the data folder (``vapid/private.pem``).
A subscription belongs to one staff member's device and their store. After a commit,
the unit of work's messages (ids and event types) are handed to ``Notifier.notice``,
which only queues them: a background task decides who should hear of each, renders
the text in that person's language and sends it with a short timeout (``pywebpush``:
VAPID-signed, aes128gcm-encrypted, RFC 8291). A push service that answers 404 or 410
has forgotten the subscription: it is deleted. A hanging one times out; nothing waits
on it but the background task.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import i18n
from app.db import tables
from app.db.engine import Database
from app.db.tables_arrive import push_subscriptions
from app.db.tables_substitutions import substitution_proposals
from app.i18n import gettext as _
from app.i18n import ngettext
from app.tasks import stop as stop_tasks

log = logging.getLogger("storepick.push")
COUNTER_ROLES = ("clerk", "packer")
SUPERVISOR_ROLES = ("supervisor", "admin")
WATCH_SECONDS = 60.0
QUEUE_SIZE = 1000
RETRY_SECONDS = (5.0, 30.0)


def not_taken(status: int | None) -> bool:
    """The push service did not take the push but may later: no answer in time, too
    many requests, or its own error."""
    return status is None or status == 429 or status >= 500


PUSH_EVENTS = frozenset({"PickerAssigned", "SubstitutionDecided", "OrderCancelled",
                         "CustomerArrived"})


def load_vapid(data_dir: Path) -> Vapid02:
    """The app's VAPID key pair, made on first run and kept in ``data_dir/vapid``."""
    path = data_dir / "vapid" / "private.pem"
    if path.exists():
        return Vapid02.from_file(str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    vapid = Vapid02()
    vapid.generate_keys()
    draft = path.with_suffix(f".{os.getpid()}.tmp")
    vapid.save_key(str(draft))
    draft.chmod(0o600)
    draft.replace(path)  # whole or not at all, should two processes start at once
    return vapid


def public_key(vapid: Vapid02) -> str:
    """The application server key a browser subscribes with (base64url, no padding)."""
    raw = vapid.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# -- subscriptions --------------------------------------------------------------------

class BadSubscription(ValueError):
    """The browser's subscription is not one we can send to (``reason`` says why)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ForeignSubscription(PermissionError):
    """The subscription claims, or already belongs to, staff of another store."""


@dataclass(frozen=True)
class Subscription:
    endpoint: str
    p256dh: str
    auth: str


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_subscription(body: Any, *, allow_http: bool) -> Subscription:
    """A browser's ``PushSubscription.toJSON()``. Raises BadSubscription."""
    if not isinstance(body, dict) or not isinstance(body.get("keys"), dict):
        raise BadSubscription("shape")
    endpoint, keys = body.get("endpoint"), body["keys"]
    if not isinstance(endpoint, str) or len(endpoint) > 1000:
        raise BadSubscription("endpoint")
    parts = urlsplit(endpoint)
    if parts.scheme not in (("https", "http") if allow_http else ("https",)) or not (
            parts.hostname):
        raise BadSubscription("endpoint")
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    try:
        point, secret = _b64(str(p256dh)), _b64(str(auth))
    except ValueError as exc:
        raise BadSubscription("keys") from exc
    if len(point) != 65 or point[0] != 4 or len(secret) != 16:
        raise BadSubscription("keys")
    return Subscription(str(endpoint), str(p256dh), str(auth))


async def subscribe(session: AsyncSession, staff_id: int, store_id: int, body: Any,
                    now: datetime, *, allow_http: bool) -> Subscription:
    """Keep the device's subscription for this staff member (a shared phone passes to
    whoever signs in next, within the store). Raises BadSubscription, and
    ForeignSubscription when the body names other staff or the endpoint is another
    store's."""
    if isinstance(body, dict) and any(
            key in body and body[key] not in (None, value)
            for key, value in (("staff_id", staff_id), ("store_id", store_id))):
        raise ForeignSubscription()
    sub = parse_subscription(body, allow_http=allow_http)
    c = push_subscriptions.c
    owner = (await session.execute(select(c.id, c.store_id).where(
        c.endpoint == sub.endpoint))).first()
    if owner is not None and owner.store_id != store_id:
        raise ForeignSubscription()
    if owner is not None:
        await session.execute(push_subscriptions.update().where(c.id == owner.id).values(
            staff_id=staff_id, p256dh=sub.p256dh, auth=sub.auth, created_at=now))
    else:
        await session.execute(push_subscriptions.insert().values(
            staff_id=staff_id, store_id=store_id, endpoint=sub.endpoint, p256dh=sub.p256dh,
            auth=sub.auth, created_at=now))
    return sub


async def unsubscribe(session: AsyncSession, staff_id: int, endpoint: str) -> None:
    c = push_subscriptions.c
    await session.execute(delete(push_subscriptions).where(
        c.staff_id == staff_id, c.endpoint == endpoint))


# -- who hears of what ------------------------------------------------------------------

@dataclass(frozen=True)
class Notice:
    staff_ids: tuple[int, ...]
    kind: str  # assigned | answered | cancelled | customer_here
    order_id: int
    oms_id: str
    url: str


async def notices_for(session: AsyncSession, message: dict[str, Any]) -> list[Notice]:
    """The notices one committed event makes (none for most events)."""
    kind = message.get("type")
    if kind not in PUSH_EVENTS:
        return []
    o = tables.orders.c
    order = (await session.execute(select(o.id, o.oms_id, o.store_id, o.picker_id).where(
        o.id == message["order_id"]))).first()
    if order is None:
        return []
    if kind == "CustomerArrived":
        s = tables.staff.c
        counter = tuple(int(i) for i in (await session.scalars(select(s.id).where(
            s.store_id == order.store_id, s.role.in_(COUNTER_ROLES), s.active.is_(True)))))
        return [Notice(counter, "customer_here", order.id, order.oms_id,
                       f"/collect/{order.id}")] if counter else []
    if order.picker_id is None:
        return []
    if kind == "SubstitutionDecided" and not await _customer_decided(session, order.id):
        return []
    what = {"PickerAssigned": "assigned", "SubstitutionDecided": "answered",
            "OrderCancelled": "cancelled"}[str(kind)]
    url = "/pick/" if what == "cancelled" else f"/pick/{order.id}"
    return [Notice((int(order.picker_id),), what, order.id, order.oms_id, url)]


async def _customer_decided(session: AsyncSession, order_id: int) -> bool:
    sp = substitution_proposals.c
    last = await session.scalar(select(sp.decided_by).where(
        sp.order_id == order_id, sp.decided_at.is_not(None))
        .order_by(sp.decided_at.desc(), sp.id.desc()).limit(1))
    return last == "customer"


@dataclass
class Watched:
    """What supervisors were already told about (per process: a restart tells once more)."""

    over_limit: set[tuple[int, str]] = field(default_factory=set)
    dead: dict[int, int] = field(default_factory=dict)  # store -> dead letters seen


async def supervisor_notices(session: AsyncSession, now: datetime, watched: Watched
                             ) -> list[Notice]:
    """Orders newly over their time limit and new dead letters, for each store whose
    supervisors subscribed."""
    from app.board_queries import open_board
    from sync.outbox import DEAD

    s, c = tables.staff.c, push_subscriptions.c
    supervisors: dict[int, list[int]] = {}
    for staff_id, store_id in await session.execute(
            select(s.id, s.store_id).join(push_subscriptions, c.staff_id == s.id)
            .where(s.role.in_(SUPERVISOR_ROLES)).distinct()):
        supervisors.setdefault(int(store_id), []).append(int(staff_id))
    out: list[Notice] = []
    for store_id, people in supervisors.items():
        who = tuple(people)
        board = await open_board(session, store_id, now)
        for row in board.rows:
            key = (row.id, str(row.status))
            if row.over_limit and key not in watched.over_limit:
                watched.over_limit.add(key)
                out.append(Notice(who, "over_limit", row.id, row.oms_id, "/board/"))
        store_code = await session.scalar(select(tables.stores.c.code).where(
            tables.stores.c.id == store_id))
        dead = int(await session.scalar(select(func.count()).select_from(tables.outbox).where(
            tables.outbox.c.store_code == store_code, tables.outbox.c.status == DEAD)) or 0)
        if dead > watched.dead.get(store_id, 0):
            out.append(Notice(who, "dead_letters", 0, str(dead), "/sync/dead-letters/"))
        watched.dead[store_id] = dead
    return out


def words(notice: Notice) -> tuple[str, str]:
    """Title and body in the current language."""
    order = notice.oms_id
    if notice.kind == "dead_letters":
        return (_("Events not delivered"),
                ngettext("%(num)s event could not be sent to the order service: open "
                         "Undelivered events.",
                         "%(num)s events could not be sent to the order service: open "
                         "Undelivered events.", int(notice.oms_id)))
    return {
        "over_limit": (_("Over the time limit"),
                       _("Order %(order)s is over its time limit.", order=order)),
        "assigned": (_("New order for you"), _("Order %(order)s was assigned to you.",
                                                 order=order)),
        "answered": (_("The customer answered"),
                     _("Order %(order)s: the customer answered about a substitute.",
                       order=order)),
        "cancelled": (_("Order cancelled"), _("Order %(order)s was cancelled: stop picking it "
                                               "and put the items back.", order=order)),
        "customer_here": (_("A customer is here"),
                          _("The customer of order %(order)s is at the pickup point.",
                            order=order)),
    }[notice.kind]


# -- sending ------------------------------------------------------------------------------

class Notifier:
    """Queues committed messages and sends the pushes they make, in the background."""

    def __init__(self, db: Database, vapid: Vapid02, *, subject: str, timeout: float) -> None:
        self.db, self.vapid, self.subject, self.timeout = db, vapid, subject, timeout
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self.sent = 0
        self.watched = Watched()
        # A push the service did not take (no answer in time, 429, 5xx) is sent again after
        # these pauses, in a task of its own: a counter's phone still hears of a customer
        # after a push service's bad minute, and nothing else waits for it.
        self.retry_seconds: tuple[float, ...] = RETRY_SECONDS
        self._retries: set[asyncio.Task[None]] = set()

    async def watch_once(self, now: datetime) -> int:
        """Tell supervisors what went over its limit or dead since the last look;
        returns how many notices that made."""
        async with self.db.reading() as session:
            notices = await supervisor_notices(session, now, self.watched)
        for notice in notices:
            await self.send(notice)
        return len(notices)

    async def watch(self, clock: Any) -> None:
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            try:
                await self.watch_once(clock())
            except Exception:  # the next look tries again
                log.exception("supervisor push watch failed")

    async def notice(self, messages: list[dict[str, Any]]) -> None:
        """Hand over a commit's messages; returns at once (a full queue drops them)."""
        for message in messages:
            if message.get("type") in PUSH_EVENTS:
                with contextlib.suppress(asyncio.QueueFull):
                    self.queue.put_nowait(message)

    async def run(self) -> None:
        while True:
            message = await self.queue.get()
            try:
                await self.deliver(message)
            except Exception:  # the next message is tried; never kill the loop
                log.exception("push for %s failed", message)

    async def deliver(self, message: dict[str, Any]) -> None:
        async with self.db.reading() as session:
            notices = await notices_for(session, message)
        for notice in notices:
            await self.send(notice)

    async def send(self, notice: Notice) -> None:
        c, s = push_subscriptions.c, tables.staff.c
        async with self.db.reading() as session:
            rows = (await session.execute(
                select(c.id, c.endpoint, c.p256dh, c.auth, s.language)
                .join(tables.staff, s.id == c.staff_id)
                .where(c.staff_id.in_(notice.staff_ids)))).all()
        gone = []
        for row in rows:
            i18n.set_language(row.language)
            title, body = words(notice)
            payload = json.dumps({"title": title, "body": body, "url": notice.url,
                                  "tag": f"{notice.kind}-{notice.order_id}"})
            status = await asyncio.to_thread(self._post, row, payload)
            if status in (404, 410):
                gone.append(row.id)
            elif not_taken(status) and self.retry_seconds:
                task = asyncio.create_task(self._again(row, payload), name="web-push-retry")
                self._retries.add(task)
                task.add_done_callback(self._retries.discard)
        await self._forget(gone)

    async def _again(self, row: Any, payload: str) -> None:
        """Send ``payload`` to ``row`` again after each pause, until the service takes it
        or says the subscription is gone (then it is deleted)."""
        for pause in self.retry_seconds:
            await asyncio.sleep(pause)
            status = await asyncio.to_thread(self._post, row, payload)
            if status in (404, 410):
                await self._forget([row.id])
                return
            if not not_taken(status):
                return
        log.info("push to %s not taken after %d tries; dropped",
                 urlsplit(row.endpoint).hostname, len(self.retry_seconds) + 1)

    async def stop_retries(self) -> None:
        await stop_tasks(list(self._retries), grace=2)

    async def _forget(self, gone: list[int]) -> None:
        if gone:
            c = push_subscriptions.c
            async with self.db.writing() as session:
                await session.execute(delete(push_subscriptions).where(c.id.in_(gone)))
                await session.commit()

    def _post(self, row: Any, payload: str) -> int | None:
        """Send one push; the push service's status (None: no answer in time)."""
        info = {"endpoint": row.endpoint, "keys": {"p256dh": row.p256dh, "auth": row.auth}}
        try:
            response = webpush(info, payload, vapid_private_key=self.vapid,
                               vapid_claims={"sub": self.subject}, timeout=self.timeout,
                               ttl=600)
        except WebPushException as exc:
            code = exc.response.status_code if exc.response is not None else None
            log.info("push to %s refused: %s", urlsplit(row.endpoint).hostname, code)
            return int(code) if code is not None else None
        except Exception as exc:  # timeouts, refused connections: the next push tries again
            log.info("push to %s failed: %s", urlsplit(row.endpoint).hostname,
                     type(exc).__name__)
            return None
        self.sent += 1
        return int(response.status_code)


@contextlib.asynccontextmanager
async def notifying(db: Database, data_dir: Path, *, subject: str, send_seconds: float,
                    clock: Any) -> AsyncIterator[Notifier]:
    """The notifier, its sending task and the supervisors' watch for the block."""
    notifier = Notifier(db, load_vapid(data_dir), subject=subject, timeout=send_seconds)
    tasks = [asyncio.create_task(notifier.run(), name="web-push"),
             asyncio.create_task(notifier.watch(clock), name="web-push-watch")]
    try:
        yield notifier
    finally:
        await stop_tasks(tasks, grace=5)
        await notifier.stop_retries()
