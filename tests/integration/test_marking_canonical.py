"""One Честный ЗНАК unit is one unit, whatever form its code arrives in (SQLite and PostgreSQL).

A scanner that keeps GS, one that drops it, and a picker typing the label text in
parentheses give three different strings for the same pack: the app stores and
compares the unit's key (01 GTIN 21 serial) and keeps the crypto tail beside it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import tables
from app.db.migrate import alembic_config, upgrade
from tests.support.people import Person
from tests.support.shop import KEFIR, add_order

GS = "\x1d"
GTIN14 = KEFIR.zfill(14)
SERIAL = "Xq3+Zk"  # dairy: a 6-character serial, then 93 and a 4-character tail
KEY = f"01{GTIN14}21{SERIAL}"


def three_forms(serial: str = SERIAL, tail: str = "AbCd") -> list[str]:
    """With GS (as a DataMatrix decoder gives it), GS dropped, typed from the label."""
    return [f"01{GTIN14}21{serial}{GS}93{tail}", f"01{GTIN14}21{serial}93{tail}",
            f"(01){GTIN14}(21){serial}(93){tail}"]


async def order_with(db: Any, shop: Any, lines: dict[str, int]) -> int:
    async with db.writing() as session:
        return await add_order(session, shop, lines)


async def marking_rows(db: Any) -> list[tuple[str | None, str | None]]:
    s = tables.scans.c
    async with db.reading() as session:
        rows = await session.execute(select(s.marking_code, s.marking_tail).order_by(s.id))
        return [(code, tail) for code, tail in rows.all()]


async def kefir_picked(db: Any, order_id: int) -> int:
    lines = tables.order_lines.c
    async with db.reading() as session:
        return int(await session.scalar(
            select(sa.func.sum(lines.picked_quantity)).where(lines.order_id == order_id)) or 0)


def refused_as_duplicate(response: Any) -> bool:
    return (response.status_code == 422
            and "This DataMatrix code was already scanned" in response.text)


async def test_the_three_forms_of_one_unit_count_once_on_an_order(
        db: Any, shop: Any, picker: Person) -> None:
    order_id = await order_with(db, shop, {"kefir": 3})
    await picker.take_next()
    first, *others = three_forms()
    response = await picker.scan(order_id, first)
    assert response.status_code == 200 and 'data-feedback="ok"' in response.text
    for form in others:
        assert refused_as_duplicate(await picker.scan(order_id, form)), form
    assert await kefir_picked(db, order_id) == 1
    assert await marking_rows(db) == [(KEY, "93AbCd")]


@pytest.mark.parametrize("first", [0, 1, 2])
async def test_a_unit_picked_on_one_order_is_refused_in_every_form_on_another(
        db: Any, shop: Any, client: Any, picker: Person, first: int) -> None:
    forms = three_forms()
    one = await order_with(db, shop, {"kefir": 1})
    two = await order_with(db, shop, {"kefir": 1})
    assert await picker.take_next() == one
    assert (await picker.scan(one, forms[first])).status_code == 200
    other = Person(client, "picker2")
    await other.sign_in()
    assert await other.take_next() == two
    for form in forms:
        assert refused_as_duplicate(await other.scan(two, form)), form
    assert (await kefir_picked(db, one), await kefir_picked(db, two)) == (1, 0)
    assert await marking_rows(db) == [(KEY, "93AbCd")]


async def test_the_migration_rewrites_stored_codes_to_their_key(db_url: str, db: Any,
                                                                shop: Any) -> None:
    order_id = await order_with(db, shop, {"kefir": 3})
    async with db.reading() as session:
        line_id = await session.scalar(select(tables.order_lines.c.id)
                                       .where(tables.order_lines.c.order_id == order_id))
    config = alembic_config(db_url)
    # the revision before 0006 by name: "0006_marking_canonical@-1" means one step
    # down from the current head, which is 0006 only while it is the newest
    await asyncio.to_thread(command.downgrade, config, "0005")
    old_scans = sa.table("scans", *(sa.column(n) for n in (
        "line_id", "scan_id", "code", "quantity", "scanned_at", "marking_code")))
    with_gs, without_gs, typed = three_forms()
    other_unit = three_forms("Zz9-Yy")[1]
    stored = [with_gs, other_unit, typed, "not a code"]
    engine = create_async_engine(db_url)
    async with engine.begin() as connection:
        for n, code in enumerate(stored):
            await connection.execute(sa.insert(old_scans).values(
                line_id=line_id, scan_id=f"s{n}", code=code, quantity=1,
                scanned_at=datetime(2026, 1, 1, tzinfo=UTC), marking_code=code))
    await engine.dispose()
    await asyncio.to_thread(upgrade, db_url)
    assert without_gs  # the form the old rows did not happen to use
    assert await marking_rows(db) == [
        (KEY, "93AbCd"),
        (f"01{GTIN14}21Zz9-Yy", "93AbCd"),
        (typed, None),  # the same unit counted twice before: kept as it was
        ("not a code", None),
    ]


def in_russian_layout(code: str) -> str:
    """A wedge scanner with the Russian layout on: Cyrillic letters, GS lost."""
    keys = dict(zip("qwertyuiopasdfghjklzxcvbnmQWERTYUIOPASDFGHJKLZXCVBNM+'",
                    "йцукенгшщзфывапролдячсмитьЙЦУКЕНГШЩЗФЫВАПРОЛДЯЧСМИТЬ+э", strict=True))
    return "".join(keys.get(ch, ch) for ch in code).replace(GS, "")


async def test_a_code_typed_in_the_russian_layout_counts_as_its_unit(
        db: Any, shop: Any, picker: Person) -> None:
    order_id = await order_with(db, shop, {"kefir": 2})
    await picker.take_next()
    typed = in_russian_layout(three_forms()[0])
    assert typed.startswith(f"01{GTIN14}21Ч") and typed.endswith("93ФиСв")
    response = await picker.scan(order_id, typed)
    assert response.status_code == 200 and 'data-feedback="ok"' in response.text
    assert refused_as_duplicate(await picker.scan(order_id, three_forms()[0]))
    assert await marking_rows(db) == [(KEY, "93AbCd")]
    s = tables.scans.c
    async with db.reading() as session:
        assert await session.scalar(select(s.code)) == f"01{GTIN14}21{SERIAL}93AbCd"


async def test_a_russian_layout_code_that_does_not_read_back_is_refused_in_both_languages(
        db: Any, shop: Any, picker: Person) -> None:
    order_id = await order_with(db, shop, {"kefir": 1})
    await picker.take_next()
    broken = in_russian_layout(three_forms()[0])[:-1]  # a character of the tail lost
    response = await picker.scan(order_id, broken)
    assert response.status_code == 422
    assert ("The scanner typed this code in the Russian keyboard layout: switch the scanner"
            "&#39;s keyboard layout to English and scan again.") in response.text
    await picker.post("/me/language", {"language": "ru", "next": "/pick/"})
    response = await picker.scan(order_id, broken)
    assert "переключите раскладку сканера на английскую" in response.text
    assert await kefir_picked(db, order_id) == 0
    assert await marking_rows(db) == []
