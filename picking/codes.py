"""The one interpreter for every code a picker scans or types.

``interpret`` turns the text a scanner, the camera or a picker produced into a
``ScannedCode``: a GTIN, a store scale label, a GS1 element string or a Честный ЗНАК
marking code. Anything else raises ``UnreadableCode`` with a reason fit to show.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from biip.checksums import gs1_price_weight_check_digit

from picking import gs1, gtin
from picking.gs1 import expand_upce
from picking.keyboard import from_russian_layout, typed_in_russian_layout

__all__ = [
    "DEFAULT_LAYOUT",
    "ScaleLayout",
    "ScannedCode",
    "UnreadableCode",
    "expand_upce",
    "interpret",
]

ValueKind = Literal["weight_g", "price_minor"]
CodeKind = Literal["gtin", "scale_label", "gs1", "marking"]
Problem = Literal[
    "empty", "bad_check_digit", "not_a_barcode", "bad_gs1", "too_long", "keyboard_layout"
]

TOBACCO_PACK_LENGTH = 29
"""A cigarette pack's code: GTIN-14, serial 7, price code 4, crypto tail 4, no AIs."""

MAX_CODE_LENGTH = 512
"""Longer text is no product code (a Честный ЗНАК code is under 100 characters)."""

OWN_CODE_PREFIX = "SP-"
"""Our own bag and tote labels; the packing flow reads them, not this module."""

# AIM symbology identifiers that announce GS1 content (FNC1 in first position):
# GS1-128, GS1 DataMatrix (and with ECI), GS1 QR (and with ECI), DataBar, DotCode.
_GS1_AIM = frozenset({"]C1", "]d2", "]d5", "]Q3", "]Q4", "]e0", "]J1"})
# Unflagged GS1 text (a decoder or scanner that drops the AIM id): GTIN or SSCC first.
_GS1_START = re.compile(r"0[12]\d{14}|00\d{18}")
_AIM = re.compile(r"\][A-Za-z][0-9A-Za-z]")
_TRIM = " \t\r\n\x00" + gs1.GS  # Enter from wedge scanners; a leading GS is FNC1
_LAYOUT_BODY = frozenset("IWX$V")
# What a product code starts with: digits, the HRI '(', an AIM id, a Digital Link.
_CODE_START = re.compile(r"[0-9(]|\][A-Za-z]|https?:", re.IGNORECASE)
_CRYPTO_AIS = ("91", "92", "93")  # Честный ЗНАК: verification key id, signature, short tail


class UnreadableCode(ValueError):
    """The scan is not a code a picker can use.

    ``code`` names the problem ('empty', 'bad_check_digit', 'not_a_barcode', 'bad_gs1',
    'too_long', 'keyboard_layout'); ``reason`` is a short English sentence to show the
    picker; ``detail`` (maybe empty) says exactly what was wrong, for logs.
    """

    def __init__(self, code: Problem, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.code: Problem = code
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ScaleLayout:
    """Store scale-label layout, parsed from a pattern string like '2P IIIII WWWWW C'.

    Pattern letters: ``2P`` the two-digit prefix, ``I`` item code (PLU), ``W`` weight
    in grams or ``$`` price in minor units (kopecks), ``V`` the GS1 price check digit
    (4- or 5-digit prices only), ``X`` a digit the store ignores, ``C`` the EAN-13
    check digit. ``pattern`` holds the normalised pattern; when built directly
    without one, the plain ``2P`` + I… + W…/$… + ``C`` pattern is derived.
    """

    prefixes: frozenset[str]
    item_digits: int
    value_digits: int
    value_kind: ValueKind
    pattern: str = field(default="")

    def __post_init__(self) -> None:
        letter = "W" if self.value_kind == "weight_g" else "$"
        if not self.pattern:
            derived = "2P" + "I" * self.item_digits + letter * self.value_digits + "C"
            object.__setattr__(self, "pattern", derived)
        _check_pattern(self.pattern)
        counts = (self.pattern.count("I"), self.pattern.count(letter))
        if counts != (self.item_digits, self.value_digits):
            raise ValueError(f"scale layout {self.pattern!r} does not match its digit counts")
        _check_prefixes(self.prefixes)

    @classmethod
    def parse(cls, pattern: str, prefixes: str = "20-29") -> ScaleLayout:
        """Build a layout from a pattern such as '2P IIIII WWWWW C' and prefixes '20-29'.

        Prefixes are comma-separated two-digit values or ranges ('21,23-25').
        Raises ValueError naming what is wrong with either string.
        """
        compact = pattern.replace(" ", "").upper()
        _check_pattern(compact)
        kind: ValueKind = "weight_g" if "W" in compact else "price_minor"
        return cls(
            prefixes=_parse_prefixes(prefixes),
            item_digits=compact.count("I"),
            value_digits=compact.count("W" if kind == "weight_g" else "$"),
            value_kind=kind,
            pattern=compact,
        )

    def item_slice(self) -> slice:
        """Where the item code sits in the 13 digits."""
        start = self.pattern.index("I")
        return slice(start, start + self.item_digits)

    def value_slice(self) -> slice:
        """Where the weight or price sits in the 13 digits."""
        start = self.pattern.index("W" if self.value_kind == "weight_g" else "$")
        return slice(start, start + self.value_digits)


def _check_pattern(pattern: str) -> None:
    """Raise ValueError unless ``pattern`` (no spaces) is a usable 13-digit layout."""
    if len(pattern) != 13:
        raise ValueError(
            f"scale layout {pattern!r} has {len(pattern)} digits; an EAN-13 label has 13, "
            "counting the '2' of the prefix and the check digit"
        )
    if not pattern.startswith("2P") or pattern[-1] != "C" or "C" in pattern[:-1]:
        raise ValueError(f"scale layout {pattern!r} must start with '2P' and end with one 'C'")
    body = pattern[2:-1]
    if not set(body) <= _LAYOUT_BODY:
        raise ValueError(f"scale layout {pattern!r} may use only the letters I, W, $, V, X")
    _check_fields(pattern, body)


def _check_fields(pattern: str, body: str) -> None:
    """Raise ValueError unless the item and value fields of ``body`` make sense."""
    if ("W" in body) == ("$" in body):
        raise ValueError(f"scale layout {pattern!r} needs either weight (W) or price ($) digits")
    for letter in "IW$":
        if letter * body.count(letter) not in body:
            raise ValueError(f"scale layout {pattern!r} must keep its {letter} digits together")
    if not 3 <= body.count("I") <= 6:
        raise ValueError(f"scale layout {pattern!r} needs 3 to 6 item code (I) digits")
    if body.count("V") > 1 or ("V" in body and body.count("$") not in (4, 5)):
        raise ValueError(
            f"scale layout {pattern!r}: a price check digit (V) needs a 4- or 5-digit price ($)"
        )


def _parse_prefixes(text: str) -> frozenset[str]:
    """'20-29' or '21,23-25' → the two-digit prefixes. Raises ValueError if malformed."""
    prefixes: set[str] = set()
    for part in text.replace(" ", "").split(","):
        match = re.fullmatch(r"(\d\d)(?:-(\d\d))?", part)
        if match is None:
            raise ValueError(f"scale prefixes {text!r}: {part!r} is not NN or NN-NN")
        low, high = int(match[1]), int(match[2] or match[1])
        if low > high:
            raise ValueError(f"scale prefixes {text!r}: range {part!r} runs backwards")
        prefixes.update(f"{n:02d}" for n in range(low, high + 1))
    result = frozenset(prefixes)
    _check_prefixes(result)
    return result


def _check_prefixes(prefixes: frozenset[str]) -> None:
    """Raise ValueError unless every prefix is a restricted-circulation '20'–'29'."""
    if not prefixes or any(not re.fullmatch(r"2\d", p) for p in prefixes):
        raise ValueError(f"scale prefixes must be two digits from 20 to 29, got {sorted(prefixes)}")


DEFAULT_LAYOUT = ScaleLayout.parse("2P IIIII WWWWW C")


@dataclass(frozen=True)
class ScannedCode:
    """What a scan means. ``gtin`` is always 14 digits; scale labels carry ``plu`` instead.

    ``raw`` is the content as scanned, trimmed, without an AIM symbology id, with GS
    stand-ins turned into ASCII 29: for a marking, the whole code to hand to the OMS.

    A Честный ЗНАК unit reaches us in several forms (with GS, with GS dropped, typed
    from the label in parentheses); ``marking_key`` is the same for all of them:
    ``01`` + GTIN-14 + ``21`` + serial, the identity of the unit, to store and compare.
    ``marking_tail`` keeps the crypto tail beside it: the 91/92/93 element strings
    (AI and value) joined by GS, so ``marking_key + GS + marking_tail`` is the code in
    its canonical GS1 form. Both are None for anything that is not a marking.
    """

    kind: CodeKind
    raw: str
    gtin: str | None = None
    plu: str | None = None
    weight_g: int | None = None
    price_minor: int | None = None
    serial: str | None = None
    batch: str | None = None
    expiry: dt.date | None = None
    is_marking: bool = False
    marking_key: str | None = None
    marking_tail: str | None = None


def interpret(raw: str, layout: ScaleLayout = DEFAULT_LAYOUT) -> ScannedCode:
    """Interpret one scan (scanner text, camera result or typed label text).

    Accepts GTIN-8/12/13/14, scale labels per ``layout``, GS1 element strings (raw
    with GS or a stand-in, AIM-prefixed, or in parentheses), GS1 Digital Link URIs,
    Честный ЗНАК codes with or without GS and tobacco pack codes. Text a wedge scanner
    typed through the Russian keyboard layout is read back when that gives a valid
    code, and refused with 'keyboard_layout' when it does not. Raises UnreadableCode
    for anything else.
    """
    aim, data = _unwrap(raw)
    if typed_in_russian_layout(data):
        return _from_russian_layout(raw, layout)
    if aim in _GS1_AIM or gs1.GS in data:
        return _from_elements(data, _split(gs1.parse_raw, data))
    if data.startswith("("):
        return _from_elements(data, _split(gs1.parse_hri, data))
    pack = _tobacco_pack(data)
    if pack is None or _GS1_START.match(data):
        try:
            return _plain(data, layout, aim)
        except UnreadableCode:
            if pack is None:
                raise
    return pack


def _plain(data: str, layout: ScaleLayout, aim: str) -> ScannedCode:
    """Digits, GS1 without separators or a Digital Link; raises UnreadableCode."""
    if data.isascii() and data.isdigit():
        return _from_digits(data, layout, upce=aim == "]E0")
    if _GS1_START.match(data):  # e.g. Честный ЗНАК from a scanner that drops AIM and GS
        return _from_elements(data, _split(gs1.parse_raw, data))
    link = gs1.parse_digital_link(data) if data.lower().startswith("http") else None
    if link is not None:
        return _from_elements(data, link)
    raise UnreadableCode("not_a_barcode", "This is not a product code.")


def _tobacco_pack(data: str) -> ScannedCode | None:
    """A Честный ЗНАК cigarette pack code, or None: 29 characters without AIs.

    GTIN-14, a 7-character serial, a 4-character price code and a 4-character crypto
    tail. The key is written as a GS1 code would have it (01 GTIN 21 serial); the tail
    keeps the price code and the crypto tail, the 8 characters as printed.
    """
    if len(data) != TOBACCO_PACK_LENGTH or not set(data) <= gs1.CSET82:
        return None
    code, serial, tail = data[:14], data[14:21], data[21:]
    if not gtin.is_valid(code):
        return None
    return ScannedCode(kind="marking", raw=data, gtin=code, serial=serial, is_marking=True,
                       marking_key=f"01{code}21{serial}", marking_tail=tail)


def _from_russian_layout(raw: str, layout: ScaleLayout) -> ScannedCode:
    """The code a scan typed in the Russian layout stands for, read back to Latin.

    Cyrillic is never part of a product code (GS1 data is ASCII), so the text is only
    ever used read back. A Честный ЗНАК code must read back as a whole marking: GS is
    often lost on the way, and a half-understood code would be stored with a wrong
    serial. Text mixing Cyrillic and Latin letters was not typed through one layout
    and is not read back. Raises UnreadableCode('keyboard_layout') when the text looked
    like a code but does not read back as one, and the read-back text's own error otherwise.
    """
    latin = from_russian_layout(raw)
    looks_like_a_code = _CODE_START.match(latin.strip(_TRIM)) is not None
    if any(ch.isascii() and ch.isalpha() for ch in raw):
        if not looks_like_a_code:
            raise UnreadableCode("not_a_barcode", "This is not a product code.")
        raise _wrong_layout("Cyrillic and Latin letters mixed")
    try:
        code = interpret(latin, layout)
    except UnreadableCode as exc:
        if not looks_like_a_code:
            raise
        raise _wrong_layout(f"read back as {latin[:64]!r}: {exc.detail or exc.reason}") from exc
    if gs1.GS not in code.raw and gs1.is_marking_head(code.raw) and not code.is_marking:
        raise _wrong_layout(f"read back as {latin[:64]!r}: no known marking code shape")
    return code


def _wrong_layout(detail: str) -> UnreadableCode:
    return UnreadableCode(
        "keyboard_layout",
        "The scanner typed this code in the Russian keyboard layout: "
        "switch the keyboard layout to English and scan again.",
        detail,
    )


def _unwrap(raw: str) -> tuple[str, str]:
    """The AIM symbology id (or '') and the content, trimmed, with GS stand-ins replaced.

    Raises UnreadableCode for nothing, for too much, and for our own bag labels.
    """
    text = raw.strip(_TRIM)
    if not text:
        raise UnreadableCode("empty", "Nothing was scanned.")
    if len(text) > MAX_CODE_LENGTH:
        raise UnreadableCode("too_long", "The scan is too long to be a product code.")
    aim = text[:3] if _AIM.match(text) else ""
    data = gs1.normalise_separators(text[len(aim) :]).strip(_TRIM)
    if data.startswith(OWN_CODE_PREFIX):
        raise UnreadableCode("not_a_barcode", "This is a storepick bag label, not a product code.")
    return aim, data


def _from_digits(digits: str, layout: ScaleLayout, *, upce: bool = False) -> ScannedCode:
    """A plain run of digits: GTIN, scale label or an unseparated GS1 string.

    Eight digits are EAN-8, unless the AIM prefix said EAN/UPC (']E0', so UPC-E) or
    the EAN-8 check fails while the UPC-E one holds: scanners verify check digits
    before sending, so such a code is a UPC-E sent unexpanded.
    """
    scanned = digits
    if len(digits) == 8 and (upce or not gtin.is_valid(digits)):
        digits = expand_upce(digits) or digits
    if len(digits) in gtin.GTIN_LENGTHS:
        if not gtin.is_valid(digits):
            raise UnreadableCode("bad_check_digit", "The check digit is wrong: scan again.")
        if len(digits) == 13 and digits[:2] in layout.prefixes:
            return _scale_label(digits, layout)
        return ScannedCode(kind="gtin", raw=scanned, gtin=gtin.to_gtin14(digits))
    if _GS1_START.match(digits):
        return _from_elements(digits, _split(gs1.parse_raw, digits))
    raise UnreadableCode("not_a_barcode", f"A {len(digits)}-digit number is not a product barcode.")


def _scale_label(digits: str, layout: ScaleLayout) -> ScannedCode:
    """Read item code and weight or price from a valid EAN-13 in the store's layout."""
    value_digits = digits[layout.value_slice()]
    if "V" in layout.pattern:
        expected = gs1_price_weight_check_digit(value_digits)
        if int(digits[layout.pattern.index("V")]) != expected:
            raise UnreadableCode("bad_check_digit", "The price check digit is wrong: scan again.")
    weighed = layout.value_kind == "weight_g"
    return ScannedCode(
        kind="scale_label",
        raw=digits,
        plu=digits[layout.item_slice()],
        weight_g=int(value_digits) if weighed else None,
        price_minor=None if weighed else int(value_digits),
    )


def _split(parser: Callable[[str], list[gs1.Element]], data: str) -> list[gs1.Element]:
    """Run a gs1 splitter, turning its errors into UnreadableCode('bad_gs1')."""
    try:
        return parser(data)
    except gs1.Gs1Error as exc:
        raise UnreadableCode(
            "bad_gs1", "The GS1 data in this code is malformed.", str(exc)
        ) from exc


def _from_elements(raw: str, elements: list[gs1.Element]) -> ScannedCode:
    """Collect the fields a picker needs from GS1 element strings."""
    values: dict[str, str] = {}
    for element in elements:
        values.setdefault(element.ai, element.value)
    code = values.get("01")
    if code is not None and not gtin.is_valid(code):
        raise UnreadableCode("bad_check_digit", "The GTIN in this code has a wrong check digit.")
    is_marking = code is not None and "21" in values and _has_crypto_tail(values)
    key = tail = None
    if is_marking:
        key = f"01{code}21{values['21']}"
        tail = gs1.GS.join(e.ai + e.value for e in elements if e.ai in _CRYPTO_AIS)
    return ScannedCode(
        kind="marking" if is_marking else "gs1",
        raw=raw,
        gtin=code,
        weight_g=gs1.net_weight_g(elements),
        serial=values.get("21"),
        batch=values.get("10"),
        expiry=_expiry(values.get("17") or values.get("15")),  # use-by, else best-before
        is_marking=is_marking,
        marking_key=key,
        marking_tail=tail,
    )


def _has_crypto_tail(values: dict[str, str]) -> bool:
    """Честный ЗНАК signs each code: key id 91 + signature 92, or the short 93."""
    return "93" in values or {"91", "92"} <= values.keys()


def _expiry(value: str | None) -> dt.date | None:
    """The AI 17 date; raises UnreadableCode('bad_gs1') for an impossible one."""
    if value is None:
        return None
    try:
        return gs1.expiry_date(value)
    except gs1.Gs1Error as exc:
        raise UnreadableCode(
            "bad_gs1", "The expiry date in this code is impossible.", str(exc)
        ) from exc
