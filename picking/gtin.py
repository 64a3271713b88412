"""GTIN arithmetic: check digits and the 14-digit form every comparison uses."""

from __future__ import annotations

GTIN_LENGTHS = (8, 12, 13, 14)


class InvalidGtin(ValueError):
    """The digits are not a GTIN: wrong length, non-digits or a bad check digit."""


def check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for ``body`` (all digits but the last)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return (10 - total % 10) % 10


def is_valid(code: str) -> bool:
    """True when ``code`` is a GTIN-8/12/13/14 with a correct check digit."""
    return (
        code.isascii()
        and code.isdigit()
        and len(code) in GTIN_LENGTHS
        and check_digit(code[:-1]) == int(code[-1])
    )


def to_gtin14(code: str) -> str:
    """Normalise a GTIN of any length to 14 digits, left-padded with zeros.

    Raises InvalidGtin when the code is not a valid GTIN.
    """
    if not (code.isascii() and code.isdigit()) or len(code) not in GTIN_LENGTHS:
        raise InvalidGtin(f"not a GTIN: {code!r}")
    if check_digit(code[:-1]) != int(code[-1]):
        raise InvalidGtin(f"bad check digit: {code!r}")
    return code.zfill(14)


def complete(body: str) -> str:
    """Append the check digit to ``body`` (handy for building codes)."""
    return body + str(check_digit(body))
