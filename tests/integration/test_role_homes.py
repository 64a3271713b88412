"""Every role has a home: it links to every area the role may open and to none it
may not, and each link opens (200) while every other area refuses (403).

The areas and who may open them are one table (``app.staff.ROLE_AREAS``) that the
guards read too; these tests walk the pages as each person would.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.staff import AREAS, HUB_ROLES, ROLES
from tests.support.people import Person

EVERY_AREA_URL = {"board": "/board", "summary": "/board/summary", "limits": "/board/limits",
                  "pick": "/pick", "pack": "/pack", "collect": "/collect",
                  "courier": "/courier", "dead_letters": "/sync/dead-letters"}
EXPECTED = {  # what the shift asked for (issue #12, item 14), written out by hand
    "picker": {"pick", "pack", "collect"},
    "packer": {"pack", "collect"},
    "clerk": {"collect"},
    "courier": {"courier"},
    "supervisor": {"board", "summary", "limits", "pick", "pack", "collect", "dead_letters"},
    "admin": set(EVERY_AREA_URL),
}
LANDS_ON = {"picker": "/pick", "packer": "/pack", "clerk": "/collect", "courier": "/courier"}


def linked_areas(html: str) -> dict[str, str]:
    """area key -> href of every area link on the page (home cards and top-bar menu)."""
    return {key: href for href, key in
            re.findall(r'<a[^>]*href="([^"]+)"[^>]*data-area="([a-z_]+)"', html)}


def areas_reached(html: str) -> set[str]:
    """Every area any link on the page leads into (by its URL, marked or not)."""
    reached = set()
    for href in re.findall(r'<a[^>]*href="([^"#?]+)', html):
        for key, url in sorted(EVERY_AREA_URL.items(), key=lambda kv: -len(kv[1])):
            if href.rstrip("/") == url or href.startswith(url + "/"):
                reached.add(key)
                break
    return reached


def test_the_table_names_every_area_and_every_role() -> None:
    assert set(AREAS) == set(EVERY_AREA_URL)
    assert set(ROLES) == set(EXPECTED)


@pytest.mark.parametrize("role", sorted(EXPECTED))
async def test_each_role_lands_on_a_home_that_links_exactly_what_it_may_open(
        client: Any, role: str) -> None:
    person = Person(client, role)
    assert (await person.sign_in()).status_code == 303
    first = await person.get("/", follow_redirects=False)
    if role in HUB_ROLES:
        assert first.status_code == 200
        home = first.text
        cards = re.findall(r'class="home-area card" href="([^"]+)" data-area="([a-z_]+)"', home)
        assert {key for _href, key in cards} == EXPECTED[role]
    else:
        assert first.status_code == 303 and first.headers["location"] == LANDS_ON[role]
        home = (await person.get(LANDS_ON[role])).text
    links = linked_areas(home)
    allowed = EXPECTED[role]
    assert areas_reached(home) <= allowed, areas_reached(home) - allowed
    if len(allowed) > 1:  # the top bar's menu (one-job roles have just the home link)
        assert set(links) == allowed, links
    assert {k: links[k] for k in links} == {k: EVERY_AREA_URL[k] for k in links}
    for key, url in EVERY_AREA_URL.items():
        status = (await person.get(url, follow_redirects=False)).status_code
        assert status == (200 if key in allowed else 403), (role, url, status)


async def test_the_home_speaks_the_person_s_language(client: Any) -> None:
    admin = Person(client, "admin")
    await admin.sign_in()
    english = (await admin.get("/")).text
    assert "Packing desk" in english and "failed deliveries come back here" in english
    assert "Undelivered events" in english and ">Menu<" in english
    await admin.post("/me/language", {"language": "ru", "next": "/"})
    russian = (await admin.get("/")).text
    assert "Стол упаковки" in russian and "возвращаются несостоявшиеся доставки" in russian
    assert "Недоставленные события" in russian and ">Меню<" in russian
    assert "Packing desk" not in russian


async def test_the_board_s_menu_reaches_the_packing_desk_and_the_dead_letters(
        client: Any) -> None:
    supervisor = Person(client, "supervisor")
    await supervisor.sign_in()
    board = (await supervisor.get("/board/")).text
    links = linked_areas(board)
    assert links["pack"] == "/pack" and links["dead_letters"] == "/sync/dead-letters"
    assert 'href="/board" data-area="board" aria-current="page"' in board
