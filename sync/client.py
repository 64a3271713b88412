"""Posting event envelopes to the OMS, and what its answers mean for a retry.

Two ways to send, both signed (``sync.signing``) over the exact body bytes:

* ``post_event``: one envelope per ``POST {url}``, ``Idempotency-Key: event_id``.
* ``post_batch``: several envelopes of *different* orders in one
  ``POST {batch_url}`` as ``{"events": [envelope, ...]}``; the OMS answers 200
  with ``{"results": [{"event_id": ..., "status": <http status>}, ...]}``, one
  result per event (see ``sync.receiver``). A batch never holds two events of
  one order, so "event N+1 is sent only after N was acknowledged" still holds.

Answers, per event: 2xx is delivered. 400, 404, 405, 409, 410, 413, 415 and
422 cannot be fixed by sending the same bytes again, so the event becomes a
dead letter. Everything else (408, 429, 401/403 while a secret is rotated,
5xx, timeouts, refused connections, a malformed or incomplete batch answer)
is retried with exponential backoff and full jitter, or after
``Retry-After`` when the OMS says when. An event counts as delivered only
when its own 2xx came back.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from sync.signing import signed_headers

PERMANENT = frozenset({400, 404, 405, 409, 410, 413, 415, 422})
MAX_RETRY_AFTER = 3600.0
JSON = "application/json"


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
        raw = min(self.cap, self.base * 2.0 ** max(attempt - 1, 0))
        return raw * (0.5 + rand() / 2)


DELIVERED = Delivery(ok=True)


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


def refused(status: int, detail: str, retry_after: float | None = None) -> Delivery:
    """The Delivery for a non-2xx answer ``status``."""
    return Delivery(ok=False, permanent=status in PERMANENT,
                    error=f"HTTP {status}: {detail[:200]}", retry_after=retry_after)


def _failed(exc: httpx.HTTPError) -> Delivery:
    return Delivery(ok=False, error=f"{type(exc).__name__}: {exc}"[:300])


async def _post(http: httpx.AsyncClient, url: str, secret: str, body: bytes,
                extra: dict[str, str], within: float | None) -> httpx.Response:
    headers = {"Content-Type": JSON, **extra, **signed_headers(secret, int(time.time()), body)}
    if within is None:
        return await http.post(url, content=body, headers=headers)
    return await http.post(url, content=body, headers=headers, timeout=within)


async def post_event(http: httpx.AsyncClient, url: str, secret: str, event_id: str,
                     envelope: bytes, *, within: float | None = None) -> Delivery:
    """Send one envelope, signed, with ``event_id`` as the Idempotency-Key. Never raises
    for network trouble: it comes back as a retryable Delivery. ``within`` (seconds)
    overrides the client's for this request."""
    try:
        response = await _post(http, url, secret, envelope, {"Idempotency-Key": event_id},
                               within)
    except httpx.HTTPError as exc:
        return _failed(exc)
    if response.is_success:
        return DELIVERED
    return refused(response.status_code, response.text,
                   retry_after_seconds(response.headers.get("Retry-After"), time.time()))


def batch_body(envelopes: Sequence[bytes]) -> bytes:
    """``{"events":[...]}`` from envelopes that are already JSON objects (no re-encoding)."""
    return b'{"events":[' + b",".join(envelopes) + b"]}"


async def post_batch(http: httpx.AsyncClient, url: str, secret: str,
                     events: Sequence[tuple[str, bytes]], *,
                     within: float | None = None) -> list[Delivery]:
    """Send ``(event_id, envelope)`` pairs (at most one per order) in one signed request.

    ``within`` (seconds) overrides the client's timeout for this request.
    Returns one Delivery per event, in the same order. A request that fails as a
    whole (network trouble, non-2xx) fails every event alike; an event missing
    from a 2xx answer, or an answer that is not the batch contract, is retryable.
    Never raises for network trouble or a misbehaving OMS.
    """
    try:
        response = await _post(http, url, secret, batch_body([e for _, e in events]), {},
                               within)
    except httpx.HTTPError as exc:
        return [_failed(exc)] * len(events)
    if not response.is_success:
        whole = refused(response.status_code, response.text,
                        retry_after_seconds(response.headers.get("Retry-After"), time.time()))
        return [whole] * len(events)
    return _per_event(response, [event_id for event_id, _ in events])


def _per_event(response: httpx.Response, event_ids: list[str]) -> list[Delivery]:
    try:
        results: Any = json.loads(response.content)["results"]
        answers = {str(r["event_id"]): r for r in results}
    except (ValueError, KeyError, TypeError):
        bad = Delivery(ok=False, error="malformed batch answer: " + response.text[:200])
        return [bad] * len(event_ids)
    retry_after = retry_after_seconds(response.headers.get("Retry-After"), time.time())
    out = []
    for event_id in event_ids:
        answer = answers.get(event_id)
        status = answer.get("status") if isinstance(answer, dict) else None
        if not isinstance(status, int):
            out.append(Delivery(ok=False, error="no answer for this event in the batch"))
        elif 200 <= status < 300:
            out.append(DELIVERED)
        else:
            out.append(refused(status, str(answer.get("detail", "")), retry_after))  # type: ignore[union-attr]
    return out
