"""Finds text a person reads in the wrong language: Latin words on a Russian page,
Cyrillic words on an English one.

``visible_text`` keeps what a reader meets (text, button values, placeholders,
titles, aria-labels, datalist suggestions), not scripts, styles, ``<code>``
(raw machine answers) or elements marked ``translate="no"`` (codes).
``leaks`` strips the page's *data* first (product
names in the page's language, customer and staff names, addresses, order ids),
then every token that holds a digit or a colon (codes, times, money), and
reports the words that remain in the other script.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser

SKIPPED = {"script", "style", "code", "noscript", "template"}  # and translate="no"
VOID = {"input", "br", "img", "meta", "link", "hr", "source", "wbr", "area", "col"}
READ_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
LATIN = re.compile(r"[A-Za-z]")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
# Words a reader meets on purpose: the app's name, the language switch (each language
# named in itself), format names (QR, DataMatrix: barcode symbologies, written in Latin
# in Russian too).
ALLOWED_LATIN = {"storepick", "OK", "QR", "DataMatrix", "EN", "RU", "English"}
ALLOWED_CYRILLIC = {"Русский"}


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.open: list[tuple[str, bool]] = []  # tag, whether it started a skip

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in VOID:
            if not self.skipping:
                self._read(tag, found)
            return
        skip = tag in SKIPPED or found.get("translate") == "no"
        self.open.append((tag, skip))
        if skip:
            self.skipping += 1
        if not self.skipping:
            self._read(tag, found)

    def _read(self, tag: str, found: dict[str, str | None]) -> None:
        self.parts += [found[a] or "" for a in READ_ATTRIBUTES if found.get(a)]
        kind = (found.get("type") or "text").lower()
        if tag == "input" and kind in ("text", "submit", "button") and found.get("value"):
            self.parts.append(found["value"] or "")
        if tag == "option" and found.get("value") and "label" in found:
            self.parts.append(found["label"] or "")

    def handle_endtag(self, tag: str) -> None:
        if all(opened != tag for opened, _skip in self.open):
            return  # a stray end tag closes nothing
        while self.open:
            opened, skip = self.open.pop()
            self.skipping -= skip
            if opened == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def leaks(html: str, language: str, data: Iterable[str] = ()) -> list[str]:
    """Words of the other language on a page in ``language`` ("ru" or "en")."""
    text = visible_text(html)
    for value in sorted({d for d in data if d}, key=len, reverse=True):
        text = text.replace(value, " ")
    wrong, allowed = (LATIN, ALLOWED_LATIN) if language == "ru" else (CYRILLIC,
                                                                       ALLOWED_CYRILLIC)
    found = []
    for token in text.split():
        word = token.strip(".,;:!?()[]«»\"'·—–-/%+×✓○↑")
        if not word or any(ch.isdigit() for ch in token) or ":" in token or word in allowed:
            continue
        if wrong.search(word):
            found.append(word)
    return found
