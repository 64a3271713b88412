"""Text a keyboard-wedge scanner typed through the Russian keyboard layout, read back.

A wedge scanner presses keys; with the Russian (ЙЦУКЕН) layout on, the keys of
Latin letters and of some symbols come out Cyrillic or as other symbols: ``q`` → ``й``,
``Q`` → ``Й``, ``;`` → ``ж``, ``/`` → ``.``, ``?`` → ``,``, ``@`` → ``"``… Digits and
``! % ( ) * + - = _`` are where they are on both layouts. The mapping below is the
standard Windows layout (the same keys on Android's and macOS's "Russian – PC").
"""

from __future__ import annotations

_LATIN = (
    "`qwertyuiop[]asdfghjkl;'zxcvbnm,./"
    '~QWERTYUIOP{}ASDFGHJKL:"ZXCVBNM<>?'
    "@#$^&|"
)
_RUSSIAN = (
    "ёйцукенгшщзхъфывапролджэячсмитьбю."
    "ЁЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮ,"
    '"№;:?/'
)
assert len(_LATIN) == len(_RUSSIAN) == len(set(_RUSSIAN))

_BACK = str.maketrans(_RUSSIAN, _LATIN)
_RUSSIAN_ONLY = frozenset(ch for ch in _RUSSIAN if not ch.isascii())


# The same keys for a page's script (the sign-in's store field): one table, not a copy.
LAYOUT_KEYS = {"russian": _RUSSIAN, "latin": _LATIN}


def typed_in_russian_layout(text: str) -> bool:
    """True when ``text`` holds a character only the Russian layout types (Cyrillic, №)."""
    return any(ch in _RUSSIAN_ONLY for ch in text)


def from_russian_layout(text: str) -> str:
    """The text the keys pressed would have typed in the US English layout."""
    return text.translate(_BACK)
