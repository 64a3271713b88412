"""Честный ЗНАК codes: one key per unit, whatever form the code arrives in.

The codes are shaped like the real ones per product group (the marking operator's
published formats): shoes and clothes have a 13-character serial, then 91 (key id,
4 characters) and 92 (signature, 44 characters); milk a 6-character serial, water
and juice a 13-character one, each with the short tail 93 + 4 characters.
"""

from __future__ import annotations

import datetime as dt

import pytest

from picking.codes import ScannedCode, UnreadableCode, interpret
from picking.gtin import complete

GS = "\x1d"
MILK_GTIN = "04607009330129"
WATER_GTIN = "04601234567893"
SHOES_GTIN = "04650089541237"
SIGNATURE = "MEUCIQD3ox5dn+8iRw3yYdX/tk+gVjyDPMfgUaSJg8f="


def forms(gtin: str, serial: str, tail: list[tuple[str, str]]) -> list[str]:
    """The code with GS, with GS dropped, and typed from the label in parentheses."""
    with_gs = f"01{gtin}21{serial}" + "".join(GS + ai + value for ai, value in tail)
    typed = f"(01){gtin}(21){serial}" + "".join(f"({ai}){value}" for ai, value in tail)
    return [with_gs, with_gs.replace(GS, ""), typed, "]d2" + with_gs, with_gs.replace(GS, "<GS>")]


UNITS = {
    "milk": (MILK_GTIN, "5K'x(a", [("93", "dGVz")]),
    "water": (WATER_GTIN, "0Ja7c:9M\"kP/Q", [("93", "Ab+1")]),
    "shoes": (SHOES_GTIN, "aVx0n'-;RK=Gw", [("91", "EE07"), ("92", SIGNATURE)]),
    "milk, 7-char serial": (MILK_GTIN, "q5%Kx?a", [("93", "Zx9q")]),
}


@pytest.mark.parametrize("unit", UNITS)
def test_every_form_of_a_unit_gives_one_key_and_its_tail(unit: str) -> None:
    gtin, serial, tail = UNITS[unit]
    assert len(SIGNATURE) == 44
    codes = [interpret(form) for form in forms(gtin, serial, tail)]
    assert {(c.kind, c.marking_key, c.marking_tail) for c in codes} == {
        ("marking", f"01{gtin}21{serial}", GS.join(ai + value for ai, value in tail))}


@pytest.mark.parametrize("unit", UNITS)
def test_key_gs_tail_is_the_canonical_code_and_reads_back_the_same(unit: str) -> None:
    code = interpret(forms(*UNITS[unit])[2])
    assert code.marking_key and code.marking_tail
    again = interpret(code.marking_key + GS + code.marking_tail)
    assert (again.marking_key, again.marking_tail) == (code.marking_key, code.marking_tail)


def test_two_units_of_one_product_have_different_keys() -> None:
    one = interpret(forms(MILK_GTIN, "5K'x(a", [("93", "dGVz")])[1])
    two = interpret(forms(MILK_GTIN, "5K'x(b", [("93", "dGVz")])[1])
    assert one.marking_key != two.marking_key


def test_the_weight_of_weighed_dairy_is_in_neither_key_nor_tail() -> None:
    with_gs = f"01{MILK_GTIN}215K'x(a{GS}93dGVz{GS}3103000480"
    for raw in (with_gs, with_gs.replace(GS, "")):
        code = interpret(raw)
        assert (code.weight_g, code.marking_key, code.marking_tail) == (
            480, f"01{MILK_GTIN}215K'x(a", "93dGVz")


@pytest.mark.parametrize(
    "raw",
    ["4601234567893", f"01{WATER_GTIN}21ABC123", f"(01){WATER_GTIN}(17)270331(10)LOT1",
     "https://id.gs1.org/01/09506000134352/21/SER1"],
)
def test_what_is_no_marking_has_no_key(raw: str) -> None:
    code: ScannedCode = interpret(raw)
    assert (code.is_marking, code.marking_key, code.marking_tail) == (False, None, None)


# --- Tobacco ---------------------------------------------------------------------------

TOBACCO_GTIN = complete("0460620308662")
PACK = TOBACCO_GTIN + "Nk7>q'B" + "AAOP" + "f8Kz"  # GTIN-14, serial 7, price code, crypto


def test_a_cigarette_pack_code_of_29_characters_is_a_marking() -> None:
    assert len(PACK) == 29
    code = interpret(PACK + "\r\n")
    assert code == ScannedCode(
        kind="marking", raw=PACK, gtin=TOBACCO_GTIN, serial="Nk7>q'B", is_marking=True,
        marking_key=f"01{TOBACCO_GTIN}21Nk7>q'B", marking_tail="AAOPf8Kz")


def test_a_pack_code_of_digits_only_is_still_a_pack() -> None:
    pack = TOBACCO_GTIN + "1234567" + "0012" + "9876"
    code = interpret(pack)
    assert (code.kind, code.serial, code.marking_key) == (
        "marking", "1234567", f"01{TOBACCO_GTIN}211234567")


@pytest.mark.parametrize(
    "raw",
    [PACK[:-1], PACK + "x", TOBACCO_GTIN[:-1] + str((int(TOBACCO_GTIN[-1]) + 1) % 10) + PACK[14:],
     PACK[:20] + "\t" + PACK[21:]],
)
def test_what_only_resembles_a_pack_code_is_not_one(raw: str) -> None:
    try:
        code = interpret(raw)
    except UnreadableCode:
        return
    assert not code.is_marking


def test_a_block_of_cigarettes_in_gs1_form_gives_one_key_with_or_without_gs() -> None:
    with_gs = f"01{TOBACCO_GTIN}21Nk7>q'B{GS}8005012345{GS}93f8Kz"
    for raw in (with_gs, with_gs.replace(GS, ""), f"]d2{with_gs}"):
        code = interpret(raw)
        assert (code.kind, code.marking_key, code.marking_tail) == (
            "marking", f"01{TOBACCO_GTIN}21Nk7>q'B", "93f8Kz"), raw


# --- GS1 Digital Link ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "batch", "serial", "expiry"),
    [
        ("https://brand.example/01/04601234567893/10/ABC?17=270331", "ABC", None,
         dt.date(2027, 3, 31)),
        ("https://brand.example/01/04601234567893/21/SER%2F42?17=270300", None, "SER/42",
         dt.date(2027, 3, 31)),
        ("https://id.gs1.org/01/04601234567893/10/L-7/21/S9", "L-7", "S9", None),
        ("HTTPS://ID.GS1.ORG/01/04601234567893?17=261231", None, None, dt.date(2026, 12, 31)),
        ("https://shop.example/products/milk/01/04601234567893/21/X1", None, "X1", None),
    ],
)
def test_a_digital_link_gives_gtin_batch_serial_and_expiry(
        uri: str, batch: str | None, serial: str | None, expiry: dt.date | None) -> None:
    code = interpret(uri)
    assert (code.kind, code.gtin, code.batch, code.serial, code.expiry) == (
        "gs1", "04601234567893", batch, serial, expiry)
    assert not code.is_marking and code.marking_key is None


def test_a_digital_link_with_a_wrong_check_digit_or_date_is_refused() -> None:
    with pytest.raises(UnreadableCode) as wrong_digit:
        interpret("https://brand.example/01/04601234567894/10/ABC")
    assert wrong_digit.value.code == "bad_check_digit"
    with pytest.raises(UnreadableCode):
        interpret("https://brand.example/01/04601234567893?17=271331")  # month 13
