"""Posting one event envelope to the OMS, and what its answer means for a retry.

Answers: 2xx is delivered. 400, 404, 405, 409, 410, 413, 415 and 422 cannot be
fixed by sending the same bytes again, so the event becomes a dead letter.
Everything else (408, 429, 401/403 while a secret is rotated, 5xx, timeouts,
refused connections) is retried with exponential backoff and full jitter,
or after ``Retry-After`` when the OMS says when.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

from sync.signing import signed_headers

PERMANENT = frozenset({400, 404, 405, 409, 410, 413, 415, 422})
MAX_RETRY_AFTER = 3600.0


@dataclass(frozen=True)
class Delivery:
    ok: bool
    permanent: bool = False
    error: str = ""
    retry_after: float | None = None


@dataclass(frozen=True)
class Backoff:
    """``base * 2**(attempt-1)`` seconds, capped, times a random factor in [0.5, 1)."""

    base: float = 1.0
    cap: float = 300.0

    def delay(self, attempt: int, retry_after: float | None = None,
              rand: Callable[[], float] = random.random) -> float:
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER)
        raw = min(self.cap, self.base * 2 ** max(attempt - 1, 0))
        return raw * (0.5 + rand() / 2)


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """``Retry-After`` as seconds from now (delta-seconds or an HTTP date)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(parsedate_to_datetime(value).timestamp() - now, 0.0)
    except (TypeError, ValueError):
        return None


async def post_event(http: httpx.AsyncClient, url: str, secret: str, event_id: str,
                     envelope: bytes) -> Delivery:
    """Send one envelope, signed, with ``event_id`` as the Idempotency-Key. Never raises
    for network trouble: it comes back as a retryable Delivery."""
    now = time.time()
    headers = {"Content-Type": "application/json", "Idempotency-Key": event_id,
               **signed_headers(secret, int(now), envelope)}
    try:
        response = await http.post(url, content=envelope, headers=headers)
    except httpx.HTTPError as exc:
        return Delivery(ok=False, error=f"{type(exc).__name__}: {exc}"[:300])
    if response.is_success:
        return Delivery(ok=True)
    error = f"HTTP {response.status_code}: {response.text[:200]}"
    return Delivery(ok=False, permanent=response.status_code in PERMANENT, error=error,
                    retry_after=retry_after_seconds(response.headers.get("Retry-After"), now))
