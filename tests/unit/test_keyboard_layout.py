"""Codes a wedge scanner typed through the Russian keyboard layout.

``typed_in_russian`` below is the test's own model of the keyboard: the key a US
layout uses for each character, and what the Russian ЙЦУКЕН layout types on that
key (with Shift where the Latin character needs it). It is written out key by key,
independently of the table in picking.keyboard.
"""

from __future__ import annotations

import pytest

from picking.codes import UnreadableCode, interpret
from picking.gtin import complete

GS = "\x1d"

# (US character, Russian character) for every key that differs, row by row.
_KEYS = [
    ("`", "ё"), ("~", "Ё"), ("@", '"'), ("#", "№"), ("$", ";"), ("^", ":"), ("&", "?"),
    *zip("qwertyuiop[]", "йцукенгшщзхъ", strict=True),
    *zip("QWERTYUIOP{}", "ЙЦУКЕНГШЩЗХЪ", strict=True), ("|", "/"),
    *zip("asdfghjkl;'", "фывапролджэ", strict=True),
    *zip('ASDFGHJKL:"', "ФЫВАПРОЛДЖЭ", strict=True),
    *zip("zxcvbnm,./", "ячсмитьбю.", strict=True),
    *zip("ZXCVBNM<>?", "ЯЧСМИТЬБЮ,", strict=True),
]
_RUSSIAN = dict(_KEYS)


def typed_in_russian(code: str, *, drop_gs: bool = True) -> str:
    """What a wedge scanner with the Russian layout on types for ``code``."""
    typed = "".join(_RUSSIAN.get(ch, ch) for ch in code)
    return typed.replace(GS, "") if drop_gs else typed


MILK_GTIN = complete("0460700933012")
WATER_GTIN = complete("0460123456789")
SHOES_GTIN = complete("0465008954123")
SIGNATURE = "MEUCIQD3ox5dn+8iRw3yYdX/tk+gVjyDPMfgUaSJg8f="

# Real-looking codes per group: (code with GS, its key, its tail).
CODES = {
    # milk: 6-character serial, short tail 93 + 4
    "milk": (f"01{MILK_GTIN}21aZ;k'Q{GS}93wQ/x", f"01{MILK_GTIN}21aZ;k'Q", "93wQ/x"),
    # weighed dairy: the same, then the net weight 3103
    "cheese by weight": (f"01{MILK_GTIN}21Pk?.,x{GS}93dGVz{GS}3103000480",
                         f"01{MILK_GTIN}21Pk?.,x", "93dGVz"),
    # water: 13-character serial, short tail 93 + 4
    "water": (f"01{WATER_GTIN}215nXq<\"Mk>e:2r{GS}93Ab+1", f"01{WATER_GTIN}215nXq<\"Mk>e:2r",
              "93Ab+1"),
    # shoes: 13-character serial, 91 key id + 92 signature of 44 characters
    "shoes": (f"01{SHOES_GTIN}21aVx0n'-;RK=Gw{GS}91EE07{GS}92{SIGNATURE}",
              f"01{SHOES_GTIN}21aVx0n'-;RK=Gw", f"91EE07{GS}92{SIGNATURE}"),
}


@pytest.mark.parametrize("drop_gs", [True, False])
@pytest.mark.parametrize("product", CODES)
def test_a_marking_typed_in_the_russian_layout_reads_back_to_its_key(
        product: str, drop_gs: bool) -> None:
    code, key, tail = CODES[product]
    typed = typed_in_russian(code, drop_gs=drop_gs)
    assert typed != code and any("а" <= ch.lower() <= "я" for ch in typed)
    scanned = interpret(typed + "\r\n")
    assert (scanned.kind, scanned.marking_key, scanned.marking_tail) == ("marking", key, tail)
    assert scanned.raw.isascii() and scanned.raw.replace(GS, "") == code.replace(GS, "")


def test_the_label_text_typed_in_the_russian_layout_reads_back() -> None:
    typed = typed_in_russian(f"(01){MILK_GTIN}(21)aZ;k'Q(93)wQ/x")
    assert interpret(typed).marking_key == f"01{MILK_GTIN}21aZ;k'Q"


def test_an_aim_prefix_and_a_gs_stand_in_typed_in_russian_read_back() -> None:
    code, key, _ = CODES["milk"]
    typed = typed_in_russian("]d2" + code.replace(GS, "<GS>"))
    assert typed.startswith("ъв2")
    assert interpret(typed).marking_key == key


def test_a_gs1_batch_typed_in_russian_reads_back() -> None:
    scanned = interpret(typed_in_russian(f"(01){WATER_GTIN}(10)LOT/a7(17)270331"))
    assert (scanned.kind, scanned.gtin, scanned.batch) == ("gs1", WATER_GTIN, "LOT/a7")


def refused(raw: str) -> UnreadableCode:
    with pytest.raises(UnreadableCode) as caught:
        interpret(raw)
    return caught.value


@pytest.mark.parametrize(
    "typed",
    [
        # a milk code whose tail lost a character: no known marking shape fits
        typed_in_russian(f"01{MILK_GTIN}21aZ;k'Q{GS}93wQ/"),
        # a serial of unknown length with GS dropped
        typed_in_russian(f"01{MILK_GTIN}21aZ;k'Qrr{GS}93wQ/x"),
        # a wrong GTIN check digit
        typed_in_russian(f"01{MILK_GTIN[:-1]}{(int(MILK_GTIN[-1]) + 1) % 10}21aZ;k'Q{GS}93wQ/x"),
        # a character no Latin key types in the Russian layout (ё is on the ` key)
        f"01{MILK_GTIN}21фЯжлэЙ93цЙ.ч" + "ё",
        # a symbol only the Russian layout has (№ is on the # key)
        f"(01){WATER_GTIN}(10)№12",
    ],
)
def test_russian_layout_text_that_does_not_read_back_is_refused_with_the_layout_reason(
        typed: str) -> None:
    error = refused(typed)
    assert error.code == "keyboard_layout"
    assert "Russian keyboard layout" in error.reason and "English" in error.reason


def test_russian_words_are_not_a_product_code() -> None:
    assert refused("молоко").code == "not_a_barcode"


def test_a_bag_label_typed_in_russian_is_still_a_bag_label() -> None:
    assert "bag label" in refused(typed_in_russian("SP-BAG:ord-17:2")).reason


@pytest.mark.parametrize(
    "raw",
    [f"01{MILK_GTIN}21жЖжЖжЖ93abcd", f"01{MILK_GTIN}21абвгде{GS}93abcd",
     f"(01){MILK_GTIN}(21)абвгде(93)abcd", f"01{MILK_GTIN}21ÀÁÂÃÄÅ93abcd"],
)
def test_a_code_with_letters_outside_gs1s_character_set_is_never_a_marking(raw: str) -> None:
    try:
        code = interpret(raw)
    except UnreadableCode:
        return
    assert not code.is_marking and code.raw.isascii()


def test_a_cigarette_pack_code_typed_in_russian_reads_back() -> None:
    tobacco = complete("0460620308662")
    typed = typed_in_russian(tobacco + "Nk7>q'B" + "AAOP" + "f8Kz")
    assert typed[14:] == "Тл7Юйэ" + "И" + "ФФЩЗ" + "а8Ля"
    code = interpret(typed)
    assert (code.marking_key, code.marking_tail) == (f"01{tobacco}21Nk7>q'B", "AAOPf8Kz")
