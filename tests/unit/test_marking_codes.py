"""Честный ЗНАК codes: one key per unit, whatever form the code arrives in.

The codes are shaped like the real ones per product group (the marking operator's
published formats): shoes and clothes have a 13-character serial, then 91 (key id,
4 characters) and 92 (signature, 44 characters); milk a 6-character serial, water
and juice a 13-character one, each with the short tail 93 + 4 characters.
"""

from __future__ import annotations

import pytest

from picking.codes import ScannedCode, interpret

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
