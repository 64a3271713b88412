"""picking.codes: every code a picker scans, read the same way.

Check digits of hand-made labels are worked out in the comments: GS1 mod 10 weighs the
digits 3,1,3,1… from the right; the check digit tops the sum up to a multiple of 10.
"""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest

from picking.codes import (
    DEFAULT_LAYOUT,
    ScaleLayout,
    ScannedCode,
    UnreadableCode,
    expand_upce,
    interpret,
)

GS = "\x1d"
# A Честный ЗНАК code shaped like the real ones: 13-char serial, 91 key id, 92 signature.
SERIAL = "5Ab+cD'e7FgH1"
SIGNATURE = "dGVzdC1zaWduYXR1cmUtZm9yLXN0b3JlcGljazEyMzQ="
MARKING = "0104601234567893" + "21" + SERIAL + GS + "91EE10" + GS + "92" + SIGNATURE


def unreadable(raw: str, layout: ScaleLayout = DEFAULT_LAYOUT) -> UnreadableCode:
    with pytest.raises(UnreadableCode) as caught:
        interpret(raw, layout)
    return caught.value


# --- GTINs -----------------------------------------------------------------------------


def test_an_ean13_gives_its_gtin_as_14_digits() -> None:
    code = interpret("4601234567893")
    assert code == ScannedCode(kind="gtin", raw="4601234567893", gtin="04601234567893")


@pytest.mark.parametrize(
    ("raw", "gtin"),
    [
        ("036000291452", "00036000291452"),  # UPC-A
        ("0036000291452", "00036000291452"),  # the same UPC-A as decoders return it
        ("96385074", "00000096385074"),  # EAN-8 from the GS1 specification
        ("09501101530003", "09501101530003"),  # GTIN-14 (GS1 example)
        ("19501101530000", "19501101530000"),  # GTIN-14 of a case, indicator 1
    ],
)
def test_upca_ean8_and_gtin14_are_normalised_to_14_digits(raw: str, gtin: str) -> None:
    assert interpret(raw).gtin == gtin
    assert interpret(raw).raw == raw


def test_the_enter_key_and_spaces_from_a_wedge_scanner_are_trimmed() -> None:
    assert interpret(" 4601234567893\r\n").raw == "4601234567893"


@pytest.mark.parametrize(
    "raw", ["4601234567890", "036000291453", "96385070", "09501101530004", "2212345012500"]
)
def test_a_wrong_check_digit_is_refused(raw: str) -> None:
    assert unreadable(raw).code == "bad_check_digit"


# --- Scale labels ------------------------------------------------------------------------


def test_a_russian_scale_label_gives_plu_and_grams() -> None:
    # 22 12345 01250 C: 2+6+1+6+3+12+5+0+1+6+5+0 = 47 → C = 3
    code = interpret("2212345012503")
    assert code == ScannedCode(kind="scale_label", raw="2212345012503", plu="12345", weight_g=1250)


def test_a_scale_label_keeps_the_leading_zeros_of_its_item_code() -> None:
    # 21 00042 01999 C: 2+3+0+0+0+12+2+0+1+27+9+27 = 83 → C = 7
    code = interpret("2100042019997")
    assert (code.plu, code.weight_g) == ("00042", 1999)


def test_a_code_starting_with_2_outside_the_store_prefixes_is_a_plain_gtin() -> None:
    layout = ScaleLayout.parse("2P IIIII WWWWW C", prefixes="22-23")
    code = interpret("2100042019997", layout)
    assert (code.kind, code.gtin, code.plu) == ("gtin", "02100042019997", None)


def test_a_price_layout_gives_the_price_in_kopecks() -> None:
    layout = ScaleLayout.parse("2P IIIII $$$$$ C")
    # 21 00042 01999 C → C = 7 (see above): item 00042 costs 19.99 ₽
    code = interpret("2100042019997", layout)
    assert (code.kind, code.plu, code.price_minor, code.weight_g) == (
        "scale_label",
        "00042",
        1999,
        None,
    )


def test_a_price_check_digit_is_verified() -> None:
    layout = ScaleLayout.parse("2P IIIII V $$$$ C")
    # Price 2875 (GS1 GenSpecs 7.9.3): weights 2-,2-,3,5- give 4+5+1+3 = 13; 13×3 = 39 → V = 9.
    # 20 12345 9 2875 C: 2+0+1+6+3+12+5+27+2+24+7+15 = 104 → C = 6
    assert interpret("2012345928756", layout).price_minor == 2875
    # 20 12345 8 2875 C: the sum drops by 3 to 101 → C = 9, a valid EAN with a wrong V
    assert unreadable("2012345828759", layout).code == "bad_check_digit"


def test_a_layout_with_a_4_digit_item_code() -> None:
    layout = ScaleLayout.parse("2P IIII WWWWWW C")
    # 23 0042 001250 C: 2+9+0+0+4+6+0+0+1+6+5+0 = 33 → C = 7
    code = interpret("2300420012507", layout)
    assert (layout.item_digits, layout.value_digits) == (4, 6)
    assert (code.plu, code.weight_g) == ("0042", 1250)


def test_a_filler_digit_in_the_layout_is_ignored() -> None:
    layout = ScaleLayout.parse("2P IIII X WWWWW C")
    # 24 0042 7 01250 C: 6+4+0+0+12+2+0+7+0+1+6+5+0 … = 43 → C = 7
    assert interpret("2400427012507", layout).plu == "0042"


def test_the_default_layout_is_the_russian_weight_layout() -> None:
    assert DEFAULT_LAYOUT.prefixes == frozenset(f"{n}" for n in range(20, 30))
    assert (DEFAULT_LAYOUT.item_digits, DEFAULT_LAYOUT.value_digits) == (5, 5)
    assert DEFAULT_LAYOUT.value_kind == "weight_g"


def test_a_layout_built_from_its_fields_derives_its_pattern() -> None:
    layout = ScaleLayout(frozenset({"27"}), item_digits=5, value_digits=5, value_kind="price_minor")
    assert layout == ScaleLayout.parse("2P IIIII $$$$$ C", prefixes="27")


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("2P IIIII WWWW C", "has 12 digits"),
        ("2P IIIII WWWWWW C", "has 14 digits"),
        ("PP IIIII WWWWW C", "must start with '2P'"),
        ("2P IIIII WWWWC X", "end with one 'C'"),
        ("2P IIIII WWWWQ C", "only the letters"),
        ("2P IIIIIIII WW C", "3 to 6 item code"),
        ("2P IIIII IIIII C", "either weight (W) or price ($)"),
        ("2P IIIII WW$WW C", "either weight (W) or price ($)"),
        ("2P IIWII WWWWW C", "keep its I digits together"),
        ("2P II WWWWWWWW C", "3 to 6 item code"),
        ("2P IIIII V WWWW C", "price check digit (V)"),
        ("2P III V $$$$$$ C", "price check digit (V)"),
    ],
)
def test_a_malformed_layout_pattern_is_refused_with_a_clear_message(
    pattern: str, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        ScaleLayout.parse(pattern)


@pytest.mark.parametrize("prefixes", ["", "2", "20-2", "29-20", "10-19", "20,x"])
def test_malformed_prefixes_are_refused(prefixes: str) -> None:
    with pytest.raises(ValueError, match="scale prefixes"):
        ScaleLayout.parse("2P IIIII WWWWW C", prefixes=prefixes)


def test_prefixes_accept_lists_and_ranges() -> None:
    assert ScaleLayout.parse("2P IIIII WWWWW C", "21, 23-25").prefixes == {"21", "23", "24", "25"}


# --- GS1 element strings -------------------------------------------------------------


def test_a_gs1_128_with_an_aim_prefix_gives_gtin_and_weight() -> None:
    code = interpret("]C101095212345432133103000123")  # GS1 GenSpecs example
    assert (code.kind, code.gtin, code.weight_g) == ("gs1", "09521234543213", 123)
    assert code.raw == "01095212345432133103000123"


@pytest.mark.parametrize(
    ("ai", "value", "grams"),
    [
        ("3103", "000123", 123),  # 0.123 kg
        ("3102", "000125", 1250),  # 1.25 kg
        ("3101", "000125", 12500),
        ("3100", "000002", 2000),
        ("3104", "012345", 1235),  # 1.2345 kg → 1234.5 g, rounded half up
        ("3105", "012344", 123),
    ],
)
def test_310n_weights_are_converted_to_grams(ai: str, value: str, grams: int) -> None:
    assert interpret("]C1" + "0109501101530003" + ai + value).weight_g == grams


@pytest.mark.parametrize(
    ("yymmdd", "expiry"),
    [
        ("250200", dt.date(2025, 2, 28)),
        ("240200", dt.date(2024, 2, 29)),
        ("251200", dt.date(2025, 12, 31)),
        ("260715", dt.date(2026, 7, 15)),
    ],
)
def test_an_expiry_with_day_00_is_the_last_day_of_the_month(yymmdd: str, expiry: dt.date) -> None:
    assert interpret(f"(01)09501101530003(17){yymmdd}").expiry == expiry


def test_an_impossible_expiry_is_bad_gs1() -> None:
    assert unreadable("(01)09501101530003(17)250231").code == "bad_gs1"


def test_a_batch_ends_at_the_group_separator() -> None:
    code = interpret("]C1" + "0109501101530003" + f"10AB-12/3{GS}" + "17250200")
    assert (code.batch, code.expiry) == ("AB-12/3", dt.date(2025, 2, 28))


def test_the_parenthesised_form_a_picker_types_from_a_label() -> None:
    code = interpret("(01)04601234567893(3103)001250")
    assert (code.kind, code.gtin, code.weight_g) == ("gs1", "04601234567893", 1250)


@pytest.mark.parametrize("aim", ["]C1", "]d2", "]Q3", "]e0"])
def test_every_gs1_aim_prefix_means_gs1_content(aim: str) -> None:
    code = interpret(f"{aim}0109501101530003")
    assert (code.kind, code.gtin, code.raw) == ("gs1", "09501101530003", "0109501101530003")


@pytest.mark.parametrize(
    ("raw", "gtin"), [("]E04601234567893", "04601234567893"), ("]E496385074", "00000096385074")]
)
def test_a_plain_aim_prefix_is_dropped(raw: str, gtin: str) -> None:
    assert interpret(raw).gtin == gtin


def test_digits_only_gs1_from_a_decoder_without_aim_prefix() -> None:
    code = interpret("01095011015300033103001250")  # DataBar or GS1-128 read by pyzbar
    assert (code.gtin, code.weight_g) == ("09501101530003", 1250)


@pytest.mark.parametrize("separator", [GS, "<GS>", "\\u001d", "{GS}"])
def test_gs_stand_ins_from_wedge_scanners_become_ascii_29(separator: str) -> None:
    code = interpret("0109501101530003" + "10LOT7" + separator + "17250200")
    assert (code.batch, code.raw) == ("LOT7", f"010950110153000310LOT7{GS}17250200")


def test_a_gs1_gtin_with_a_bad_check_digit_is_refused() -> None:
    assert unreadable("(01)09501101530004").code == "bad_check_digit"


def test_a_gs1_digital_link_gives_its_gtin() -> None:
    code = interpret("https://id.gs1.org/01/09506000134352/10/ABC1?17=250200")
    assert (code.kind, code.gtin, code.batch, code.expiry) == (
        "gs1",
        "09506000134352",
        "ABC1",
        dt.date(2025, 2, 28),
    )


# --- Честный ЗНАК ----------------------------------------------------------------------


def test_a_chestny_znak_code_with_gs_is_a_marking_kept_whole() -> None:
    assert len(SIGNATURE) == 44
    code = interpret(f"]d2{MARKING}\r\n")
    assert (code.kind, code.is_marking, code.gtin, code.serial) == (
        "marking",
        True,
        "04601234567893",
        SERIAL,
    )
    assert code.raw == MARKING


def test_a_chestny_znak_code_with_wedge_gs_stand_ins_keeps_ascii_29() -> None:
    assert interpret(MARKING.replace(GS, "<GS>")).raw == MARKING


def test_a_chestny_znak_code_without_gs_is_split_by_its_known_shape() -> None:
    code = interpret(MARKING.replace(GS, ""))
    assert (code.is_marking, code.serial, code.gtin) == (True, SERIAL, "04601234567893")
    assert code.raw == MARKING.replace(GS, "")


@pytest.mark.parametrize("serial", ["5Ab+cD", "5Ab+cD9", "5Ab+cD'e7FgH1", "931234"])
def test_a_short_93_marking_without_gs_is_split(serial: str) -> None:
    code = interpret("0104601234567893" + f"21{serial}" + "93Zx9q")
    assert (code.kind, code.serial) == ("marking", serial)


def test_a_weighed_dairy_marking_carries_its_weight() -> None:
    code = interpret("0104601234567893" + f"215Ab+cD{GS}93Zx9q{GS}" + "3103000480")
    assert (code.is_marking, code.weight_g, code.serial) == (True, 480, "5Ab+cD")
    code = interpret("0104601234567893" + "215Ab+cD" + "93Zx9q" + "3103000480")
    assert (code.is_marking, code.weight_g, code.serial) == (True, 480, "5Ab+cD")


def test_a_gtin_and_serial_without_crypto_tail_is_not_a_marking() -> None:
    code = interpret("]d2" + "0104601234567893" + "21ABC123")
    assert (code.kind, code.is_marking, code.serial) == ("gs1", False, "ABC123")


# --- UPC-E -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("upce", "upca"),
    [
        ("01234505", "012000003455"),  # last payload digit 0–2: manufacturer ends in it
        ("01234531", "012300000451"),  # 3
        ("01234543", "012340000053"),  # 4
        ("01234558", "012345000058"),  # 5–9: product code ends in it
        ("19876511", "198100007651"),  # number system 1
    ],
)
def test_upce_expands_to_upca(upce: str, upca: str) -> None:
    assert expand_upce(upce) == upca


@pytest.mark.parametrize("code", ["01234506", "21234505", "0123450", "0123450x", "012345050"])
def test_a_code_that_is_no_valid_upce_does_not_expand(code: str) -> None:
    assert expand_upce(code) is None


def test_an_unexpanded_upce_from_a_scanner_gives_the_upca_gtin() -> None:
    # 01234505 fails as EAN-8 (0+3+2+9+4+15+0 = 33 → 7, not 5) but holds as UPC-E
    assert interpret("01234505") == ScannedCode(kind="gtin", raw="01234505", gtin="00012000003455")
    assert interpret("]E001234558").gtin == "00012345000058"


# --- Refusals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", "empty"),
        (" \r\n", "empty"),
        ("12345", "not_a_barcode"),
        ("1234567890", "not_a_barcode"),
        ("https://example.com/promo?id=7", "not_a_barcode"),
        ("hello", "not_a_barcode"),
        ("SP-BAG:ord-17:2", "not_a_barcode"),
        ("]Q1SP-BAG:ord-17:2", "not_a_barcode"),
        ("(01)0950110153000", "bad_gs1"),
        ("(99", "bad_gs1"),
        ("]C1hello", "bad_gs1"),
        ("01095011015300031725", "bad_gs1"),
        ("4" * 600, "too_long"),
    ],
)
def test_what_is_not_a_product_code_is_refused_with_a_reason(raw: str, problem: str) -> None:
    error = unreadable(raw)
    assert error.code == problem
    assert error.reason and error.reason[0].isupper() and error.reason.endswith(".")
    assert str(error) == error.reason


def test_a_bag_label_is_refused_as_not_a_product_code() -> None:
    assert "bag label" in unreadable("SP-BAG:ord-17:2").reason


def test_random_junk_only_ever_raises_unreadable_code() -> None:
    rng = random.Random(20240601)
    alphabet = "0123456789()" + GS + "<>GS]Cd2Q3e0 abcXYZ+/=-"
    for _ in range(3000):
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        if rng.random() < 0.5:
            raw = "01" + "".join(rng.choice("0123456789") for _ in range(14)) + "21" + raw
        try:
            code = interpret(raw)
        except UnreadableCode:
            continue
        assert code.gtin is None or len(code.gtin) == 14
