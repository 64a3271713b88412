"""A sentence with a count agrees with it: "1 bag", "1 try left", "1 day left", never
"1 bags" in English, and Russian takes its three forms ("1 попытка", "2 попытки",
"5 попыток")."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from app import i18n, push
from app.factory import _jinja_env
from app.web import error_table, marking_words
from picking import errors
from tests.unit.test_translations import extracted_messages

# A number put before an English plural noun, in a sentence that has no singular form.
COUNTED = re.compile(r"%\((\w+)\)s (?:[a-z]+ )?(days|bags|tries|minutes|events|items|lines|"
                     r"units|orders|totes|scans|photos|pieces|codes|hours|seconds)\b")
# Parameters before such a word that are not a count that can be 1.
NOT_COUNTS = {"zone",  # "the chilled bags"
              "length"}  # a password's least length


def test_no_sentence_puts_a_count_before_a_plural_without_a_singular_form() -> None:
    found = []
    for message in extracted_messages():
        if isinstance(message, str):
            found += [message for m in COUNTED.finditer(message)
                      if m.group(1) not in NOT_COUNTS]
    assert found == []


Speak = Callable[[str], object]  # set the reader's language


@pytest.fixture
def speaking() -> Iterator[Speak]:
    yield i18n.set_language
    i18n.set_language("ru")


def sentence(error: errors.PickingError) -> str:
    return error_table.lookup(error).words(error.params)[1]


def test_the_counter_says_how_many_tries_are_left_in_agreement(speaking: Speak) -> None:
    speaking("en")
    assert sentence(errors.WrongPickupCode(left=1)) == "Wrong pickup code. 1 try left."
    assert sentence(errors.WrongPickupCode(left=4)) == "Wrong pickup code. 4 tries left."
    assert sentence(errors.TooManyPickupAttempts(minutes=1)).endswith("in 1 minute.")
    speaking("ru")
    assert [sentence(errors.WrongPickupCode(left=n)) for n in (1, 3, 5)] == [
        "Неверный код получения. Осталась 1 попытка.",
        "Неверный код получения. Осталось 3 попытки.",
        "Неверный код получения. Осталось 5 попыток."]


def test_a_unit_with_one_day_left_is_told_in_the_singular(speaking: Speak) -> None:
    speaking("en")
    said = marking_words.stale_sentence({"name_en": "Kefir", "days_left": 1, "min_days": 3})
    assert said == "Kefir has 1 day left at delivery: pick a fresher one, with at least 3."
    speaking("ru")
    said = marking_words.stale_sentence({"name_ru": "Кефир", "days_left": 2, "min_days": 5})
    assert "к доставке останется 2 дня" in said


def test_one_undelivered_event_is_one_event(speaking: Speak) -> None:
    speaking("en")
    notice = push.Notice((1,), "dead_letters", 0, "1", "/sync/dead-letters/")
    assert push.words(notice)[1].startswith("1 event could not be sent")
    speaking("ru")
    assert "21 событие" in push.words(push.Notice((1,), "dead_letters", 0, "21", "/"))[1]


def test_a_counted_sentence_in_a_template_keeps_its_markup_and_agrees(speaking: Speak) -> None:
    env = _jinja_env()
    page = env.from_string(
        "{{ ngettext('Order %(oms)s is packed: %(num)s bag.', "
        "'Order %(oms)s is packed: %(num)s bags.', n, oms=oms | order_no) }}")
    speaking("en")
    assert page.render(n=1, oms="OMS-1<") == (
        'Order <span class="nowrap">OMS-1&lt;</span> is packed: 1 bag.')
    speaking("ru")
    assert page.render(n=3, oms="OMS-2") == (
        'Заказ <span class="nowrap">OMS-2</span> упакован: 3 пакета.')


def test_a_count_is_one_figure_a_line_never_splits(speaking: Speak) -> None:
    """"3 of 12" is read as one figure: its spaces do not break, in Python's messages, the
    templates' ``_`` and their plural forms, in both languages ("Собрано 3 из" / "12")."""
    nbsp = i18n.NBSP
    env = _jinja_env()
    template = env.from_string(
        "{{ _('Bag %(k)s of %(n)s', k=1, n=2) }}|"
        "{{ ngettext('%(done)s of %(num)s bag scanned', '%(done)s of %(num)s bags scanned',"
        " 3, done=1) }}")
    speaking("en")
    assert i18n.gettext("%(name)s: %(picked)s of %(ordered)s", name="Milk 3.2%",
                        picked=1, ordered=2) == f"Milk 3.2%: 1{nbsp}of{nbsp}2"
    assert template.render() == f"Bag 1{nbsp}of{nbsp}2|1{nbsp}of{nbsp}3 bags scanned"
    speaking("ru")
    assert i18n.gettext("Picked %(picked)s of %(total)s", picked=3,
                        total=12) == f"Собрано 3{nbsp}из{nbsp}12"
    assert template.render() == (f"Пакет 1{nbsp}из{nbsp}2|"
                                 f"Отсканировано пакетов: 1{nbsp}из{nbsp}3")
