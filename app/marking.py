"""The marking check over HTTP: the national system first, the store's local module
when it is slow or silent, then the store's policy; answers cached per code.

``HttpMarkingChecker`` implements ``app.services.ports.MarkingChecker``. One call checks
a batch of codes within one time budget (``budget_seconds``, about 1 s): the online
checker gets ``online_share`` of it, the local module what is left. A garbled answer,
an error answer, a timeout or a refused connection all count as "no answer" for the
codes concerned; a partial batch answer leaves the codes it skipped to the next
checker. Nothing here holds a database transaction: callers check before writing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import func, select

from app.db import tables
from picking import marking
from picking.codes import UnreadableCode, interpret
from picking.lines import name_in
from picking.marking import MarkingVerdict

log = logging.getLogger("storepick.marking")

MAX_BATCH = 100  # codes per request, as the national system allows


class VerdictCache:
    """The last verdict per code for ``ttl`` seconds, at most ``size`` codes (oldest
    dropped first). Only real answers are kept: a unit nobody answered for is asked again."""

    def __init__(self, ttl: float = 60.0, size: int = 5000,
                 clock: Any = time.monotonic) -> None:
        self.ttl, self.size, self._clock = ttl, size, clock
        self._items: OrderedDict[str, tuple[float, MarkingVerdict]] = OrderedDict()

    def get(self, code: str) -> MarkingVerdict | None:
        item = self._items.get(code)
        if item is None:
            return None
        if self._clock() - item[0] > self.ttl:
            del self._items[code]
            return None
        return item[1]

    def put(self, code: str, verdict: MarkingVerdict) -> None:
        self._items[code] = (self._clock(), verdict)
        self._items.move_to_end(code)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def forget(self, codes: Sequence[str]) -> None:
        for code in codes:
            self._items.pop(code, None)


class HttpMarkingChecker:
    """Asks ``online_url`` then ``local_url`` (either may be None) with ``token``."""

    def __init__(self, online_url: str | None, local_url: str | None, token: str = "", *,
                 policy: str = "allow", budget_seconds: float = 1.0,
                 online_share: float = 0.7, cache: VerdictCache | None = None) -> None:
        marking.unanswered(policy)  # raises for an unknown policy
        self.online_url, self.local_url, self.token = online_url, local_url, token
        self.policy, self.budget = policy, budget_seconds
        self.online_share = online_share
        self.cache = cache if cache is not None else VerdictCache()
        self._http: httpx.AsyncClient | None = None

    @property
    def description(self) -> dict[str, Any]:
        """What the board shows: which checkers are set up and the offline policy."""
        return {"online": self.online_url is not None, "local": self.local_url is not None,
                "policy": self.policy}

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(headers={"X-API-KEY": self.token}
                                           if self.token else {})
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def check(self, codes: Sequence[str], now: datetime, *,
                    fresh: bool = False) -> dict[str, MarkingVerdict]:
        """A verdict for every code (as given). ``fresh`` skips the cache (handover)."""
        verdicts: dict[str, MarkingVerdict] = {}
        if fresh:
            self.cache.forget(codes)
        for code in codes:
            cached = self.cache.get(code)
            if cached is not None:
                verdicts[code] = cached
        missing = [c for c in dict.fromkeys(codes) if c not in verdicts]
        started = time.monotonic()
        for url, source, share in ((self.online_url, "online", self.online_share),
                                   (self.local_url, "local", 1.0)):
            if not missing or url is None:
                continue
            left = self.budget - (time.monotonic() - started)
            timeout = left * share if source == "online" and self.local_url else left
            if timeout <= 0.01:
                break
            answered = await self._ask(url, source, missing, now, timeout)
            for code, verdict in answered.items():
                verdicts[code] = verdict
                self.cache.put(code, verdict)
            missing = [c for c in missing if c not in answered]
        for code in missing:
            verdicts[code] = marking.unanswered(self.policy)
        return verdicts

    async def _ask(self, url: str, source: str, codes: list[str], now: datetime,
                   seconds: float) -> dict[str, MarkingVerdict]:
        batches = marking.chunks(codes, MAX_BATCH)
        try:
            async with asyncio.timeout(seconds):
                answers = await asyncio.gather(*(self._post(url, b) for b in batches))
        except TimeoutError:
            log.warning("marking check at %s: no answer within %.2f s", source, seconds)
            return {}
        verdicts: dict[str, MarkingVerdict] = {}
        for batch, payload in zip(batches, answers, strict=True):
            if payload is None:
                continue
            try:
                found = marking.read_answer(payload, {c: _key(c) for c in batch}, now,
                                            source=source)
            except (marking.GarbledAnswer, marking.CheckerRefused) as exc:
                log.warning("marking check at %s: %s", source, exc)
                continue
            for verdict in found.values():
                if abs(verdict.skew_seconds) > marking.SKEW_NOTED_SECONDS:
                    log.warning("marking check at %s: its clock is %+d s from ours", source,
                                verdict.skew_seconds)
                    break
            verdicts.update(found)
        return verdicts

    async def _post(self, url: str, codes: list[str]) -> Any:
        try:
            response = await self._client().post(url, json={"codes": codes})
        except httpx.HTTPError as exc:
            log.warning("marking check %s: %s", url, type(exc).__name__)
            return None
        if response.status_code != 200:
            log.warning("marking check %s: HTTP %s", url, response.status_code)
            return None
        try:
            return response.json()
        except ValueError:
            log.warning("marking check %s: the answer is not JSON", url)
            return None


def _key(code: str) -> str:
    """The unit key (01 GTIN 21 serial) of a code, or the code itself."""
    try:
        return interpret(code).marking_key or code
    except UnreadableCode:
        return code


def checker_from_settings(settings: Any) -> HttpMarkingChecker | None:
    """The deployment's checker; None (the check is off) when no URL is configured."""
    if not settings.marking_check_url and not settings.marking_local_url:
        return None
    return HttpMarkingChecker(settings.marking_check_url, settings.marking_local_url,
                              settings.marking_token, policy=settings.marking_policy,
                              budget_seconds=settings.marking_budget_seconds)


async def recheck_order(db: Any, checker: Any, order_id: int,
                        now: datetime) -> dict[str, MarkingVerdict] | None:
    """Before handover: every marked unit still on the order checked again, bypassing
    the cache, keyed by unit key. Read in a session of its own and asked with no
    transaction open. None when the check is off."""
    if checker is None:
        return None
    s, lines = tables.scans.c, tables.order_lines.c
    async with db.reading() as session:
        rows = (await session.execute(
            select(s.marking_code, s.marking_tail, s.code)
            .join(tables.order_lines, lines.id == s.line_id)
            .where(lines.order_id == order_id, s.undone_at.is_(None),
                   s.marking_code.is_not(None)))).all()
    if not rows:
        return {}
    codes = {marking.check_form(key, tail, raw): key for key, tail, raw in rows}
    answers = await checker.check(list(codes), now, fresh=True)
    return {codes[code]: verdict for code, verdict in answers.items()}


async def stale_products(session: Any, store_id: int, since: datetime,
                         language: str) -> list[tuple[str, int]]:
    """Products refused as not fresh enough since ``since``, most refused first: the
    shelves that need rotating. (name in ``language``, refusals)."""
    r = tables.refused_scans.c
    rows = await session.execute(select(r.params).where(
        r.store_id == store_id, r.error == "NotFreshEnough", r.at >= since))
    counts: dict[str, int] = {}
    for (params,) in rows.all():
        name = name_in(params, language)
        counts[name] = counts.get(name, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


async def freshness_kept(session: Any, order: Any, store: Any) -> dict[int, tuple[int, int]]:
    """Per line with a freshness promise and dated units: (days promised, days the
    least fresh unit has left at the due date). The summary shows the promise kept."""
    from picking.freshness import days_left, required_days

    s = tables.scans.c
    line_ids = [ln.id for ln in order.lines if ln.id is not None]
    rows = await session.execute(
        select(s.line_id, func.min(s.expiry))
        .where(s.line_id.in_(line_ids), s.undone_at.is_(None), s.expiry.is_not(None))
        .group_by(s.line_id))
    soonest = {int(line_id): expiry for line_id, expiry in rows.all()}
    kept = {}
    for line in order.lines:
        needed = required_days(line, store.min_days_for(line.product))
        if needed is not None and line.id in soonest:
            kept[line.id] = (needed, days_left(soonest[line.id], order.due_at))
    return kept
