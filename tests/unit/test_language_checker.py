"""The checker behind the language-leak test finds what a reader would trip over."""

from __future__ import annotations

from tests.support.language import leaks, visible_text


def test_it_reads_text_buttons_and_placeholders_but_not_scripts_or_code() -> None:
    html = ('<p>Сборка</p><input type="text" placeholder="Скан" value="Shelf 1">'
            '<input type="hidden" value="secret"><script>var x = "hello"</script>'
            '<code>HTTP 409 conflict</code><div translate="no">SP-BAG:E-1</div><p>Пакет</p>')
    assert visible_text(html) == "Сборка Скан Shelf 1 Пакет"


def test_a_russian_page_with_english_words_and_an_english_page_with_russian_ones_leak() -> None:
    assert leaks("<p>Молоко 650 г 650 g · per kg</p>", "ru") == ["g", "per", "kg"]
    assert leaks("<p>Milk · к 12:30</p>", "en") == ["к"]


def test_data_codes_times_and_allowed_names_are_not_leaks() -> None:
    page = "<p>Вино Jack Daniel's 0,7 л · SP-BAG:E-1:1:2:ambient:KP · 12:30 · OK · Анна</p>"
    assert leaks(page, "ru", data=["Вино Jack Daniel's 0,7 л"]) == []
    assert leaks("<p>Order for Анна, Тверская 7</p>", "en", data=["Анна", "Тверская 7"]) == []
