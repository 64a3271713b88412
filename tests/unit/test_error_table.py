"""One registry of errors: every domain error is in picking.errors, has typed fields and
an entry in the app's error table (kind, sentence in both languages, HTTP status)."""

from __future__ import annotations

import gc
from typing import Any, get_type_hints

import pytest

from app import i18n
from app.web.error_table import ERRORS, lookup
from app.web.messages import describe, status_for
from picking import errors


def _subclasses(cls: type[errors.PickingError]) -> set[type[errors.PickingError]]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


ALL = sorted(_subclasses(errors.PickingError), key=lambda c: c.__name__)

# Field values the sentences need to read as they would in the app.
BY_NAME: dict[str, Any] = {
    "missing": [{"number": 2, "count": 3, "zone": "chilled"}], "zone": "chilled",
    "status": "picking", "name_ru": "Молоко", "name_en": "Milk", "code": "4600000000015",
    "units": [{"product": "BEER", "name_ru": "Пиво", "name_en": "Beer", "serial": "BEER02",
               "status": "blocked"}],
}
BY_TYPE: dict[Any, Any] = {int: 3, str: "x"}


def sample(cls: type[errors.PickingError]) -> errors.PickingError:
    hints = get_type_hints(cls)
    params = {}
    for name in cls.fields():
        hint = hints.get(name, Any)
        options = getattr(hint, "__args__", (hint,))
        params[name] = BY_NAME.get(name, next(
            (BY_TYPE[o] for o in options if o in BY_TYPE), 5))
    return cls(**params)


def test_every_picking_error_has_its_own_entry_in_the_table() -> None:
    assert [cls.__name__ for cls in ALL if cls not in ERRORS] == []
    assert len(ALL) >= 40


def test_every_picking_error_is_defined_in_picking_errors() -> None:
    assert {cls.__module__ for cls in ALL} == {"picking.errors"}


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
@pytest.mark.parametrize("language", ["en", "ru"])
def test_each_error_reads_as_a_sentence_in_both_languages(
        cls: type[errors.PickingError], language: str) -> None:
    i18n.set_language(language)
    err = sample(cls)
    feedback = describe(err)
    assert feedback.kind in ("ok", "warn", "error")
    assert feedback.text and "%(" not in feedback.text
    if language == "ru" and ERRORS[cls].sentence is not ERRORS[errors.PickingError].sentence:
        assert any("а" <= ch <= "я" for ch in feedback.text.lower()), feedback.text
    assert 400 <= status_for(err) < 500
    i18n.set_language("ru")


def test_fields_are_checked_and_readable() -> None:
    err = errors.TooManyScanned(product="MILK", ordered=2, picked=2, quantity=1)
    assert (err.ordered, err.picked, err.product, err.name_en) == (2, 2, "MILK", None)
    assert err.params == {"product": "MILK", "ordered": 2, "picked": 2, "quantity": 1}
    assert err.code == "too_many"
    with pytest.raises(TypeError, match="takes no field colour"):
        errors.TooManyScanned(product="MILK", ordered=2, picked=2, colour="red")
    with pytest.raises(TypeError, match="needs ordered, picked"):
        errors.TooManyScanned(product="MILK")
    unknown = errors.UnknownCode(code="123")  # ``code`` stays the error's own
    assert (unknown.code, unknown.params["code"]) == ("unknown_code", "123")


def test_the_precise_errors_that_replace_invalid_quantity() -> None:
    i18n.set_language("en")
    assert describe(errors.NoSuchLine(line_id=9)).text == (
        "This line is not on this order: reload the page.")
    assert describe(errors.NotAWeighedLine(product="MILK", name_en="Milk")).text == (
        "Milk is sold by the piece: scan it instead of typing a weight.")
    assert describe(errors.InvalidShortReason(value="lunch")).text == (
        "Choose why the item is missing from the list.")
    assert status_for(errors.ScanIdReused(scan_id="s-1")) == 409
    assert isinstance(errors.NoSuchLine(line_id=9), errors.InvalidQuantity)  # still caught
    i18n.set_language("ru")


def test_one_error_one_status_whichever_screen_shows_it() -> None:
    assert status_for(errors.OrderNotFound()) == 404
    assert status_for(errors.TooManyPickupAttempts(minutes=5)) == 429
    assert status_for(errors.LinkExpired()) == 410
    assert status_for(errors.WrongHandoverStep(order="A", status="picked")) == 409


def test_the_board_words_some_errors_for_a_supervisor() -> None:
    i18n.set_language("en")
    left = errors.OrderNotPickable(order="A", status="picked")
    assert describe(left).text == "This order can no longer be changed."
    assert describe(left, "supervisor").text == (
        "This order has left picking: it can no longer be changed.")
    cancelled = errors.OrderCancelled(order="A")  # no board wording of its own
    assert describe(cancelled, "supervisor") == describe(cancelled)
    i18n.set_language("ru")


def test_an_error_class_without_an_entry_gets_its_parents_words() -> None:
    class Stranger(errors.OrderNotPickable):
        pass

    try:
        assert lookup(Stranger()) is ERRORS[errors.OrderNotPickable]
        assert [c for c in _subclasses(errors.PickingError) if c not in ERRORS] == [Stranger]
    finally:
        del Stranger
        gc.collect()  # out of __subclasses__() again, for any later walk


def test_the_old_import_paths_still_give_the_same_classes() -> None:
    from app.services import substitutions as service
    from picking import bags, handover_facts, lifecycle, substitution, supervision
    assert substitution.SubstitutionNotWanted is errors.SubstitutionNotWanted
    assert substitution.ProposalClosed is errors.ProposalClosed
    assert lifecycle.RevisionRefused is errors.RevisionRefused
    assert supervision.PickerNotAvailable is errors.PickerNotAvailable
    assert handover_facts.TooManyPickupAttempts is errors.TooManyPickupAttempts
    assert bags.BadBagCode is errors.BadBagCode
    assert service.LinkExpired is errors.LinkExpired
