"""Staging places (where packed bags wait) in a form every reader's language can show.

A packer types or picks "Полка 2" or "Shelf 2"; the store keeps ``shelf 2``
and each reader sees the place word in their own language. Places that are not
a shelf, fridge or freezer (a trolley, "у кассы") are kept as typed.
"""

from __future__ import annotations

from app import i18n
from app.i18n import gettext as _
from app.web.labels import N_

PLACES = {"shelf": N_("Shelf"), "fridge": N_("Fridge"), "freezer": N_("Freezer")}


def _names(key: str) -> set[str]:
    word = PLACES[key]
    return {key, word.lower()} | {i18n.translations(lang).gettext(word).lower()
                                  for lang in i18n.LANGUAGES}


def stored_place(typed: str) -> str:
    """What the store keeps for a typed place: ``shelf 2`` for "Полка 2" or "Shelf 2"."""
    text = " ".join(typed.split())
    first, _sep, rest = text.partition(" ")
    for key in PLACES:
        if first.lower() in _names(key):
            return f"{key} {rest}".strip()
    return text


def place_label(stored: str) -> str:
    """A kept place in the reader's language ("Полка 2" / "Shelf 2")."""
    first, sep, rest = stored_place(stored).partition(" ")
    return f"{_(PLACES[first])}{sep}{rest}" if first in PLACES else stored
