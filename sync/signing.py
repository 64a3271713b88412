"""HMAC-SHA256 request signatures shared by both directions of the OMS contract.

The message is ``f"{timestamp}.{body}"`` (timestamp in whole Unix seconds, body
as sent, byte for byte); the signature travels as ``sha256=<hex>``. A request
is accepted only within ``max_skew`` seconds of the receiver's clock, which
bounds how long a receiver must remember signatures to refuse replays.
"""

from __future__ import annotations

import hashlib
import hmac

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


def verify(secret: str, *, timestamp: str | None, sig: str | None, body: bytes, now: float,
           max_skew: int = DEFAULT_MAX_SKEW) -> int:
    """Check a request's headers against its body; returns the timestamp.

    Raises BadSignature when a header is missing or malformed, the timestamp
    is outside ``now ± max_skew``, or the signature does not match (compared
    in constant time).
    """
    if not timestamp:
        raise BadSignature(TIMESTAMP_HEADER, "missing")
    if not sig:
        raise BadSignature(SIGNATURE_HEADER, "missing")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise BadSignature(TIMESTAMP_HEADER, "must be whole Unix seconds") from None
    if abs(now - sent_at) > max_skew:
        raise BadSignature(TIMESTAMP_HEADER, f"more than {max_skew} s from the server clock")
    if not sig.startswith("sha256="):
        raise BadSignature(SIGNATURE_HEADER, "must look like sha256=<hex>")
    if not hmac.compare_digest(sig, signature(secret, sent_at, body)):
        raise BadSignature(SIGNATURE_HEADER, "does not match the body")
    return sent_at
