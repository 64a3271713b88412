"""Security headers on every response, and the per-response CSP nonce.

The Content-Security-Policy allows scripts from this site only, plus inline
scripts carrying this response's nonce (templates write
``nonce="{{ csp_nonce(request) }}"``); no ``eval`` (htmx runs with
``allowEval: false``); WebAssembly for the vendored barcode reader; styles from
this site and inline (htmx's indicator styles and progress bar widths). The
camera may be used by this site only, and no other site may frame a page.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from litestar import Request
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware._utils import should_bypass_middleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from app.auth import SESSION_COOKIE

NONCE_KEY = "csp_nonce"

PERMISSIONS_POLICY = ("camera=(self), microphone=(), geolocation=(), payment=(), usb=(), "
                      "serial=(), bluetooth=(), display-capture=()")


def content_security_policy(nonce: str) -> str:
    return "; ".join((
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob: mediastream:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def csp_nonce(request: Any) -> str:
    """This response's nonce for inline ``<script>`` elements."""
    state = request.scope.setdefault("state", {})
    if NONCE_KEY not in state:
        state[NONCE_KEY] = secrets.token_urlsafe(16)
    return str(state[NONCE_KEY])


_CSP_HEAD, _CSP_TAIL = content_security_policy("\0").encode().split(b"\0")
_ALWAYS = tuple((name.lower().encode(), value.encode()) for name, value in (
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", PERMISSIONS_POLICY),
    ("Cross-Origin-Opener-Policy", "same-origin"),
))
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook: every response, even a 404 for no route, gets the headers
    (each unless the response set its own).

    HSTS only outside development (where the app runs over plain HTTP). The headers
    are appended to the message's raw list, names in lower case as Litestar writes
    them: going through ``MutableScopeHeaders`` decoded and lower-cased every header
    of the response again for each one set.
    """
    if message["type"] != "http.response.start":
        return
    state: dict[str, Any] = scope.setdefault("state", {})
    nonce = state.setdefault(NONCE_KEY, secrets.token_urlsafe(16))
    raw = message.setdefault("headers", [])
    if not isinstance(raw, list):
        raw = message["headers"] = list(raw)
    present = {name.lower() for name, _ in raw}
    if b"content-security-policy" not in present:
        raw.append((b"content-security-policy", _CSP_HEAD + nonce.encode() + _CSP_TAIL))
    raw.extend(header for header in _ALWAYS if header[0] not in present)
    app = scope.get("litestar_app")
    if app is not None and not app.state.settings.is_development and _HSTS[0] not in present:
        raw.append(_HSTS)


class CSRFFailure(PermissionDeniedException):
    """A state change without this session's CSRF token (a forged request, or a page
    left open across a sign-in or sign-out)."""


class SessionCSRFMiddleware(CSRFMiddleware):
    """CSRF tokens bound to the session.

    Litestar's double-submit token is tied only to its own cookie: a token taken
    from any session (or planted with the cookie) passes in another. Here the
    token is an HMAC of the secret and the session cookie, so it is good for that
    session only and changes at sign-in and sign-out; before sign-in it is bound
    to a random HttpOnly cookie of the browser (the login form, the customer page).
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or should_bypass_middleware(
                scope=scope, scopes=self.scopes,
                exclude_opt_key=self.config.exclude_from_csrf_key,
                exclude_path_pattern=self.exclude):
            await self.app(scope, receive, send)
            return
        request: Request[Any, Any, Any] = scope["litestar_app"].request_class(
            scope=scope, receive=receive)
        session = request.cookies.get(SESSION_COOKIE)
        browser = request.cookies.get(self.config.cookie_name)
        new_browser = None
        if session:
            binding = "session:" + hashlib.sha256(session.encode()).hexdigest()
        else:
            if not browser or len(browser) > 100:
                browser = new_browser = secrets.token_urlsafe(24)
            binding = "browser:" + browser
        expected = hmac.new(self.config.secret.encode(), binding.encode(),
                            hashlib.sha256).hexdigest()
        ScopeState.from_scope(scope).csrf_token = expected
        if request.method in self.config.safe_methods:
            await self.app(scope, receive, self.create_send_wrapper(
                send=send, csrf_cookie=None if new_browser else browser,
                token=new_browser or ""))
            return
        sent = request.headers.get(self.config.header_name)
        content_type, _ = request.content_type
        if not sent and content_type in {RequestEncodingType.URL_ENCODED,
                                         RequestEncodingType.MULTI_PART}:
            form = await request.form()
            sent = form.get("_csrf_token", None)
        if not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
            raise CSRFFailure("CSRF token verification failed")
        await self.app(scope, receive, send)
