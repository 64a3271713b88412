"""Languages (per person) and formats (per store locale).

Messages live in ``app/locale/<lang>/LC_MESSAGES/*.po`` (one file per feature
area, merged) and are compiled in memory at start-up, so there is no build step.
The active language is a context variable set per request; Jinja's i18n
extension reads it through the callables installed here.
"""

from __future__ import annotations

import contextvars
import io
import re
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations

LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"
LOCALE_DIR = Path(__file__).parent / "locale"

_language: contextvars.ContextVar[str] = contextvars.ContextVar("language",
                                                                default=DEFAULT_LANGUAGE)


@cache
def translations(language: str) -> NullTranslations:
    merged: NullTranslations = NullTranslations()
    for po_path in sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=language)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        part = Translations(buffer)
        if isinstance(merged, Translations):
            merged.merge(part)
        else:
            merged = part
    return merged


def set_language(language: str | None) -> str:
    chosen = language if language in LANGUAGES else DEFAULT_LANGUAGE
    _language.set(chosen)
    return chosen


def current_language() -> str:
    return _language.get()


def gettext(message: str, **params: object) -> str:
    text = keep_counts(translations(current_language()).gettext(message))
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    text = ngettext_format(singular, plural, n)
    params.setdefault("num", n)
    return text % params


def ngettext_format(singular: str, plural: str, n: int) -> str:
    """The translated form for ``n``, not yet formatted (Jinja formats it itself)."""
    return keep_counts(translations(current_language()).ngettext(singular, plural, n))


_ = gettext


NBSP = "\u00a0"

# A count in a sentence: "%(picked)s of %(total)s", "%(k)s из %(n)s".
_COUNT = re.compile(r"(%\(\w+\)[sd]) (of|из) (%\(\w+\)[sd])")


@lru_cache(maxsize=4096)
def keep_counts(text: str) -> str:
    """A translated sentence whose counts are read as one figure: "3 of 12" is joined by
    no-break spaces, so a narrow screen never ends a line with "Собрано 3 из" and starts
    the next with "12". Every message goes through here, in both languages."""
    return _COUNT.sub(f"\\1{NBSP}\\2{NBSP}\\3", text)


def duration(minutes: int) -> str:
    """A span of whole minutes as a person reads it at a glance: "45 min",
    "2 h 15 min", "3 d 4 h" (a week-old order is not "10,080 min" late).
    Days drop the minutes: past a day, minutes are noise. Its spaces do not break,
    so a narrow screen never leaves "ч" alone on the next line."""
    return _span(max(0, int(minutes))).replace(" ", NBSP)


def _span(minutes: int) -> str:
    if minutes < 60:
        return gettext("%(min)s min", min=minutes)
    hours, mins = divmod(minutes, 60)
    if hours < 24:
        return (gettext("%(h)s h %(min)s min", h=hours, min=mins) if mins
                else gettext("%(h)s h", h=hours))
    days, hours = divmod(hours, 24)
    return gettext("%(d)s d %(h)s h", d=days, h=hours) if hours else gettext("%(d)s d", d=days)


def pick_language(accept_language: str | None) -> str:
    """The first supported language named in an Accept-Language header."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE


@cache
def _locale(locale: str) -> Locale:
    return Locale.parse(locale)


def money(minor: int, currency: str = "RUB", locale: str = "ru_RU") -> str:
    return format_currency(Decimal(minor) / 100, currency, locale=_locale(locale))


def number(value: float | int | Decimal, locale: str = "ru_RU", digits: int = 0) -> str:
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale(locale))


def weight(grams: int, locale: str = "ru_RU") -> str:
    """Grams as the trade writes them: '1,250 кг' / '1.250 kg'; under 1 kg in grams. The
    number and its unit are joined by a no-break space: a narrow screen never ends a line
    with '1,250' and starts the next with 'кг'."""
    if abs(grams) < 1000:
        return f"{number(grams, locale)}{NBSP}{gettext('g')}"
    return f"{number(Decimal(grams) / 1000, locale, digits=3)}{NBSP}{gettext('kg')}"
