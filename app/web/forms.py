"""Form field parsing with messages a person can act on (in their language)."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from app.i18n import gettext as _

_SCAN_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
SCAN_AHEAD = timedelta(minutes=2)    # a phone clock this far ahead is not trusted
SCAN_BEHIND = timedelta(hours=24)    # nor a scan older than this (a phone left offline for days)


class FormError(ValueError):
    """A field value a person typed is unusable; ``str(err)`` is the message."""


def parse_quantity(value: Any) -> int:
    if value in (None, ""):
        return 1
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= 999:
        raise FormError(_("The quantity must be a whole number from 1 to 999."))
    return int(text)


def parse_weight(value: Any, unit: Any = None) -> int:
    """Grams from what a picker typed: '1,25' kg, '1.25', '1250 g', '0,6кг'.

    Without an explicit unit, a number with a decimal separator or below 30 is
    read as kilograms and anything else as grams.
    """
    text = str(value or "").strip().lower().replace(" ", "").replace(",", ".")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(kg|кг|g|г|гр)?", text)
    if not m:
        raise FormError(_("Type the weight as a number, for example 1,25 or 1250."))
    number = Decimal(m.group(1))
    suffix = m.group(2) or str(unit or "")
    if suffix in ("kg", "кг") or (not suffix and ("." in m.group(1) or number < 30)):
        number *= 1000
    try:
        grams = int(number.to_integral_value())
    except InvalidOperation as exc:  # pragma: no cover - regex admits only plain numbers
        raise FormError(_("Type the weight as a number, for example 1,25 or 1250.")) from exc
    if grams <= 0:
        raise FormError(_("The weight must be more than zero."))
    return grams


def parse_confirm(form: Any) -> bool:
    return str(form.get("confirm", "")) in ("1", "true", "on", "yes")


def typed_expiry_from(form: Any) -> date | None:
    """The date a picker typed from the pack (``expiry``, YYYY-MM-DD), or None.
    Raises FormError for anything that is not a real date."""
    value = str(form.get("expiry", "")).strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FormError(_("Type the date on the pack as day, month and year.")) from None


def scan_id_from(form: Any) -> str:
    """The client's idempotency key, or a fresh one if it sent none or junk."""
    value = str(form.get("scan_id", ""))
    return value if _SCAN_ID.match(value) else secrets.token_urlsafe(12)


def scanned_at_from(form: Any, now: datetime) -> tuple[datetime, bool]:
    """The moment the phone says the action was made (``scanned_at``, ms since the epoch).

    A queued scan reaches the server later than it was made, so its own time is
    the better record. Phone clocks are not trusted blindly: a moment more than
    two minutes ahead of ``now`` or more than a day behind it is replaced by
    ``now`` and flagged (True). A missing value is ``now``, not flagged (a
    plain form post without JavaScript is sent as it is made).
    """
    raw = str(form.get("scanned_at", "") or "").strip()
    if not raw:
        return now, False
    try:
        moment = datetime.fromtimestamp(int(raw) / 1000, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return now, True
    if moment > now + SCAN_AHEAD or moment < now - SCAN_BEHIND:
        return now, True
    return moment, False
