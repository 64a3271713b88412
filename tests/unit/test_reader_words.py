"""Stored keys and neutral catalog text read in the reader's language: events, places, sizes."""

from __future__ import annotations

import pytest

from app import i18n
from app.web.board import EVENT_LABELS, event_label
from app.web.places import place_label, stored_place
from app.web.sizes import price_basis, size_text
from picking.events import EVENT_TYPES
from picking.model import Product


@pytest.fixture(autouse=True)
def russian() -> object:
    i18n.set_language("ru")
    yield
    i18n.set_language("ru")


def product(name_ru: str, name_en: str, size: str, amount: int | None,
            unit: str = "piece") -> Product:
    return Product(store_id=1, sku="x", name_ru=name_ru, name_en=name_en, unit=unit,
                   price_minor=100, size_text=size, size_amount=amount)


def test_every_event_type_has_a_name_in_both_languages() -> None:
    assert sorted(set(EVENT_TYPES) - set(EVENT_LABELS)) == []
    assert event_label("OrderPicked") == "Сборка завершена"
    i18n.set_language("en")
    assert event_label("OrderPicked") == "Picking finished"


def test_a_place_typed_in_either_language_is_kept_neutral_and_read_in_the_readers() -> None:
    assert stored_place("Shelf  1") == stored_place("полка 1") == "shelf 1"
    assert stored_place("у кассы") == "у кассы"
    assert place_label("shelf 1") == place_label("Shelf 1") == "Полка 1"  # old rows too
    i18n.set_language("en")
    assert place_label("fridge 2") == "Fridge 2" and place_label("у кассы") == "у кассы"


def test_a_size_is_translated_and_left_out_when_the_name_already_says_it() -> None:
    bread = product("Хлеб белый", "White bread", "400 g", 400)
    water = product("Вода 1,5 л", "Still water 1.5 l", "1.5 l", 1500)
    assert (size_text(bread), size_text(water)) == ("400\u00a0г", "")  # never "400" / "г"
    assert size_text(product("Бананы", "Bananas", "per kg", None, "weight")) == ""
    assert size_text(product("Салфетки", "Napkins", "10 pcs", None)) == "10\u00a0шт"
    i18n.set_language("en")
    assert (size_text(bread), size_text(water)) == ("400\u00a0g", "")
    assert size_text(product("Тест", "Test", "2 упаковки", None)) == "2 упаковки"  # as sent


def test_unit_prices_compare_drinks_per_litre_and_food_per_kilo() -> None:
    assert price_basis(product("Кефир", "Kefir", "900 ml", 900)) == "l"
    assert price_basis(product("Хлеб", "Bread", "400 g", 400)) == "kg"
    assert price_basis(product("Салфетки", "Napkins", "10 pcs", 10)) is None


def test_a_shown_name_keeps_each_number_on_its_unit_s_line_and_nothing_else_changes() -> None:
    from picking.lines import shown_name

    nb = "\u00a0"
    assert shown_name("Конфеты Merci ассорти 210 г") == f"Конфеты Merci ассорти 210{nb}г"
    assert shown_name("Пиво Hell 5,2% 0,5 л") == f"Пиво Hell 5,2% 0,5{nb}л"
    assert shown_name("Milk 3.2 % 930 ml") == f"Milk 3.2{nb}% 930{nb}ml"
    for kept in ("Bananas, per kg", "Water 1.5 litres", "Кефир", "Салфетки 3 упаковки"):
        assert shown_name(kept) == kept  # no number before a short word: as sent
