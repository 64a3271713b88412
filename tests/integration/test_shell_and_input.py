"""The PWA shell, response hygiene, language choice, and bad input at the edges."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.people import Person
from tests.support.shop import MILK, add_chain_stores, add_order

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


async def test_the_service_worker_is_served_from_the_root_scope(client: Any) -> None:
    response = await client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["service-worker-allowed"] == "/"
    assert "javascript" in response.headers["content-type"]
    assert "__PRECACHE__" not in response.text and "__STATIC_VERSION__" not in response.text
    precached = json.loads(response.text.split("const PRECACHE = ", 1)[1].split(";", 1)[0]) \
        if "const PRECACHE = " in response.text else []
    for url in precached:  # the worker only installs if every precached file exists
        assert (await client.get(url)).status_code == 200, url


async def test_the_manifest_makes_the_app_installable(client: Any) -> None:
    manifest = (await client.get("/static/manifest.webmanifest")).json()
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert (await client.get(icon["src"])).status_code == 200


async def test_static_files_are_versioned_and_cached_for_a_year(client: Any) -> None:
    page = await client.get("/login")
    assert "/static/css/app.css?v=" in page.text
    css = await client.get("/static/css/app.css")
    assert "max-age=31536000" in css.headers["cache-control"]


async def test_pages_are_compressed_and_vary_on_htmx(client: Any) -> None:
    page = await client.get("/login", headers={"accept-encoding": "gzip"})
    assert page.headers.get("content-encoding") == "gzip"
    assert "HX-Request" in page.headers["vary"]


async def test_malformed_input_gets_a_clear_message_not_a_stack_trace(
        db: Any, shop: Any, picker: Person) -> None:
    async with db.writing() as session:
        order_id = await add_order(session, shop, {"milk": 2, "bananas": 1000})
    await picker.take_next()
    cases = [
        ({"code": MILK, "quantity": "lots"}, "whole number from 1 to 999"),
        ({"code": MILK, "quantity": "-1"}, "whole number from 1 to 999"),
        ({"code": "9" * 10_000}, "not a product barcode"),
        ({"code": "<script>alert(1)</script>"}, "not a product barcode"),
    ]
    for data, message in cases:
        response = await picker.post(f"/pick/{order_id}/scan", data, htmx=True)
        assert response.status_code == 422 and message in response.text, data
        assert "<script>alert" not in response.text and "Traceback" not in response.text
    weight = await picker.post(f"/pick/{order_id}/lines/999999/weight", {"weight": "abc"},
                               htmx=True)
    assert weight.status_code == 422 and "Type the weight as a number" in weight.text
    for url in ("/pick/abc", "/pick/99999999999"):
        response = await picker.get(url)
        assert response.status_code == 404 and "<html" in response.text, url
    bad_line = await picker.post(f"/pick/{order_id}/lines/x/short", {"reason": "damaged"})
    assert bad_line.status_code in (404, 405) and "Traceback" not in bad_line.text


async def test_a_person_switches_language_and_keeps_it(picker: Person) -> None:
    assert "Take next order" in (await picker.get("/pick/")).text
    switched = await picker.post("/me/language", {"language": "ru", "next": "/pick/"})
    assert switched.status_code == 303 and switched.headers["location"] == "/pick/"
    assert "Взять следующий заказ" in (await picker.get("/pick/")).text
    evil = await picker.post("/me/language", {"language": "en", "next": "//evil.example"})
    assert evil.headers["location"] == "/"


async def test_a_courier_cannot_open_the_picker_screens(client: Any, shop: Any) -> None:
    courier = Person(client, "courier")
    await courier.sign_in()
    response = await courier.get("/pick/")
    assert response.status_code == 403 and "<html" in response.text


async def test_signing_out_ends_the_session(picker: Person) -> None:
    await picker.get("/pick/")
    response = await picker.post("/logout")
    assert response.status_code == 303
    again = await picker.client.get("/pick/", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/login"


async def test_the_sign_in_page_offers_each_store_whole_and_keeps_this_device_s_last_one(
        client: Any, shop: Any) -> None:
    """A store is a row with its whole name and code (a select cut "Москва, Тверская 12
    (MSK-0" at 360 px), nothing chosen on a new device; after a sign-in at SPB-002 the
    page has SPB-002 chosen, not the first store of the list. A cookie naming no store
    chooses nothing and is never written into the page."""
    import re

    def chosen(page: str) -> list[str]:
        return re.findall(r'name="store" value="([^"]+)" required checked', page)

    page = (await client.get("/login")).text
    assert "<select" not in page and 'value="MSK-001"' in page and 'value="SPB-002"' in page
    assert "Москва, Тверская 12" in page and chosen(page) == []
    other = Person(client, "other_picker")
    assert (await other.sign_in()).status_code in (302, 303)
    await other.post("/logout")
    assert chosen((await client.get("/login")).text) == ["SPB-002"]
    client.cookies.clear()
    client.cookies.set("sp_store", "<b>x</b>")
    page = (await client.get("/login")).text
    assert chosen(page) == [] and "<b>x</b>" not in page


async def test_a_chain_s_sign_in_takes_the_store_as_a_code_or_a_name_and_writes_it_out_whole(
        client: Any, shop: Any, db: Any) -> None:
    """Past 8 stores the page has one field with the chain's stores as suggestions (each
    code with its whole name) instead of a select that cut the address at 360 px; the
    field takes the code in any case, typed through the Russian layout, or the store's
    name or a part naming one store. A part naming several, or none, is refused with the
    reason, the personnel number kept, nothing signed in."""
    import re

    async with db.writing() as session:
        await add_chain_stores(session)
    page = (await client.get("/login")).text
    assert "<select" not in page and 'list="store-list"' in page
    assert '<option value="MSK-001">Москва, Тверская 12</option>' in page
    assert "Not chosen yet" in page
    for typed in ("msk-001", "ЬЫЛ-001", "  Москва,  Тверская 12 ", "тверская",
                  "MSK-001 · Москва, Тверская 12"):
        client.cookies.clear()
        picker = Person(client, "picker")
        picker.store = typed
        response = await picker.sign_in()
        assert response.status_code == 303, (typed, response.text[:400])
        await picker.post("/logout")
        # the device's store is the resolved code, chosen and named on the next visit
        page = (await client.get("/login")).text
        assert 'value="MSK-001" placeholder' in page and re.search(
            r'data-store-name[^>]*>Москва, Тверская 12 <span[^>]*>MSK-001</span></p>', page), typed
    for typed, reason in (("Малышева 5", "More than one store matches “Малышева 5”: "
                                         "EKB-001, EKB-002"),
                          ("MSK-0O1", "No store matches “MSK-0O1”")):
        client.cookies.clear()
        picker = Person(client, "picker")
        picker.store = typed
        response = await picker.sign_in()
        assert response.status_code == 422 and reason in response.text, typed
        assert f'value="{typed}"' in response.text and 'value="1001"' in response.text
        assert (await client.get("/pick/", follow_redirects=False)).status_code == 303


async def test_a_chain_s_sign_in_page_is_in_russian_too(client: Any, shop: Any, db: Any
                                                        ) -> None:
    async with db.writing() as session:
        await add_chain_stores(session)
    client.headers["accept-language"] = "ru-RU,ru;q=0.9"
    page = (await client.get("/login")).text
    assert "Код, город или улица" in page and "Пока не выбран" in page
    picker = Person(client, "picker")
    picker.store = "Нигде"
    response = await picker.sign_in()
    assert response.status_code == 422
    assert "Нет магазина «Нигде». Выберите свой из списка" in response.text
