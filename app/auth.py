"""Staff sign-in: slow password hashes, lockout, server-side sessions, guards.

A session is a random token in an HttpOnly cookie; the database keeps only its
SHA-256, so a leaked database cannot be replayed as cookies.
"""

from __future__ import annotations

import hashlib
import secrets
import time
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

from app.db import tables
from app.staff import StaffUser

SESSION_COOKIE = "sp_session"
# Argon2id with modest memory: a sign-in on a 2-core store server takes ~50 ms.
_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SignInFailure(Exception):
    def __init__(self, reason: str, until: datetime | None = None) -> None:
        super().__init__(reason)
        self.reason = reason  # "invalid" | "locked"
        self.until = until


async def sign_in(session: AsyncSession, *, store_code: str, personnel_no: str, password: str,
                  now: datetime, max_failures: int, lockout: timedelta,
                  session_lifetime: timedelta) -> str:
    """Check the credentials and open a session; returns the session token.

    Raises SignInFailure("invalid") for an unknown person or a wrong PIN (the
    two are indistinguishable), and SignInFailure("locked") while locked out.
    """
    s, st = tables.staff.c, tables.stores.c
    row = (await session.execute(
        select(s.id, s.password_hash, s.failed_logins, s.locked_until)
        .join(tables.stores, st.id == s.store_id)
        .where(st.code == store_code, s.personnel_no == personnel_no, s.active.is_(True))
    )).first()
    if row is None:
        _verify(_DUMMY_HASH, password)  # same cost as a real check: no timing oracle
        raise SignInFailure("invalid")
    if row.locked_until is not None and row.locked_until > now:
        raise SignInFailure("locked", row.locked_until)
    if not _verify(row.password_hash, password):
        failures = row.failed_logins + 1
        locked = now + lockout if failures >= max_failures else None
        await session.execute(update(tables.staff).where(s.id == row.id).values(
            failed_logins=0 if locked else failures, locked_until=locked))
        await session.commit()
        raise SignInFailure("locked", locked) if locked else SignInFailure("invalid")
    token = secrets.token_urlsafe(32)
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

    An entry lives ``ttl`` seconds (wall clock, not the app's clock): a session
    ended in another process, or a deactivated person, is refused at most that
    much later. Sign-out in this process forgets the entry at once.
    """

    def __init__(self, ttl: float = 10.0, size: int = 2048) -> None:
        self.ttl, self.size = ttl, size
        self._entries: dict[str, tuple[float, StaffUser, datetime]] = {}

    def get(self, token: str, now: datetime) -> StaffUser | None:
        entry = self._entries.get(token)
        if entry is None or time.monotonic() - entry[0] > self.ttl or entry[2] <= now:
            return None
        return entry[1]

    def put(self, token: str, user: StaffUser, expires_at: datetime) -> None:
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[token] = (time.monotonic(), user, expires_at)

    def forget(self, token: str) -> None:
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
                async with state.db.reading() as session:
                    found = await staff_for_token(session, token, now)
                if found is not None:
                    user, expires_at = found
                    cache.put(token, user, expires_at)
        return AuthenticationResult(user=user, auth=token if user else None)


def requires_role(*roles: str) -> Any:
    """A guard: signed in, and one of ``roles`` (admin passes every role guard)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = connection.scope.get("user")  # absent where the session middleware does not run
        if user is None:
            raise NotAuthorizedException("sign in first")
        if user.role not in roles and user.role != "admin":
            raise PermissionDeniedException("not allowed for your role")

    return guard


def requires_staff(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if connection.scope.get("user") is None:
        raise NotAuthorizedException("sign in first")
