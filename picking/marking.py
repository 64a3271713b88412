"""May this marked unit be sold? The verdict of a Честный ЗНАК code check, read from
the answer of the national system's public ``codes/check`` (or the store's local
module, which answers in the same shape).

Pure: no network and no clock. ``read_answer`` turns one JSON answer into a verdict
per requested code and refuses garbage with ``GarbledAnswer``; ``unanswered`` is the
verdict when neither checker answered and the store's policy decides.

The answer we read (one object per code in ``codes``)::

    {"code": 0, "description": "ok", "reqId": "…", "reqTimestamp": 1764680000000,
     "codes": [{"cis": "0104607…21…", "valid": true, "verified": true, "found": true,
                "realizable": true, "utilised": true, "sold": false, "isBlocked": false,
                "expireDate": "2026-12-20T00:00:00.000Z", "isOwner": true,
                "errorCode": 0, "gtin": "04607…"}]}

A top-level ``code`` other than 0 is the checker refusing the whole request (it did
not answer about the codes). Expiry is judged against our own clock, never the
checker's: its ``reqTimestamp`` only tells how far its clock is off (``skew_seconds``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from picking import errors, events
from picking.lines import Product, _named
from picking.status import LineState

if TYPE_CHECKING:
    from picking.model import Order

OK = "ok"
UNANSWERED = "unanswered"
# Why a unit may not be sold, in the order they are looked at.
REFUSALS = ("invalid", "unknown", "blocked", "sold", "not_realizable", "expired", "not_owner")
STATUSES = (OK, *REFUSALS, UNANSWERED)
SOURCES = ("online", "local", "policy")
POLICIES = ("allow", "refuse")
"""With no answer at all: ``allow`` (flag the unit for re-check before handover) or ``refuse``."""
SKEW_NOTED_SECONDS = 300  # a checker clock further off than this is worth a log line


class GarbledAnswer(ValueError):
    """The checker answered something that is not a code-check answer; says what."""


class CheckerRefused(ValueError):
    """The checker answered, but with an error for the whole request (``code`` != 0)."""


@dataclass(frozen=True)
class MarkingVerdict:
    """One unit's check: ``status`` (``ok``, a refusal, or ``unanswered``), who answered
    (``online``, ``local`` or ``policy``), the unit's expiry if the checker knows it,
    and ``recheck``: allowed without an answer, to be checked again before handover."""

    status: str
    source: str
    expiry: date | None = None
    recheck: bool = False
    skew_seconds: int = 0

    @property
    def allows(self) -> bool:
        return self.status == OK or (self.status == UNANSWERED and self.recheck)

    @property
    def refuses(self) -> bool:
        return not self.allows

    def as_event(self) -> dict[str, Any]:
        """What ``ItemScanned`` carries about the check."""
        return {"status": self.status, "source": self.source, "recheck": self.recheck,
                "expiry": self.expiry.isoformat() if self.expiry else None}


def unanswered(policy: str) -> MarkingVerdict:
    """Neither the national system nor the local module answered: the store decides."""
    if policy not in POLICIES:
        raise ValueError(f"marking policy must be one of {POLICIES}, got {policy!r}")
    return MarkingVerdict(UNANSWERED, "policy", recheck=policy == "allow")


def read_answer(payload: Any, codes: Mapping[str, str], now: datetime, *,
                source: str) -> dict[str, MarkingVerdict]:
    """Verdicts for the requested codes the answer speaks of.

    ``codes`` maps each requested code (as sent) to its unit key (``01`` GTIN ``21``
    serial); an answer entry matches a request by either. A code the answer leaves out
    (a partial batch) has no verdict: the caller asks elsewhere. Raises GarbledAnswer
    for anything that is not the shape above, CheckerRefused for a top-level error.
    """
    if not isinstance(payload, dict):
        raise GarbledAnswer(f"answer is {type(payload).__name__}, not an object")
    top = payload.get("code", 0)
    if not isinstance(top, int) or isinstance(top, bool):
        raise GarbledAnswer(f"'code' is {top!r}")
    if top != 0:
        raise CheckerRefused(f"code {top}: {str(payload.get('description', ''))[:100]}")
    entries = payload.get("codes")
    if not isinstance(entries, list):
        raise GarbledAnswer("'codes' is not a list")
    skew = _skew(payload.get("reqTimestamp"), now)
    by_name: dict[str, str] = {}
    for code, key in codes.items():
        by_name.setdefault(code, code)
        by_name.setdefault(key, code)
    verdicts: dict[str, MarkingVerdict] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("cis"), str):
            raise GarbledAnswer("an entry of 'codes' has no 'cis'")
        requested = _match(entry["cis"], by_name)
        if requested is None:
            continue  # a code we did not ask about is not believed for another
        status, expiry = _judge(entry, now)
        verdicts[requested] = MarkingVerdict(status, source, expiry, skew_seconds=skew)
    return verdicts


def _match(cis: str, by_name: Mapping[str, str]) -> str | None:
    if cis in by_name:
        return by_name[cis]
    for name, code in by_name.items():  # the answer may add or drop the crypto tail
        if cis.startswith(name + "\x1d") or name.startswith(cis + "\x1d"):
            return code
    return None


_FLAGS = ("valid", "verified", "found", "realizable", "utilised", "sold", "isBlocked",
          "isOwner")


def _judge(entry: dict[str, Any], now: datetime) -> tuple[str, date | None]:
    flags: dict[str, bool | None] = {}
    for name in _FLAGS:
        value = entry.get(name)
        if value is not None and not isinstance(value, bool):
            raise GarbledAnswer(f"{name!r} is {value!r}, not true or false")
        flags[name] = value
    error = entry.get("errorCode", 0)
    if not isinstance(error, int) or isinstance(error, bool):
        raise GarbledAnswer(f"'errorCode' is {error!r}")
    expiry = _expiry(entry.get("expireDate"))
    if error != 0 or flags["valid"] is False or flags["verified"] is False:
        return "invalid", expiry
    if flags["found"] is not True:
        return "unknown", expiry
    if flags["isBlocked"] is True:
        return "blocked", expiry
    if flags["sold"] is True:
        return "sold", expiry
    if flags["realizable"] is False or flags["utilised"] is False:
        return "not_realizable", expiry
    if expiry is not None and expiry < now.astimezone(UTC).date():
        return "expired", expiry
    if flags["isOwner"] is False:
        return "not_owner", expiry
    return OK, expiry


def _expiry(value: Any) -> date | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise GarbledAnswer(f"'expireDate' is {value!r}")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        raise GarbledAnswer(f"'expireDate' is {value[:40]!r}") from None


def _skew(value: Any, now: datetime) -> int:
    """Seconds the checker's clock is ahead of ours (negative: behind); 0 if unsaid."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return round(value / 1000 - now.timestamp())


def chunks(codes: Sequence[str], size: int) -> list[list[str]]:
    """The codes in batches of at most ``size`` (the checker's per-request limit)."""
    return [list(codes[i:i + size]) for i in range(0, len(codes), size)]


@dataclass(frozen=True)
class CheckRecord:
    """What a counted scan keeps of its check (nothing when there was none)."""

    verdict: MarkingVerdict | None = None

    def scan_fields(self) -> dict[str, Any]:
        v = self.verdict
        if v is None:
            return {}
        return {"marking_status": v.status, "marking_source": v.source,
                "marking_recheck": v.recheck}

    @property
    def event(self) -> dict[str, Any] | None:
        return None if self.verdict is None else self.verdict.as_event()

    @property
    def expiry(self) -> date | None:
        return None if self.verdict is None else self.verdict.expiry


def refuse_unsellable(product: Product, marking_code: str | None,
                      verdict: MarkingVerdict | None) -> CheckRecord:
    """Raise MarkingRefused when the check says this unit may not be sold."""
    if marking_code is None or verdict is None:
        return CheckRecord()
    if verdict.refuses:
        raise errors.MarkingRefused(**_named(product), status=verdict.status)
    return CheckRecord(verdict)


def withdraw_refused(order: Order, verdicts: Mapping[str, MarkingVerdict], *, now: datetime,
                     staff_id: int | None) -> list[dict[str, Any]]:
    """At handover: every handed-over unit the re-check now refuses leaves the order.

    ``verdicts`` are keyed by unit key (01 GTIN 21 serial). A refused unit's scan is
    taken back, its line becomes short with the reason (``marking_<status>``) and
    ``LineShorted`` is recorded; a unit confirmed ``ok`` loses its re-check flag; one
    still unanswered keeps it (the register checks it once more). Returns the units
    withdrawn (product names, serial, status), for the person at the door to take out.
    """
    withdrawn: list[dict[str, Any]] = []
    for line in order.lines:
        for scan in line.live_scans():
            verdict = verdicts.get(scan.marking_code or "")
            if verdict is None:
                continue
            if verdict.status == OK:
                scan.marking_status, scan.marking_source = OK, verdict.source
                scan.marking_recheck = False
                continue
            if verdict.status not in REFUSALS:
                continue  # nobody answered: no reason to take a sold unit away
            scan.undone_at, scan.undone_by = now, f"recheck:{scan.scan_id}"[:64]
            scan.marking_status, scan.marking_source = verdict.status, verdict.source
            line.picked_quantity -= scan.quantity
            line.state, line.short_reason = LineState.SHORT, f"marking_{verdict.status}"
            order._record(events.LineShorted(
                order_id=order._id(), occurred_at=now, actor_id=staff_id, line_id=line.id or 0,
                sku=line.product.sku, ordered=line.quantity, picked=line.picked_quantity,
                missing=line.remaining, reason=line.short_reason,
                withdrawn_codes=(scan.marking_code or "",)))
            serial = (scan.marking_code or "")[18:]
            withdrawn.append({**_named(line.product), "serial": serial,
                              "status": verdict.status})
    return withdrawn


def check_form(key: str, tail: str | None, raw: str) -> str:
    """The code to ask the checker about: a cigarette pack's 29 characters as printed
    (no AIs), else the canonical GS1 form, key + GS + crypto tail (whichever form the
    scanner produced: with GS, without, typed in parentheses)."""
    if tail and raw == key[2:16] + key[18:] + tail:
        return raw
    return key + (f"\x1d{tail}" if tail else "")


def handed_over_units(order: Order) -> dict[str, str]:
    """Every live marked unit of the order: its full code (key, GS, tail) -> its key."""
    units = {}
    for line in order.lines:
        for scan in line.live_scans():
            if scan.marking_code:
                form = check_form(scan.marking_code, scan.marking_tail, scan.code)
                units[form] = scan.marking_code
    return units
