"""Live updates across processes on PostgreSQL: one listening connection per process.

Every app process keeps exactly two long-lived connections for live updates,
whatever the number of open streams or the rate of changes:

* a **listener** that LISTENs on one PostgreSQL channel (``storepick_live``).
  Every message carries the app channels it is for (``store:7``, ``order:42``);
  the process hands it to its local subscribers of those channels and drops the
  rest. Opening or closing a stream therefore never touches the database.
* a **publisher** that sends whatever was queued since its last round in one
  statement (``SELECT pg_notify(...) FROM unnest(...)``): a burst of commits
  costs one round trip, never a connection per message.

A message over NOTIFY's 8,000-byte limit is written to ``live_payloads`` and
only its id is notified; listeners read the body back by id. Both connections
reconnect with a growing, jittered backoff when they drop; messages queued
meanwhile are sent once the publisher is back (live updates are nudges: what
was notified while a listener was away is not replayed, the next change or a
reload catches the page up).

The same path carries **control** messages between processes: a change of a
store's settings (``app.services.stores.store_changed``) clears that store's
cached settings in every process, the sender's included, before the change is
answered. A control message is not replayed either, so a listener that comes back
after a gap forgets every cached session and store setting instead: it cannot know
which ones changed while it was away.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import random
from collections.abc import AsyncGenerator, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from litestar.channels import ChannelsBackend

from app import tasks
from app.services import stores

log = logging.getLogger("storepick.live")

PG_CHANNEL = "storepick_live"
NOTIFY_LIMIT = 7_900  # bytes; PostgreSQL refuses payloads of 8,000 and more
KEEP_PAYLOADS = timedelta(minutes=5)  # big bodies are swept after this
MAX_QUEUED = 20_000  # messages waiting for a publisher that is down; the oldest go first
PING_SECONDS = 10.0  # the listener checks its connection this often
ANNOUNCE_SECONDS = 5.0  # the longest a settings change waits for the other processes


class Backoff:
    """Waits of 0.2 s, 0.4 s ... up to ``cap`` seconds, each with up to 50 % jitter."""

    def __init__(self, base: float = 0.2, cap: float = 10.0) -> None:
        self.base, self.cap, self.failures = base, cap, 0

    def next(self) -> float:
        wait = min(self.cap, self.base * 2.0 ** self.failures)
        self.failures += 1
        return float(wait * (1 + random.random() / 2))  # jitter, not a secret

    def reset(self) -> None:
        self.failures = 0


class PgChannelsBackend(ChannelsBackend):
    """A Litestar channels backend over one LISTEN connection and one NOTIFY connection."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._subscribed: set[str] = set()
        self._events: asyncio.Queue[tuple[str, bytes]] | None = None
        self._pending: list[tuple[str, asyncio.Future[None] | None]] = []
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._listening = asyncio.Event()
        self._seq = itertools.count(1)
        self._listener: asyncpg.Connection | None = None
        self._publisher: asyncpg.Connection | None = None
        self._unregister: Callable[[], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.connects = {"listener": 0, "publisher": 0}  # for tests and benchmarks
        # Called for every message from any process: wakes the relay (a process's
        # commit may have written events the relay, running elsewhere, must send).
        self.on_message: Callable[[], None] | None = None
        # The app's SessionCache (app.auth): sign-outs and language changes reach every
        # process's cache, not only the one that served them.
        self.session_cache: Any = None

    async def _connect(self, role: str) -> asyncpg.Connection:
        """A connection named for its role (``pg_stat_activity.application_name``)."""
        return await asyncpg.connect(dsn=self._dsn, timeout=10, server_settings={
            "application_name": f"storepick-{role}"})

    # -- the Litestar backend interface -------------------------------------------------

    async def on_startup(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._events = asyncio.Queue()
        self._tasks = [asyncio.create_task(self._listen_forever(), name="live-listen"),
                       asyncio.create_task(self._publish_forever(), name="live-publish")]
        self._unregister = stores.on_store_changed(self.announce_store_changed)
        if self.session_cache is not None:
            self.session_cache.on_forget = self.announce_session_forgotten
        try:  # normally a few ms; the app still starts when the database is slow to come
            async with asyncio.timeout(10):
                await self._listening.wait()
        except TimeoutError:
            log.warning("live updates: no listening connection yet; retrying in the background")

    async def on_shutdown(self) -> None:
        if self._unregister is not None:
            self._unregister()
        with contextlib.suppress(TimeoutError):  # what is queued goes out first
            async with asyncio.timeout(2):
                await self._drained()
        await tasks.stop(self._tasks, grace=2)
        self._tasks = []
        for conn in (self._listener, self._publisher):
            if conn is not None and not conn.is_closed():
                with contextlib.suppress(Exception):
                    await conn.close(timeout=2)
        self._subscribed.clear()
        self._events = None
        for _, done in self._pending:  # nobody waits for what will never be sent
            if done is not None and not done.done():
                done.set_result(None)
        self._pending = []

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        self.enqueue([(data.decode(), list(channels))])

    async def subscribe(self, channels: Iterable[str]) -> None:
        self._subscribed.update(channels)  # the one LISTEN already hears every channel

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        self._subscribed.difference_update(channels)

    async def stream_events(self) -> AsyncGenerator[tuple[str, bytes], None]:
        if self._events is None:
            raise RuntimeError("Backend not yet initialized. Did you forget to call on_startup?")
        while True:
            channel, data = await self._events.get()
            if channel in self._subscribed:  # a stream may have closed since
                yield channel, data

    async def get_history(self, channel: str, limit: int | None = None) -> list[bytes]:
        raise NotImplementedError  # live updates are nudges: no history kept

    # -- publishing ----------------------------------------------------------------------

    def enqueue(self, messages: list[tuple[str, list[str]]]) -> None:
        """Queue ``(data, app channels)`` messages; the publisher sends them in its next round."""
        for data, channels in messages:
            self._add(json.dumps({"s": next(self._seq), "c": channels, "d": data}), None)

    async def announce_store_changed(self, store_id: int) -> None:
        """Tell every process (this one too) to forget ``store_id``'s cached settings;
        returns once PostgreSQL has taken the notification."""
        await self._announce({"store_changed": store_id})

    async def announce_session_forgotten(self, hashed_token: str) -> None:
        """Every process drops its cached copy of this session (by the token's hash);
        returns once PostgreSQL has taken the notification."""
        await self._announce({"session_forgotten": hashed_token})

    async def _announce(self, control: dict[str, Any]) -> None:
        # Only from this backend's own event loop: another app in the same process (tests
        # run several, each in its thread) shares the process's caches already.
        if not self._tasks or self._loop is not asyncio.get_running_loop():
            return
        done: asyncio.Future[None] = self._loop.create_future()
        self._add(json.dumps({"s": next(self._seq), "x": control}), done)
        try:  # the change is saved: with the database away, others catch up within 30 s
            async with asyncio.timeout(ANNOUNCE_SECONDS):
                await asyncio.shield(done)
        except TimeoutError:
            log.warning("live updates: could not tell the other processes of %s", control)

    def _add(self, payload: str, done: asyncio.Future[None] | None) -> None:
        self._pending.append((payload, done))
        if len(self._pending) > MAX_QUEUED:  # the publisher has been down for long
            dropped = [item for item in self._pending[:-MAX_QUEUED] if item[1] is None]
            self._pending = [item for item in self._pending[:-MAX_QUEUED]
                             if item[1] is not None] + self._pending[-MAX_QUEUED:]
            log.warning("live updates: database unreachable, %d old updates dropped",
                        len(dropped))
        self._wake.set()

    async def _drained(self) -> None:
        if self._pending:
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._add(json.dumps({"s": next(self._seq)}), done)  # sent after all before it
            await done

    async def _publish_forever(self) -> None:
        backoff = Backoff()
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    conn = await self._publishing_connection()
                    await self._send(conn, [payload for payload, _ in batch])
                except Exception as exc:  # any failure: reconnect, never stop
                    if self._refused(exc):  # sending it again would fail again, forever
                        log.error("live updates: PostgreSQL refused %d updates (%s); "
                                  "dropped", len(batch), exc)
                        self._release(batch)
                        continue
                    self._pending[:0] = batch  # nothing is lost: sent again, in order
                    await self._drop_publisher()
                    wait = backoff.next()
                    log.warning("live updates: publishing failed (%s); again in %.1f s",
                                exc, wait)
                    await asyncio.sleep(wait)
                    continue
                backoff.reset()
                self._release(batch)

    def _refused(self, exc: Exception) -> bool:
        """The server answered with an error and the connection is fine (a statement
        error, such as a missing table), not a connection that dropped."""
        conn = self._publisher
        return isinstance(exc, asyncpg.PostgresError) and conn is not None \
            and not conn.is_closed()

    @staticmethod
    def _release(batch: list[tuple[str, asyncio.Future[None] | None]]) -> None:
        for _, done in batch:
            if done is not None and not done.done():
                done.set_result(None)

    async def _publishing_connection(self) -> asyncpg.Connection:
        if self._publisher is None or self._publisher.is_closed():
            self._publisher = await self._connect("live-publish")
            self.connects["publisher"] += 1
        return self._publisher

    async def _drop_publisher(self) -> None:
        conn, self._publisher = self._publisher, None
        if conn is not None:
            conn.terminate()

    async def _send(self, conn: asyncpg.Connection, payloads: list[str]) -> None:
        """One round trip for the whole batch (one transaction: big bodies and their
        notifications commit together)."""
        small = [p for p in payloads if len(p.encode()) <= NOTIFY_LIMIT]
        if len(small) == len(payloads):
            await conn.execute("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p",
                               PG_CHANNEL, payloads)
            return
        now = datetime.now(UTC)
        async with conn.transaction():
            sent: list[str] = []
            for payload in payloads:
                if len(payload.encode()) <= NOTIFY_LIMIT:
                    sent.append(payload)
                else:
                    row_id = await conn.fetchval(
                        "INSERT INTO live_payloads (body, created_at) VALUES ($1, $2) "
                        "RETURNING id", payload, now)
                    sent.append(f"@{row_id}")
            await conn.execute("DELETE FROM live_payloads WHERE created_at < $1",
                               now - KEEP_PAYLOADS)
            await conn.execute("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p",
                               PG_CHANNEL, sent)

    # -- listening -----------------------------------------------------------------------

    async def _listen_forever(self) -> None:
        backoff = Backoff()
        while True:
            incoming: asyncio.Queue[str | None] = asyncio.Queue()
            try:
                conn = await self._connect("live-listen")
            except Exception as exc:  # any failure: retry, never stop
                wait = backoff.next()
                log.warning("live updates: cannot listen (%s); again in %.1f s", exc, wait)
                await asyncio.sleep(wait)
                continue
            self._listener = conn
            self.connects["listener"] += 1
            try:
                conn.add_termination_listener(lambda _c, q=incoming: q.put_nowait(None))
                await conn.add_listener(PG_CHANNEL, lambda _c, _pid, _ch, payload, q=incoming:
                                        q.put_nowait(payload))
                backoff.reset()
                self._listening.set()
                if self.connects["listener"] > 1:
                    self._heard_nothing_meanwhile()
                await self._dispatch(conn, incoming)
            except Exception as exc:  # any failure: reconnect, never stop
                log.warning("live updates: listening connection lost (%s)", exc)
            finally:
                self._listening.clear()
                self._listener = None
                conn.terminate()
            await asyncio.sleep(backoff.next())

    def _heard_nothing_meanwhile(self) -> None:
        """Listening again after a gap: what other processes announced meanwhile was
        never heard here. A sign-out, a change of language or of a store's settings
        must not wait out a cache's lifetime, so both caches start over (each entry is
        read again on its next use), and the relay is woken for events other processes
        may have committed. Boards catch up on their own tick."""
        stores.forget_all_stores()
        if self.session_cache is not None:
            self.session_cache.clear()
        if self.on_message is not None:
            self.on_message()
        log.info("live updates: listening again; cached sessions and store settings "
                 "forgotten, since announcements may have been missed")

    async def _dispatch(self, conn: asyncpg.Connection, incoming: asyncio.Queue[str | None]
                        ) -> None:
        """Deliver notifications in the order they came, until the connection is lost."""
        while True:
            try:  # asyncio.timeout, not wait_for: see app.tasks
                async with asyncio.timeout(PING_SECONDS):
                    payload = await incoming.get()
            except TimeoutError:  # quiet: make sure the connection is still there
                await conn.fetchval("SELECT 1", timeout=5)
                continue
            if payload is None or conn.is_closed():
                return
            if payload.startswith("@"):
                body = await conn.fetchval("SELECT body FROM live_payloads WHERE id = $1",
                                           int(payload[1:]), timeout=5)
                if body is None:
                    continue  # swept already: a nudge that came far too late
                payload = body
            self._deliver(payload)

    def _deliver(self, payload: str) -> None:
        try:
            message = json.loads(payload)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        control = message.get("x")
        if isinstance(control, dict):
            if isinstance(control.get("store_changed"), int):
                stores.forget_store(control["store_changed"])
            if isinstance(control.get("session_forgotten"), str) and self.session_cache:
                self.session_cache.forget_hashed(control["session_forgotten"])
            return
        if self.on_message is not None:
            self.on_message()
        data = message.get("d")
        if self._events is None or not isinstance(data, str):
            return
        encoded = data.encode()
        for channel in message.get("c") or []:
            if channel in self._subscribed:
                self._events.put_nowait((channel, encoded))

    def listening(self) -> bool:
        return self._listening.is_set()


def dsn_of(database_url: str) -> str:
    """asyncpg's DSN for a SQLAlchemy URL (``postgresql+asyncpg://`` → ``postgresql://``)."""
    return "postgresql://" + database_url.split("://", 1)[1]

