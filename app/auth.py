"""Staff sign-in: slow password hashes, throttled failures, server-side sessions, guards.

A session is a random token in an HttpOnly cookie; the database keeps only its
SHA-256, so a leaked database cannot be replayed as cookies.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.authentication import (
    AbstractAuthenticationMiddleware,
    AuthenticationResult,
)
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import throttle
from app.db import tables
from app.staff import StaffUser, may_open

SESSION_COOKIE = "sp_session"
# Argon2id with modest memory: a sign-in on a 2-core store server takes ~50 ms.
_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str, role: str | None = None) -> str:
    """The stored hash; with ``role``, the password must meet that role's policy."""
    if role is not None:
        check_password_policy(role, password)
    return _hasher.hash(password)


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Failed sign-ins slow down; they never lock anyone out for longer than the cap.
# Per account (the person's number at a store, whether or not it exists, so the
# answer tells nothing about who works there), per client address, per store.
ACCOUNT_RULE = throttle.Rule(window=timedelta(hours=1), free=5, cap=timedelta(minutes=5))
CLIENT_RULE = throttle.Rule(window=timedelta(minutes=15), free=10, cap=timedelta(minutes=5))
STORE_RULE = throttle.Rule(window=timedelta(hours=1), free=30, cap=timedelta(minutes=5))
# Supervisors and admins see every order of the store: a password, not a PIN.
STRONG_ROLES = ("supervisor", "admin")
STRONG_MIN_LENGTH = 10


class SignInFailure(Exception):
    def __init__(self, reason: str, wait_seconds: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason  # "invalid" | "throttled" | "weak"
        self.wait_seconds = wait_seconds


class PasswordPolicyError(ValueError):
    pass


def check_password_policy(role: str, password: str) -> None:
    """Raise PasswordPolicyError when ``password`` is too weak for ``role``."""
    if role in STRONG_ROLES and len(password) < STRONG_MIN_LENGTH:
        raise PasswordPolicyError(
            f"a {role} needs a password of at least {STRONG_MIN_LENGTH} characters")
    if len(password) < 4:
        raise PasswordPolicyError("a PIN has at least 4 characters")


def known_device_tag(secret: str, device_id: str, store_code: str, personnel_no: str) -> str:
    """Proof that this device has signed in to this account before (see sign_in)."""
    message = f"known-device\x1f{device_id}\x1f{store_code}\x1f{personnel_no}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:20]


@dataclass(frozen=True)
class Attempt:
    store_code: str
    personnel_no: str
    password: str
    client: str  # the client's address (app.proxies)
    # The device's id when it proved (device cookie) that it signed in to this
    # account before: its failures are then counted apart from everyone else's,
    # so an attacker's failures elsewhere cannot keep the person out of their shift.
    known_device: str | None = None

    def rules(self) -> dict[str, throttle.Rule]:
        if self.known_device:
            return {throttle.key("login-device", self.store_code, self.personnel_no,
                                 self.known_device): ACCOUNT_RULE}
        return {throttle.key("login-account", self.store_code, self.personnel_no): ACCOUNT_RULE,
                throttle.key("login-client", self.client): CLIENT_RULE,
                throttle.key("login-store", self.store_code): STORE_RULE}


async def sign_in(db: Any, attempt: Attempt, *, now: datetime,
                  session_lifetime: timedelta) -> str:
    """Check the credentials and open a session; returns the session token.

    Raises SignInFailure("invalid") for an unknown person or a wrong PIN (the two
    are indistinguishable), SignInFailure("throttled", seconds) while failures
    ask for a wait (checked before the PIN, whoever the account), and
    SignInFailure("weak") for a supervisor or admin whose right secret is too
    short. The slow hash runs in a worker thread, outside any transaction.
    """
    rules = attempt.rules()
    s, st = tables.staff.c, tables.stores.c
    async with db.reading() as session:
        waiting = await throttle.wait(session, rules, now)
        if waiting > 0:
            raise SignInFailure("throttled", math.ceil(waiting))
        row = (await session.execute(
            select(s.id, s.role, s.password_hash)
            .join(tables.stores, st.id == s.store_id)
            .where(st.code == attempt.store_code, s.personnel_no == attempt.personnel_no,
                   s.active.is_(True))
        )).first()
    stored = row.password_hash if row is not None else _DUMMY_HASH  # same cost: no timing oracle
    right = await asyncio.to_thread(_verify, stored, attempt.password) and row is not None
    if not right:
        async with db.writing() as session:
            for name, rule in rules.items():
                await throttle.count(session, name, rule, now)
            await session.commit()
        raise SignInFailure("invalid")
    try:
        check_password_policy(row.role, attempt.password)
    except PasswordPolicyError:
        raise SignInFailure("weak") from None
    token = secrets.token_urlsafe(32)
    async with db.writing() as session:
        await throttle.forget(session, *(name for name, rule in rules.items()
                                         if rule is ACCOUNT_RULE))
        await session.execute(update(tables.staff).where(s.id == row.id).values(
            failed_logins=0, locked_until=None, last_seen_at=now))
        await session.execute(insert(tables.staff_sessions).values(
            token_hash=token_hash(token), staff_id=row.id, created_at=now,
            expires_at=now + session_lifetime))
        await session.commit()
    return token


async def sign_out(session: AsyncSession, token: str) -> None:
    await session.execute(delete(tables.staff_sessions).where(
        tables.staff_sessions.c.token_hash == token_hash(token)))
    await session.commit()


async def staff_for_token(session: AsyncSession, token: str, now: datetime
                          ) -> tuple[StaffUser, datetime] | None:
    """The signed-in person and when their session ends; None if unknown or over."""
    s, ss, st = tables.staff.c, tables.staff_sessions.c, tables.stores.c
    row = (await session.execute(
        select(s.id, s.store_id, s.personnel_no, s.name, s.role, s.language, s.active,
               ss.expires_at, st.code, st.name.label("store_name"), st.locale, st.currency,
               st.timezone)
        .join(tables.staff, s.id == ss.staff_id)
        .join(tables.stores, st.id == s.store_id)
        .where(ss.token_hash == token_hash(token))
    )).first()
    if row is None or not row.active or row.expires_at <= now:
        return None
    user = StaffUser(id=row.id, store_id=row.store_id, store_code=row.code,
                     store_name=row.store_name, personnel_no=row.personnel_no, name=row.name,
                     role=row.role, language=row.language, locale=row.locale,
                     currency=row.currency, timezone=row.timezone)
    return user, row.expires_at



class SessionCache:
    """Recently seen sessions, so a picker's scans do not each query the session.

    An entry lives ``ttl`` seconds (wall clock, not the app's clock): a deactivated
    person is refused at most that much later. Sign-out and a change of language
    forget the entry at once, here and (on PostgreSQL, through ``on_forget``, which
    app.live_pg sets) in every other process.
    """

    def __init__(self, ttl: float = 10.0, size: int = 2048) -> None:
        self.ttl, self.size = ttl, size
        self._entries: dict[str, tuple[float, StaffUser, datetime]] = {}
        self._tokens: dict[str, str] = {}  # token hash -> token, for forget_hashed
        # Tells the other processes, returning once they can hear it (app.live_pg).
        self.on_forget: Callable[[str], Awaitable[None]] | None = None

    def get(self, token: str, now: datetime) -> StaffUser | None:
        entry = self._entries.get(token)
        if entry is None or time.monotonic() - entry[0] > self.ttl or entry[2] <= now:
            return None
        return entry[1]

    def put(self, token: str, user: StaffUser, expires_at: datetime) -> None:
        if len(self._entries) >= self.size:
            self._entries.clear()
            self._tokens.clear()
        self._entries[token] = (time.monotonic(), user, expires_at)
        self._tokens[token_hash(token)] = token

    def forget(self, token: str) -> None:
        """Forget a session in this process."""
        self.forget_hashed(token_hash(token))

    async def forget_everywhere(self, token: str) -> None:
        """Forget a session here and, before returning, in every other process."""
        hashed = token_hash(token)
        self.forget_hashed(hashed)
        if self.on_forget is not None:
            await self.on_forget(hashed)

    def clear(self) -> None:
        """Forget every session in this process (each is read again on its next request)."""
        self._entries.clear()
        self._tokens.clear()

    def forget_hashed(self, hashed: str) -> None:
        """Forget a session known by its hash (what travels between processes)."""
        token = self._tokens.pop(hashed, None)
        if token is not None:
            self._entries.pop(token, None)


class SessionMiddleware(AbstractAuthenticationMiddleware):
    """Attach the signed-in StaffUser (or None) to every request."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]
                                   ) -> AuthenticationResult:
        token = connection.cookies.get(SESSION_COOKIE)
        user = None
        if token:
            state = connection.app.state
            now = state.clock()
            cache: SessionCache = state.session_cache
            user = cache.get(token, now)
            if user is None:
                # One indexed lookup: inline on SQLite (a thread hop costs more).
                async with state.db.quick_reading() as session:
                    found = await staff_for_token(session, token, now)
                if found is not None:
                    user, expires_at = found
                    cache.put(token, user, expires_at)
        return AuthenticationResult(user=user, auth=token if user else None)


def requires_role(*roles: str) -> Any:
    """A guard: signed in, and one of ``roles`` (admin passes every role guard).

    The app's routes use ``requires_area`` instead, so that the home page and the menu
    (``app.staff.ROLE_AREAS``) link exactly what the guards let through; this one stays
    for branches written before that table.
    """

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = connection.scope.get("user")  # absent where the session middleware does not run
        if user is None:
            raise NotAuthorizedException("sign in first")
        if user.role not in roles and user.role != "admin":
            raise PermissionDeniedException("not allowed for your role")

    return guard


def requires_area(area: str) -> Any:
    """A guard: signed in, with a role that may open ``area`` (``app.staff.ROLE_AREAS``)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = connection.user
        if user is None:
            raise NotAuthorizedException("sign in first")
        if not may_open(user.role, area):
            raise PermissionDeniedException("not allowed for your role")

    return guard


async def requires_staff(connection: ASGIConnection[Any, Any, Any, Any],
                         _: BaseRouteHandler) -> None:
    if connection.scope.get("user") is None:
        raise NotAuthorizedException("sign in first")
