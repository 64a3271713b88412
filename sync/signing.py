"""HMAC-SHA256 request signatures shared by both directions of the OMS contract.

Requests to the store's API (``/api/v1``) are signed over the method and the path
too (``v2=<hex>``, see ``request_signature``), so a signed request cannot be sent
again to another order or as another verb. The older form ``sha256=<hex>`` over
``f"{timestamp}.{body}"`` only is still what the relay sends to the OMS, and the
API accepts it only for a transition period (see ``Settings.oms_legacy_signatures_until``).
Timestamps are whole Unix seconds; a request is accepted only within ``max_skew``
seconds of the receiver's clock, which bounds how long a receiver must remember
signatures to refuse replays.
"""

from __future__ import annotations

import hashlib
import hmac

import httpx

TIMESTAMP_HEADER = "X-Storepick-Timestamp"
SIGNATURE_HEADER = "X-Storepick-Signature"
DEFAULT_MAX_SKEW = 300


class BadSignature(Exception):
    """The request is unsigned, badly signed, or signed too far from now.

    ``field`` names the header at fault so the 4xx can say which one.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header value ``sha256=<hex>`` for ``body`` sent at ``timestamp``."""
    message = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Both headers for a request; add them to every call to the other side."""
    return {TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: signature(secret, timestamp, body)}


V2_PREFIX = "v2="


def request_target(raw_path: bytes | str, query_string: bytes | str = b"") -> bytes:
    """The request target as signed: the path as sent on the wire (percent-escapes
    kept), then ``?query`` when there is one."""
    path = raw_path.encode() if isinstance(raw_path, str) else raw_path
    query = query_string.encode() if isinstance(query_string, str) else query_string
    path = path.split(b"?", 1)[0]
    return path + b"?" + query if query else path


def request_signature(secret: str, timestamp: int, method: str, target: bytes,
                      body: bytes) -> str:
    """The header value ``v2=<hex>``: HMAC-SHA256 over
    ``"<timestamp>\n<METHOD>\n<target>\n" + body``. Neither the timestamp, the
    method nor a target as sent on the wire can hold a newline, so the parts cannot
    be shifted into each other."""
    message = b"\n".join([str(timestamp).encode(), method.upper().encode(), target, body])
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"{V2_PREFIX}{digest}"


def signed_request_headers(secret: str, timestamp: int, method: str, url: str,
                           body: bytes) -> dict[str, str]:
    """Both headers for a call to the store's API; ``url`` is the path (with any
    query) or a whole URL, as it will be sent."""
    parsed = httpx.URL(url)
    target = request_target(parsed.raw_path, parsed.query)
    return {TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: request_signature(secret, timestamp, method, target, body)}


def verify_request(secret: str, *, timestamp: str | None, sig: str | None, method: str,
                   target: bytes, body: bytes, now: float, max_skew: int = DEFAULT_MAX_SKEW,
                   accept_legacy: bool = False) -> tuple[int, bool]:
    """Check a signed API request; returns ``(timestamp, legacy)``.

    ``v2=`` signatures cover method, target and body. A ``sha256=`` one (body only)
    is accepted only with ``accept_legacy``. Raises BadSignature as ``verify`` does.
    """
    sent_at = _timestamp(timestamp, sig, now, max_skew)
    assert sig is not None
    if sig.startswith(V2_PREFIX):
        expected = request_signature(secret, sent_at, method, target, body)
        if not hmac.compare_digest(sig, expected):
            raise BadSignature(SIGNATURE_HEADER, "does not match the method, path and body")
        return sent_at, False
    if sig.startswith("sha256=") and accept_legacy:
        if not hmac.compare_digest(sig, signature(secret, sent_at, body)):
            raise BadSignature(SIGNATURE_HEADER, "does not match the body")
        return sent_at, True
    if sig.startswith("sha256="):
        raise BadSignature(SIGNATURE_HEADER, "sha256= signatures are no longer accepted: "
                           "sign method, path and body (v2=<hex>)")
    raise BadSignature(SIGNATURE_HEADER, "must look like v2=<hex>")


def _timestamp(timestamp: str | None, sig: str | None, now: float, max_skew: int) -> int:
    if not timestamp:
        raise BadSignature(TIMESTAMP_HEADER, "missing")
    if not sig:
        raise BadSignature(SIGNATURE_HEADER, "missing")
    if len(timestamp) > 12 or not timestamp.isdigit():
        raise BadSignature(TIMESTAMP_HEADER, "must be whole Unix seconds")
    sent_at = int(timestamp)
    if abs(now - sent_at) > max_skew:
        raise BadSignature(TIMESTAMP_HEADER, f"more than {max_skew} s from the server clock")
    if len(sig) > 80:
        raise BadSignature(SIGNATURE_HEADER, "too long")
    return sent_at


def verify(secret: str, *, timestamp: str | None, sig: str | None, body: bytes, now: float,
           max_skew: int = DEFAULT_MAX_SKEW) -> int:
    """Check a request's headers against its body; returns the timestamp.

    Raises BadSignature when a header is missing or malformed, the timestamp
    is outside ``now ± max_skew``, or the signature does not match (compared
    in constant time).
    """
    sent_at = _timestamp(timestamp, sig, now, max_skew)
    assert sig is not None
    if not sig.startswith("sha256="):
        raise BadSignature(SIGNATURE_HEADER, "must look like sha256=<hex>")
    if not hmac.compare_digest(sig, signature(secret, sent_at, body)):
        raise BadSignature(SIGNATURE_HEADER, "does not match the body")
    return sent_at
