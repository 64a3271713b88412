"""What a staff push says, in the reader's language."""

from __future__ import annotations

import pytest

from app import i18n
from app.push import Notice, words
from tests.support.language import leaks

KINDS = ("assigned", "answered", "cancelled", "customer_here", "over_limit", "dead_letters")


@pytest.mark.parametrize("kind", KINDS)
def test_each_notice_reads_wholly_in_russian_and_in_english(kind: str) -> None:
    notice = Notice((1,), kind, 7, "3" if kind == "dead_letters" else "A-7", "/")
    for language in ("ru", "en"):
        i18n.set_language(language)
        title, body = words(notice)
        assert title and body
        assert leaks(f"<p>{title}</p><p>{body}</p>", language, ["A-7"]) == [], (language, kind)
    i18n.set_language("en")
