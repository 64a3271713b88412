"""Every page of every role, in Russian and English, on a 360 px phone: axe-core finds no
serious or critical violation, and every control is at least 44 x 44 CSS px.

One browser, one context per language, one visit per page; axe (vendored from npm, see
tests/support/vendor/SHA256SUMS) is injected into each page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PHONE, LiveServer, seeded_database, sign_in, start_server

AXE = Path(__file__).resolve().parents[1] / "support" / "vendor" / "axe-core-4.14.1.min.js"
RUN_AXE = """async () => {
  const result = await axe.run(document, {
    resultTypes: ['violations'],
    rules: { 'label-content-name-mismatch': { enabled: true } },
  });
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id}: ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`);
}"""
# Controls smaller than a thumb. Exempt, explicitly: links inside running text (a <p>).
SMALL_TARGETS = """() => {
  const controls = 'a[href], button, input:not([type=hidden]), select, textarea, summary, ' +
    'label[for]';
  const small = [];
  for (const el of document.querySelectorAll(controls)) {
    // a radio or tick box inside its label is hit anywhere on the label's row
    const row = el.matches('input[type=radio], input[type=checkbox]') && el.closest('label');
    const box = (row || el).getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(el).visibility === 'hidden') continue;
    if (el.closest('.sr-only')) continue;
    if (el.matches('label[for]')) {  // a target only where it stands in for a hidden control
      const control = document.getElementById(el.htmlFor);
      const shown = control && control.getBoundingClientRect().width > 1 &&
        getComputedStyle(control).opacity !== '0';
      if (!control || shown) continue;
    }
    if (el.matches('input[type=file]') && getComputedStyle(el).opacity === '0') continue;
    if (el.matches('a') && el.parentElement.closest('p')) continue;
    if (box.height < 44 || box.width < 44) {
      const name = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim();
      const size = `${Math.round(box.width)}x${Math.round(box.height)}`;
      small.push(`${el.tagName.toLowerCase()} "${name.slice(0, 30)}" ${size}`);
    }
  }
  return small;
}"""
# Text cut short with an ellipsis to a sliver (a letter or two and "…"): it says nothing, and
# it is what a person reads first. Shown text that is cut must keep at least 4 em of itself.
SLIVERS = """() => {
  const cut = [];
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (style.textOverflow !== 'ellipsis' || style.opacity === '0' || !el.textContent.trim()) {
      continue;
    }
    const em = parseFloat(style.fontSize);
    if (el.scrollWidth > el.clientWidth && el.clientWidth < 4 * em && el.offsetParent) {
      const text = el.textContent.trim().slice(0, 30);
      cut.push(`${el.tagName.toLowerCase()} "${text}" shown in ${el.clientWidth} px`);
    }
  }
  return cut;
}"""
# A badge glued to the word before it ("125 ganother kind"): a line break in a template is
# trimmed by Jinja, so the space has to be written. Measured where both stand on one line.
GLUED = """() => {
  const glued = [];
  for (const badge of document.querySelectorAll('.badge')) {
    const box = badge.getBoundingClientRect();
    let prev = badge.previousSibling;
    while (prev && prev.nodeType === Node.COMMENT_NODE) prev = prev.previousSibling;
    if (!box.width || !prev || /\\s$/.test(prev.textContent)) continue;
    const range = document.createRange();
    range.selectNodeContents(prev);
    const rects = [...range.getClientRects()].filter(r => r.width);
    const last = rects[rects.length - 1];
    if (!last || last.bottom <= box.top || last.top >= box.bottom) continue;  // another line
    if (Math.abs(box.left - last.right) < 2) {
      glued.push(`"${prev.textContent.trim().slice(-20)}" + "${badge.textContent.trim()}"`);
    }
  }
  return glued;
}"""
# An order number split over two lines ("Упаковка OMS-" / "240002"): half of it is read as
# another number. The browser may break after its hyphen; it must not.
SPLIT_NUMBERS = """() => {
  const split = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const match of node.textContent.matchAll(/[A-Z]{2,}-\\d{4,}/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].filter(r => r.width)
        .map(r => Math.round(r.top)));
      if (tops.size > 1) split.push(`${match[0]} in "${node.textContent.trim().slice(0, 40)}"`);
    }
  }
  return split;
}"""

# A choice cut off in its box: the login's store ("Москва, Тверская 12 (MSK-0"), a courier's
# reason. Every option is measured in the box's own font, not only the one shown now: the
# one a person picks is the one the box then has to show.
CUT_CHOICES = """() => {
  const cut = [];
  const ctx = document.createElement('canvas').getContext('2d');
  for (const box of document.querySelectorAll('select')) {
    if (!box.getClientRects().length) continue;
    const style = getComputedStyle(box);
    ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    // the arrow takes about 20 px of the box's inner width in Chromium
    const room = box.clientWidth - parseFloat(style.paddingLeft)
      - parseFloat(style.paddingRight) - 20;
    for (const option of box.options) {
      const needs = ctx.measureText(option.text).width;
      if (needs > room) {
        cut.push(`${box.name}: "${option.text}" needs ${Math.round(needs)} px of ` +
                 `${Math.round(room)}`);
      }
    }
  }
  return cut;
}"""

# Text a line may break inside, found by a pattern: the walker below is given one, and the
# elements to pass over; text whose own white-space does not wrap counts as kept whole.
BREAKABLE = """([pattern, flags, skip]) => {
  const split = [];
  const found = new RegExp(pattern, flags);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (parent.closest(skip)) continue;
    if (/^(nowrap|pre)$/.test(getComputedStyle(parent).whiteSpace)) continue;
    for (const match of node.textContent.matchAll(found)) {
      split.push(`"${match[0]}" in "${node.textContent.trim().slice(0, 50)}"`);
    }
  }
  return split;
}"""
# A number and its unit with a space a line may end at: "Конфеты Merci ассорти 210" / "г"
# at 360 px. Wherever a number stands before a unit it is a no-break space, on every page
# (read from the text, so it holds whatever name happens to fall at a line's end today).
SPLIT_UNITS = [r"\d[ \t\n]+(г|кг|мл|л|шт|g|kg|ml|l|pcs?)(?![\p{L}\d])", "gu", "script, style"]
# A code a line may split at its hyphen: an order ("OMS-" / "240002"), a store ("MSK-" /
# "001"), a tote. Printed labels wrap anywhere on purpose.
SPLIT_ORDERS = [r"\b[A-Z]{1,10}-[0-9][A-Z0-9-]*\b", "g", "script, style, .label, code"]
# A count a line may split: "Собрано 3 из" / "12", "Bag 1 of" / "2". Read as one figure, so
# kept on one line, whichever words happen to fall at the line's end.
SPLIT_COUNTS = [r"\d[ \t\n]+(of|из)[ \t\n]+\d", "gu", "script, style"]

# Words cut off behind an ellipsis ("Рустам А…" in a courier's top bar at 360 px).
ELLIPSIZED = """() => {
  const cut = [];
  for (const el of document.querySelectorAll('body *')) {
    if (!el.getClientRects().length || el.matches('input')) continue;
    if (!(el.innerText || '').trim()) continue;
    const style = getComputedStyle(el);
    const clamped = style.webkitLineClamp && style.webkitLineClamp !== 'none';
    if ((style.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1) ||
        (clamped && el.scrollHeight > el.clientHeight + 1)) {
      cut.push(`"${el.innerText.trim().slice(0, 40)}" cut off`);
    }
  }
  return cut;
}"""


@dataclass
class Floor:
    server: LiveServer
    ids: dict[str, Any]


async def _prepare(db: Any, shop: Any) -> dict[str, Any]:
    from sqlalchemy import select

    from app.db import tables
    from app.db.uow import UnitOfWork
    from app.services import handover, substitutions
    from app.services import picking as picking_service
    from picking.bags import BagCode
    from tests.support.handover import picked_order, staff_user
    from tests.support.shop import NOW, add_order, kefir_unit

    picker, courier = staff_user(shop, "picker"), staff_user(shop, "courier")
    places = {"ambient": "Shelf 1", "chilled": "Fridge 1", "frozen": "Freezer 1"}
    ids: dict[str, Any] = {
        "picked": await picked_order(db, shop, {"water": 1, "pizza": 1}, oms_id="OMS-240001"),
        "packed": await picked_order(db, shop, {"water": 1}, oms_id="OMS-240002"),
        "taken": await picked_order(db, shop, {"water": 1}, oms_id="OMS-240003"),
        "collect": await picked_order(db, shop, {"water": 1}, oms_id="OMS-240004",
                                      fulfilment="collect"),
    }
    for key in ("packed", "taken", "collect"):
        await handover.pack_order(UnitOfWork(db), picker, ids[key], {"ambient": 1}, places, NOW)
    await handover.scan_bag(UnitOfWork(db), courier, BagCode("OMS-240003", 1, 1, "ambient").text(),
                            NOW)
    await handover.take_order(UnitOfWork(db), courier, ids["taken"], NOW)

    async with db.writing() as session:  # being picked: milk is missing, kefir offered
        ids["picking"] = await add_order(session, shop, {"milk": 1, "bread": 2, "bananas": 1000})
        milk_line = (await session.execute(
            select(tables.order_lines.c.id).where(tables.order_lines.c.order_id ==
                                                  ids["picking"]).order_by(
                tables.order_lines.c.position))).scalars().first()
        await session.commit()
    ids["milk_line"] = milk_line
    await picking_service.start_order(UnitOfWork(db), picker, ids["picking"], NOW)
    await picking_service.short_line(UnitOfWork(db), picker, ids["picking"], milk_line,
                                     "out_of_stock", NOW)
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)  # the offer has timed out by now
    proposed = await substitutions.propose(
        UnitOfWork(db), picker, ids["picking"], milk_line, kefir_unit(), now=an_hour_ago,
        window_minutes=10, base_url="http://x")
    ids["customer_path"] = "/c/" + proposed.customer_url.rsplit("/c/", 1)[1]
    return ids


@pytest.fixture(scope="module")
def floor(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Floor]:
    directory = tmp_path_factory.mktemp("a11y")
    url, ids = seeded_database(sqlite_template, directory, _prepare)
    server = start_server(url, data_dir=directory / "data")
    yield Floor(server, ids)
    server.stop()


def pages_by_role(ids: dict[str, Any]) -> list[tuple[tuple[str, str] | None, list[str]]]:
    return [
        (None, ["/login", ids["customer_path"]]),
        (("1001", "1111"), [
            "/", "/pick/", f"/pick/{ids['picking']}",
            f"/pick/{ids['picking']}/lines/{ids['milk_line']}/substitute",
            f"/pick/{ids['picking']}/lines/{ids['milk_line']}/substitute?wider=1",
            f"/pick/{ids['picked']}/summary", "/pack/", f"/pack/{ids['picked']}",
            f"/pack/{ids['packed']}/labels"]),
        (("3001", "4444"), [
            "/courier/", f"/courier/take/{ids['packed']}", f"/courier/orders/{ids['taken']}"]),
        (("5001", "super-5001"), [
            "/", "/board/", f"/board/orders/{ids['picking']}", "/board/summary", "/board/limits",
            "/collect/", f"/collect/{ids['collect']}", "/sync/dead-letters/"]),
    ]


def sign_in_speaking(page: Any, base_url: str, who: tuple[str, str], lang: str) -> None:
    page.context.clear_cookies()
    sign_in(page, base_url, *who)
    if page.locator("html").get_attribute("lang") != lang:
        page.locator("form[action='/me/language'] button").click()
        page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == lang


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_page_passes_axe_and_has_thumb_sized_controls(
        floor: Floor, browser: Any, lang: str) -> None:
    # axe is injected as an inline script, which the CSP rightly refuses: bypass it here
    # (tests/e2e/test_security_headers.py checks the pages under the CSP).
    context = browser.new_context(**{**PHONE, "locale": "ru-RU" if lang == "ru" else "en-US"},
                                  bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    violations: list[str] = []
    small: list[str] = []
    wide: list[str] = []  # a page wider than the phone scrolls sideways
    cut: list[str] = []
    try:
        for who, paths in pages_by_role(floor.ids):
            if who is not None:
                sign_in_speaking(page, floor.server.url, who, lang)
            for path in paths:
                query = f"?lang={lang}" if path.startswith("/c/") else ""
                answer = page.goto(floor.server.url + path + query)
                assert answer is not None and answer.status < 500, path
                page.add_script_tag(path=str(AXE))
                violations += [f"{path}: {v}" for v in page.evaluate(RUN_AXE)]
                small += [f"{path}: {s}" for s in page.evaluate(SMALL_TARGETS)]
                cut += [f"{path}: {s}" for s in page.evaluate(SLIVERS)]
                cut += [f"{path}: {s}" for s in page.evaluate(GLUED)]
                cut += [f"{path}: {s}" for s in page.evaluate(SPLIT_NUMBERS)]
                cut += [f"{path}: {s}" for s in page.evaluate(CUT_CHOICES)]
                cut += [f"{path}: {s}" for s in page.evaluate(BREAKABLE, SPLIT_UNITS)]
                cut += [f"{path}: {s}" for s in page.evaluate(BREAKABLE, SPLIT_ORDERS)]
                cut += [f"{path}: {s}" for s in page.evaluate(BREAKABLE, SPLIT_COUNTS)]
                cut += [f"{path}: {s}" for s in page.evaluate(ELLIPSIZED)]
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > PHONE["viewport"]["width"]:
                    wide.append(f"{path}: {width} px wide")
    finally:
        context.close()
    assert (violations, small, wide, cut) == ([], [], [], []), "\n".join(
        violations + small + wide + cut)


def test_the_customer_page_is_not_the_installable_staff_app(floor: Floor) -> None:
    import httpx

    page = httpx.get(floor.server.url + floor.ids["customer_path"])
    assert page.status_code == 200
    assert 'rel="manifest"' not in page.text and "register-sw" not in page.text
    manifest = httpx.get(floor.server.url + "/static/manifest.webmanifest").json()
    assert "orientation" not in manifest  # the board runs on a landscape tablet
    assert [s["url"] for s in manifest["shortcuts"]] == ["/pick/", "/board/"]
