"""Every page, for every role, in Russian and in English: no words of the other language.

A store mid-shift (an order being picked with one substitute accepted and one
waiting for the customer, orders to pack, staged, on the way, waiting at the
counter, a refused event) is walked by a picker, a supervisor, a courier and a
customer in both languages. Data a person typed or the catalog holds (product
names in the page's language, names, addresses, order ids, codes) is not
language; everything else must be. See tests/support/language.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update

from app.db import tables
from app.db.uow import UnitOfWork
from app.services import handover as service
from picking.bags import BagCode
from tests.integration.test_substitution_http import (
    Customer,
    line_of,
    offer,
    outbox,
)
from tests.integration.test_sync_dead_letters import make_dead
from tests.support.handover import picked_order, staff_user
from tests.support.language import leaks, visible_text
from tests.support.outbox import add_events
from tests.support.people import PEOPLE, Person
from tests.support.shop import ITEMS, NOT_IN_ANY_ORDER, NOW, WATER_UPC, add_order, kefir_unit

# Sizes as the catalog sends them (neutral, English-looking text): screens translate them.
SIZES = {"milk": ("930 ml", 930), "kefir": ("900 ml", 900), "water": ("1.5 l", 1500),
         "bread": ("400 g", 400), "rye": ("650 g", 650), "bananas": ("per kg", None)}


@dataclass
class Floor:
    orders: dict[str, int] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    customer_url: str = ""


async def busy_store(db: Any, shop: Any, client: Any, phone: Any) -> Floor:
    floor = Floor()
    async with db.writing() as session:
        for sku, (text, amount) in SIZES.items():
            await session.execute(update(tables.products).where(tables.products.c.sku == sku)
                                  .values(size_text=text, size_amount=amount))
        await session.commit()
    packer, courier = staff_user(shop, "picker"), staff_user(shop, "courier")
    english_places = {"ambient": "Shelf 1", "chilled": "Fridge 2", "frozen": "Freezer 1"}
    floor.orders["to_pack"] = await picked_order(db, shop, {"water": 1, "milk": 1},
                                                 oms_id="L-PACK")
    for key, lines, fulfilment in (("staged", {"water": 2, "milk": 1}, "delivery"),
                                   ("on_way", {"water": 1, "beer": 1}, "delivery"),
                                   ("counter", {"water": 1, "bread": 1}, "collect")):
        order_id = await picked_order(db, shop, lines, oms_id=f"L-{key.upper()}",
                                      fulfilment=fulfilment)
        zones = {"ambient": 1, "chilled": 1} if "milk" in lines else {"ambient": 1}
        await service.pack_order(UnitOfWork(db), packer, order_id, zones, english_places, NOW)
        floor.orders[key] = order_id
    await service.scan_bag(UnitOfWork(db), courier, BagCode("L-ON_WAY", 1, 1, "ambient").text(),
                           NOW)
    await service.take_order(UnitOfWork(db), courier, floor.orders["on_way"], NOW)

    async with db.writing() as session:
        floor.orders["picking"] = await add_order(session, shop, {"milk": 2, "bread": 1,
                                                                  "water": 1}, oms_id="L-PICK")
    picker = Person(client, "picker")
    await picker.sign_in()
    assert await picker.take_next() == floor.orders["picking"]
    order_id = floor.orders["picking"]
    await picker.scan(order_id, WATER_UPC)
    for sku in ("milk", "bread"):
        floor.lines[sku] = await line_of(db, order_id, sku)
        await picker.post(f"/pick/{order_id}/lines/{floor.lines[sku]}/short",
                          {"reason": "out_of_stock"}, htmx=True)
    await offer(picker, order_id, floor.lines["bread"], NOT_IN_ANY_ORDER)
    await offer(picker, order_id, floor.lines["milk"], kefir_unit())
    proposals = await outbox(db, order_id, "SubstitutionProposed")
    floor.customer_url = proposals[0]["customer_url"]
    customer = Customer(phone, floor.customer_url)
    await customer.open()
    answered = await customer.answer(proposals[0]["proposal"], "approve")
    assert answered.status_code == 200, answered.text[:300]

    async with db.writing() as session:
        floor.orders["queued"] = await add_order(session, shop, {"bananas": 1200, "water": 1},
                                                 oms_id="L-QUEUE")
    (dead,) = await add_events(db, "L-DEAD", 1, kind="OrderPicked")
    await make_dead(db, dead, "HTTP 409: version conflict")
    return floor


def pages(floor: Floor) -> dict[str, list[str]]:
    o, ln = floor.orders, floor.lines
    return {
        "picker": ["/", "/pick/", f"/pick/{o['picking']}", f"/pick/{o['picking']}/summary",
                   f"/pick/{o['picking']}/lines/{ln['milk']}/substitute", "/pack/",
                   f"/pack/{o['to_pack']}", f"/pack/{o['staged']}/labels", "/collect/",
                   f"/collect/{o['counter']}"],
        "supervisor": ["/board/", f"/board/orders/{o['picking']}", f"/board/orders/{o['queued']}",
                       "/board/summary", "/board/limits", "/sync/dead-letters/"],
        "courier": ["/courier/", f"/courier/take/{o['staged']}", f"/courier/orders/{o['on_way']}"],
    }


def data_for(language: str) -> list[str]:
    """What is data, not language, on a page in ``language``."""
    names = [i.name_ru if language == "ru" else i.name_en for i in ITEMS]
    people = [key.title() for key in PEOPLE]
    return [*names, *people, "Анна", "Тверская 7, кв. 12", "Москва, Тверская 12", "СПб, Невский 40",
            "MSK-001", "SPB-002",
            "L-PACK", "L-STAGED", "L-ON_WAY", "L-COUNTER", "L-PICK", "L-QUEUE", "L-DEAD",
            "#1"]


async def test_no_page_shows_words_of_the_other_language(
        db: Any, shop: Any, client: Any, phone: Any) -> None:
    floor = await busy_store(db, shop, client, phone)
    found: dict[str, list[str]] = {}
    for role, urls in pages(floor).items():
        person = Person(client, role)
        await person.sign_in()
        for language in ("ru", "en"):
            await person.post("/me/language", {"language": language, "next": "/"})
            for url in urls:
                response = await person.get(url)
                assert response.status_code == 200, (role, url, response.status_code)
                words = leaks(response.text, language, data_for(language))
                if words:
                    found[f"{role} {language} {url}"] = words
    customer = Customer(phone, floor.customer_url)
    for language in ("ru", "en"):
        response = await phone.get(f"{customer.path}?lang={language}")
        words = leaks(response.text, language, data_for(language))
        if words:
            found[f"customer {language}"] = words
        login = await phone.get("/login", headers={"Accept-Language": language})
        words = leaks(login.text, language, data_for(language))
        if words:
            found[f"anonymous {language} /login"] = words
    assert found == {}, "\n".join(f"{page}: {words}" for page, words in found.items())


async def test_counts_sizes_places_and_unit_prices_read_right_in_both_languages(
        db: Any, shop: Any, client: Any, phone: Any) -> None:
    """What the script check cannot see: plurals, units, a word that means two things."""
    floor = await busy_store(db, shop, client, phone)
    o = floor.orders
    picker = Person(client, "picker")
    await picker.sign_in()
    seen: dict[str, dict[str, str]] = {"en": {}, "ru": {}}
    for language in ("en", "ru"):
        await picker.post("/me/language", {"language": language, "next": "/"})
        for name, url in (("counter", "/collect/"), ("place", f"/collect/{o['counter']}"),
                          ("pick", f"/pick/{o['picking']}")):
            seen[language][name] = visible_text((await picker.get(url)).text)
        seen[language]["customer"] = visible_text((await phone.get(
            f"{Customer(phone, floor.customer_url).path}?lang={language}")).text)
    supervisor = Person(client, "supervisor")
    await supervisor.sign_in()
    await supervisor.post("/me/language", {"language": "ru", "next": "/"})
    summary = (await supervisor.get("/board/summary")).text

    assert "Анна · 1 bag" in seen["en"]["counter"] and "1 bags" not in seen["en"]["counter"]
    assert "Анна · 1 пакет" in seen["ru"]["counter"]
    assert "Shelf 1" in seen["en"]["place"] and "Полка 1" in seen["ru"]["place"]
    assert "White bread 400 g" in seen["en"]["pick"] and "Хлеб белый 400 г" in seen["ru"]["pick"]
    assert "1.5 l 1.5 l" not in seen["en"]["pick"]  # the name says it already
    assert "/ 1 pc" in seen["en"]["pick"] and "/ 2 pcs" in seen["en"]["pick"]
    assert "/ 1 шт" in seen["ru"]["pick"]
    # a bottle of kefir is compared per litre, not "per kg or l"
    assert "₽ / l" in seen["en"]["customer"] and "kg or l" not in seen["en"]["customer"]
    assert "₽ / л" in seen["ru"]["customer"] and "кг или л" not in seen["ru"]["customer"]
    # the chart's legend says what the bars count ("к" alone is the preposition "due")
    legend = re.search(r'<p class="chart-legend">(.*?)</p>', summary, re.S)
    assert legend and "заказов к сроку" in legend.group(1)
