"""Every sentence a person can see has a Russian translation, and formats follow the store."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

from app import i18n

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
METHODS = [("app/**.py", "python"), ("templates/**.html", "jinja2")]


def extracted_messages() -> set[str | tuple[str, ...]]:
    found: set[str | tuple[str, ...]] = set()
    for folder in ("app", "templates"):
        for _file, _line, message, _comments, _context in extract_from_dir(
                ROOT / folder, method_map=[("**.py", "python"), ("**.html", "jinja2")],
                options_map={"**.html": {"extensions": "jinja2.ext.i18n"}},
                keywords=KEYWORDS):
            found.add(message if isinstance(message, str) else tuple(message))
    return found


def test_every_message_has_a_russian_translation() -> None:
    catalog = i18n.translations("ru")
    messages = extracted_messages()
    assert "Take next order" in messages and "Wrong personnel number or PIN." in messages
    missing = []
    for message in messages:
        if isinstance(message, tuple):
            if catalog.ngettext(message[0], message[1], 5) == message[1]:
                missing.append(message[0])
        elif message and catalog.gettext(message) == message and message not in {"OK"}:
            missing.append(message)
    assert sorted(missing) == []


def test_money_weight_and_numbers_follow_the_store_locale() -> None:
    assert i18n.money(12990, "RUB", "ru_RU") == "129,90\xa0₽"
    assert i18n.weight(1250, "ru_RU").startswith("1,250")
    assert i18n.weight(600, "en_US").startswith("600")


def test_the_language_falls_back_to_russian_for_unknown_choices() -> None:
    assert i18n.set_language("de") == "ru"
    assert i18n.pick_language("en-GB,en;q=0.9") == "en"
    assert i18n.pick_language("fr-FR") == "ru"


def test_a_span_of_minutes_reads_at_a_glance_in_both_languages() -> None:
    spans = (0, 45, 60, 135, 1440, 1500, 17824, -5)
    i18n.set_language("en")
    assert all(" " not in i18n.duration(m) for m in spans)  # never broken across lines
    assert [i18n.duration(m).replace(i18n.NBSP, " ") for m in spans] == [
        "0 min", "45 min", "1 h", "2 h 15 min", "1 d", "1 d 1 h", "12 d 9 h", "0 min"]
    i18n.set_language("ru")
    assert [i18n.duration(m).replace(i18n.NBSP, " ") for m in spans] == [
        "0 мин", "45 мин", "1 ч", "2 ч 15 мин", "1 дн", "1 дн 1 ч", "12 дн 9 ч", "0 мин"]


# People's names stand as the subject ("Собирает Анна"): nominative is right there.
PEOPLE = {"Picking: %(name)s", "Picking: %(name)s, %(done)s of %(total)s"}
PRODUCT_PLACES = ("%(name)s", "%(original)s", "%(offered)s", "{name}")


def test_a_product_name_is_never_forced_into_a_case_it_cannot_take() -> None:
    """Russian declines a noun after a verb or a preposition ("положите воду", "для воды"),
    and a product's name comes from the catalogue in the nominative ("Вода питьевая 1,5 л").
    So in Russian a product's name stands where the nominative is right: first, after a colon,
    a comma, a dash or an arrow, or quoted after a noun that takes the case ("о товаре «…»").
    ``name``, ``original`` and ``offered`` are the placeholders that carry products."""
    from babel.messages.pofile import read_po

    forced = []
    for po in sorted((ROOT / "app" / "locale" / "ru" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as handle:
            for message in read_po(handle):
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                strings = message.string if isinstance(message.string, tuple) else (
                    message.string,)
                if ids[0] in PEOPLE:
                    continue
                for text in strings:
                    for at in range(len(text)):
                        if not text.startswith(PRODUCT_PLACES, at):
                            continue
                        before = text[:at].rstrip()
                        if before and before[-1] not in ":,—(→«":
                            forced.append(f"{po.name}: {text}")
    assert forced == []


def test_a_missing_line_says_why_without_saying_it_twice() -> None:
    """The pick list's badge on a missing line reads "missing: <reason>"; in Russian it read
    "нет: Нет в наличии"."""
    from app.web.labels import LABELS
    from picking.lines import SHORT_REASONS

    catalog = i18n.translations("ru")
    prefix = catalog.gettext("missing")
    for reason in SHORT_REASONS:
        badge = f"{prefix}: {catalog.gettext(LABELS[reason])}".lower().replace(":", "")
        words = badge.split()
        assert len(set(words)) == len(words), badge


def test_every_sentence_starts_with_a_capital_in_both_languages() -> None:
    """"…в холод). система заказов решает…" came of a word replaced across the catalogue."""
    import re

    from babel.messages.pofile import read_po

    small = []
    for po in sorted((ROOT / "app" / "locale" / "ru" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as handle:
            for message in read_po(handle):
                texts = [*(message.id if isinstance(message.id, tuple) else (message.id,)),
                         *(message.string if isinstance(message.string, tuple)
                           else (message.string,))]
                for text in texts:
                    # "e.g." and "т. е." are not the end of a sentence
                    plain = re.sub(r"\b(e\.g|i\.e|т\. ?е|т\. ?д|и т\. ?п)\.", "", text)
                    if re.search(r"[.!?]\s+[a-zа-яё]", plain):
                        small.append(f"{po.name}: {text}")
    assert small == []


def test_a_sentence_with_an_order_number_keeps_its_markup_and_escapes_the_rest() -> None:
    from app.factory import _template_gettext, order_no

    i18n.set_language("en")
    try:
        said = _template_gettext("Pack %(oms)s", oms=order_no("<b>OMS-1</b>"))
        assert str(said) == 'Pack <span class="nowrap">&lt;b&gt;OMS-1&lt;/b&gt;</span>'
        mixed = _template_gettext("%(name)s: %(picked)s of %(ordered)s", name="<i>x</i>",
                                  picked=order_no("1"), ordered=2)
        assert str(mixed) == ('&lt;i&gt;x&lt;/i&gt;: <span class="nowrap">1</span>'
                              f"{i18n.NBSP}of{i18n.NBSP}2")  # a count kept whole
        assert _template_gettext("Pack %(oms)s", oms="OMS-1") == "Pack OMS-1"  # plain
        from app.factory import keep_whole
        assert str(keep_whole("Order OMS-240002 <b>is</b> packed; Coca-Cola stays.")) == (
            'Order <span class="nowrap">OMS-240002</span> &lt;b&gt;is&lt;/b&gt; packed; '
            "Coca-Cola stays.")
    finally:
        i18n.set_language("ru")
