"""A chain's sign-in page at 360 px: the store named whole as it is typed, in both
languages, and a sign-in from the store typed through the Russian layout."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PHONE, LiveServer, seeded_database, start_server
from tests.support.shop import add_chain_stores

SHOTS = Path(os.environ.get("STOREPICK_SHOTS", "/tmp/storepick-shots"))

# The line naming the store: its text fully inside its box and the box inside the screen.
FITS = """() => {
  const out = document.querySelector('[data-store-name]');
  const box = out.getBoundingClientRect();
  return out.scrollWidth <= out.clientWidth && box.right <= window.innerWidth
    && box.left >= 0;
}"""


@pytest.fixture
def chain(sqlite_template: Path, tmp_path: Path) -> Iterator[LiveServer]:
    async def stores(db: Any, shop: Any) -> None:
        async with db.writing() as session:
            await add_chain_stores(session)

    url, _ = seeded_database(sqlite_template, tmp_path, stores)
    server = start_server(url)
    yield server
    server.stop()


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_a_picker_names_the_store_by_its_street_and_sees_it_whole(
        browser: Any, chain: LiveServer, lang: str) -> None:
    context = browser.new_context(**(PHONE | {"locale": {"ru": "ru-RU", "en": "en-US"}[lang]}))
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto(f"{chain.url}/login")
        name = page.locator("[data-store-name]")
        assert name.inner_text() == {"ru": "Пока не выбран", "en": "Not chosen yet"}[lang]
        page.fill("#store", "тверская")
        assert name.inner_text() == "Москва, Тверская 12 MSK-001"
        page.fill("#store", "Малышева 5")  # two stores: none named yet
        assert name.inner_text() == {"ru": "Пока не выбран", "en": "Not chosen yet"}[lang]
        page.fill("#store", "ЬЫЛ-001")  # MSK-001 with the Russian keys on
        assert name.inner_text() == "Москва, Тверская 12 MSK-001"
        assert page.evaluate(FITS)
        page.fill("#personnel_no", "1001")
        page.fill("#pin", "1111")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"sign_in_chain_{lang}.png"))
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        # Back on this device: the store it signed in to is chosen and named already.
        page.goto(f"{chain.url}/login")
        assert page.input_value("#store") == "MSK-001"
        assert name.inner_text() == "Москва, Тверская 12 MSK-001"
    finally:
        context.close()
