"""GS1 element strings: splitting them into (AI, value) pairs and reading the values we use.

Pure helpers for ``picking.codes``, with UPC-E expansion. Splitting relies on biip's
table of application identifiers; dates and weights are read here, because biip
resolves the century of a two-digit year from the system clock and the domain must
not depend on one.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import string
from dataclasses import dataclass

from biip import ParseConfig, ParseError
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_messages import GS1Message

from picking import gtin

GS = "\x1d"
"""ASCII 29, the group separator that ends a variable-length field."""

# Keyboard-wedge scanners cannot type ASCII 29, so they are set up to send a stand-in.
# Each of these is text no real product data contains.
_GS_STAND_INS = ("<GS>", "<gs>", "{GS}", "[GS]", "\\u001d", "\\u001D", "\\x1d", "\\x1D")

# biip verifies dates against the clock-dependent century rule; we check dates ourselves.
_CONFIG = ParseConfig(gs1_element_strings_verify_date=False)

# Честный ЗНАК codes whose scanner dropped the GS characters: with no separator to end
# the serial, only the known shapes (serial length, then fixed-length crypto tail AIs)
# can be split. The lengths come from the marking operator's published formats.
_MARKING_SHAPES: tuple[tuple[int, tuple[tuple[str, int], ...]], ...] = (
    (13, (("91", 4), ("92", 44))),
    (6, (("93", 4),)),
    (7, (("93", 4),)),
    (13, (("93", 4),)),
    (7, (("8005", 6), ("93", 4))),  # a block of cigarettes: serial 7, max retail price
)
# GS1 AI encodable character set 82: all a serial or crypto tail may hold.
CSET82 = frozenset(string.ascii_letters + string.digits + "!\"%&'()*+,-./:;<=>?_")
_WEIGHT_TAIL = re.compile(r"310[0-5]\d{6}")  # weighed dairy append (310n) after the tail
_MARKING_HEAD = re.compile(r"01\d{14}21")
# The same codes typed from the label: a serial may itself hold parentheses, so the
# fixed-length crypto tail at the end, not the next "(", says where the serial ends.
_MARKING_HRI = re.compile(
    r"\(01\)(?P<gtin>\d{14})\(21\)(?P<serial>.{1,20})"
    r"(?:\(91\)(?P<key>.{4})\(92\)(?P<sig>.{44})|\(93\)(?P<short>.{4}))"
    r"(?:\((?P<wai>310[0-5])\)(?P<weight>\d{6}))?",
    re.DOTALL,
)


class Gs1Error(ValueError):
    """The text is not a well-formed GS1 element string; the message says why."""


@dataclass(frozen=True)
class Element:
    """One GS1 element string: application identifier and its value."""

    ai: str
    value: str


def normalise_separators(text: str) -> str:
    """Replace the textual stand-ins wedge scanners send for GS with ASCII 29."""
    for stand_in in _GS_STAND_INS:
        if stand_in in text:
            text = text.replace(stand_in, GS)
    return text


def parse_raw(data: str) -> list[Element]:
    """Split a raw element string (no symbology prefix, GS-separated) into elements.

    Честный ЗНАК codes without separators are split by their known shapes first.
    Raises Gs1Error when the data does not follow the GS1 AI rules.
    """
    marking = split_marking_without_gs(data)
    if marking is not None:
        return marking
    try:
        message = GS1Message.parse(data.strip(GS), config=_CONFIG)
    except (ParseError, ValueError) as exc:
        raise Gs1Error(str(exc)) from exc
    return [Element(es.ai.ai, es.value) for es in message.element_strings]


def parse_hri(text: str) -> list[Element]:
    """Split the human-readable form ``(01)…(3103)…`` into elements.

    Честный ЗНАК codes are split by their fixed-length crypto tail first.
    Raises Gs1Error when an AI is unknown or a value does not fit its AI.
    """
    marking = split_marking_hri(text)
    if marking is not None:
        return marking
    try:
        message = GS1Message.parse_hri(text, config=_CONFIG)
    except (ParseError, ValueError) as exc:
        raise Gs1Error(str(exc)) from exc
    return [Element(es.ai.ai, es.value) for es in message.element_strings]


def parse_digital_link(url: str) -> list[Element] | None:
    """Elements of a GS1 Digital Link URI (``https://…/01/<GTIN>/…``), or None if it is not one."""
    try:
        link = GS1DigitalLinkURI.parse(url, config=_CONFIG)
    except (ParseError, ValueError):
        return None
    return [Element(es.ai.ai, es.value) for es in link.element_strings]


def is_marking_head(data: str) -> bool:
    """True when ``data`` starts as a Честный ЗНАК code: ``01`` + 14 digits + ``21``."""
    return _MARKING_HEAD.match(data) is not None


def split_marking_hri(text: str) -> list[Element] | None:
    """Split ``(01)…(21)…(91)…(92)…`` or ``(01)…(21)…(93)…`` (+ ``(310n)``), or None."""
    match = _MARKING_HRI.fullmatch(text)
    if match is None or not set(text) <= CSET82:
        return None
    found = match.groupdict()
    pairs = [("01", found["gtin"]), ("21", found["serial"]), ("91", found["key"]),
             ("92", found["sig"]), ("93", found["short"]), (found["wai"], found["weight"])]
    return [Element(ai, value) for ai, value in pairs if ai is not None and value is not None]


def split_marking_without_gs(data: str) -> list[Element] | None:
    """Split a Честный ЗНАК code whose GS characters were dropped, or None if no shape fits.

    The code must start ``01`` + 14 digits + ``21`` and have no GS at all.
    """
    if GS in data or not _MARKING_HEAD.match(data) or not set(data) <= CSET82:
        return None
    head = [Element("01", data[2:16])]
    rest = data[18:]
    for serial_length, tail in _MARKING_SHAPES:
        elements = _match_shape(rest, serial_length, tail)
        if elements is not None:
            return head + elements
    return None


def _match_shape(
    rest: str, serial_length: int, tail: tuple[tuple[str, int], ...]
) -> list[Element] | None:
    """Elements if ``rest`` is exactly serial + tail (+ an optional 310n weight)."""
    elements = [Element("21", rest[:serial_length])]
    pos = serial_length
    for ai, length in tail:
        start = pos + len(ai)
        if rest[pos:start] != ai or len(rest) < start + length:
            return None
        elements.append(Element(ai, rest[start : start + length]))
        pos = start + length
    leftover = rest[pos:]
    if not leftover:
        return elements
    if _WEIGHT_TAIL.fullmatch(leftover):
        return [*elements, Element(leftover[:4], leftover[4:])]
    return None


def expiry_date(value: str) -> dt.date:
    """The date of a YYMMDD field; day 00 means the last day of the month (GS1 7.12).

    The year is taken as 20YY: GS1's sliding century window needs today's date and
    only differs for dates 50+ years away from it. Raises Gs1Error for an impossible date.
    """
    if len(value) != 6 or not value.isdigit():
        raise Gs1Error(f"date {value!r} is not YYMMDD")
    year, month, day = 2000 + int(value[:2]), int(value[2:4]), int(value[4:])
    if not 1 <= month <= 12:
        raise Gs1Error(f"date {value!r} has month {month}")
    last = calendar.monthrange(year, month)[1]
    if day == 0:
        day = last
    if day > last:
        raise Gs1Error(f"date {value!r} has day {day}, the month has {last}")
    return dt.date(year, month, day)


def expand_upce(code: str) -> str | None:
    """The 12-digit UPC-A a UPC-E code stands for, or None if ``code`` is not a valid UPC-E.

    UPC-E has 8 digits: number system 0 or 1, six payload digits, the UPC-A check digit.
    Where the zeros go depends on the last payload digit (GS1 General Specifications).
    """
    if len(code) != 8 or not (code.isascii() and code.isdigit()) or code[0] not in "01":
        return None
    d = code[1:7]
    if d[5] in "012":
        body = d[0:2] + d[5] + "0000" + d[2:5]
    elif d[5] == "3":
        body = d[0:3] + "00000" + d[3:5]
    elif d[5] == "4":
        body = d[0:4] + "00000" + d[4]
    else:
        body = d[0:5] + "0000" + d[5]
    upca = code[0] + body + code[7]
    return upca if gtin.is_valid(upca) else None


def net_weight_g(elements: list[Element]) -> int | None:
    """Grams from the first 310n element, if any."""
    for element in elements:
        if is_net_weight_kg(element.ai):
            return weight_grams(element.ai, element.value)
    return None


def is_net_weight_kg(ai: str) -> bool:
    """True for AI 3100–3105, net weight in kilograms with n decimals."""
    return len(ai) == 4 and ai.startswith("310") and ai[3] in "012345"


def weight_grams(ai: str, value: str) -> int:
    """Grams in a 310n field: ``value`` kg with n decimals, rounded half up to a gram."""
    decimals = int(ai[3])
    number = int(value)
    if decimals <= 3:
        return number * _POWERS_OF_TEN[3 - decimals]
    divisor = _POWERS_OF_TEN[decimals - 3]
    return (number + divisor // 2) // divisor


_POWERS_OF_TEN = (1, 10, 100, 1000)
