"""The pick page and each of its fragments render from the read model (picking.views),
never from the write-side Order, on SQLite and PostgreSQL; a refused scan answers
without reading the order for the screen."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Iterator
from typing import Any

import httpx
import jinja2
import pytest

from app import queries
from picking.model import Line, Order, Product
from picking.substitution import Proposal
from picking.views import PickView
from tests.e2e.conftest import LiveServer, start_server
from tests.integration.test_substitution_http import line_of, offer
from tests.support.people import Person, unwrapped
from tests.support.shop import BREAD, MILK, NOT_IN_ANY_ORDER, add_order, kefir_unit
from tests.support.statements import Statements

WRITE_SIDE = (Order, Line, Proposal, Product)


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every template rendered (by name) with the context it was given."""
    seen: list[tuple[str, dict[str, Any]]] = []
    original = jinja2.Template.render

    def render(self: jinja2.Template, *args: Any, **kwargs: Any) -> str:
        seen.append((self.name or "", dict(*args, **kwargs)))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(jinja2.Template, "render", render)
    return seen


def _values(value: Any, depth: int = 0) -> Iterator[Any]:
    """A context value and what it holds (containers and dataclasses, a few levels down)."""
    yield value
    if depth > 4:
        return
    if isinstance(value, dict):
        for item in value.values():
            yield from _values(item, depth + 1)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _values(item, depth + 1)
    elif (dataclasses.is_dataclass(value) and not isinstance(value, type)
          and not isinstance(value, WRITE_SIDE)):
        for f in dataclasses.fields(value):
            yield from _values(getattr(value, f.name), depth + 1)


def write_side_in(seen: list[tuple[str, dict[str, Any]]]) -> dict[str, list[str]]:
    """Templates that were given an Order, Line, Proposal or Product, and under which names."""
    found: dict[str, list[str]] = {}
    for name, context in seen:
        for key, value in context.items():
            if any(isinstance(v, WRITE_SIDE) for v in _values(value)):
                found.setdefault(name, []).append(key)
    return found


async def started(db: Any, shop: Any, picker: Person, lines: dict[str, int]) -> int:
    async with db.writing() as session:
        order_id = await add_order(session, shop, lines)
    assert await picker.take_next() == order_id
    return order_id


def progress_of(html: str) -> tuple[str, ...]:
    found = re.search(r'data-picked="(\d+)" data-substituted="(\d+)" data-missing="(\d+)" '
                      r'data-total="(\d+)"', html)
    assert found, html[:500]
    return found.groups()


async def test_the_pick_page_and_every_fragment_render_from_the_view(
        db: Any, shop: Any, picker: Person, rendered: list[tuple[str, dict[str, Any]]]
) -> None:
    order_id = await started(db, shop, picker, {"milk": 2, "bread": 1, "bananas": 1000})
    bananas = await line_of(db, order_id, "bananas")
    bread = await line_of(db, order_id, "bread")

    page = await picker.get(f"/pick/{order_id}")
    assert page.status_code == 200 and "Milk 3.2% 930 ml" in unwrapped(page.text)
    assert "1,000\u00a0kg ±10%" in page.text  # the band; the number keeps its unit
    assert progress_of(page.text) == ("0", "0", "0", "3")
    assert '"plu": "10101"' in page.text  # the offline queue's lines, from the view

    counted = await picker.scan(order_id, MILK)  # one of two: the line's quantities only
    assert counted.status_code == 200 and 'id="line-qty-' in counted.text
    assert 'id="line-body-' not in counted.text
    assert 'id="pick-lines"' not in counted.text
    result = await picker.scan(order_id, MILK)  # the line is done: the list and the progress
    assert result.status_code == 200 and 'id="pick-lines"' in result.text
    assert progress_of(result.text) == ("1", "0", "0", "3")

    weighed = await picker.post(f"/pick/{order_id}/lines/{bananas}/weight",
                                {"weight": "1,000"}, htmx=True)
    assert weighed.status_code == 200 and progress_of(weighed.text) == ("2", "0", "0", "3")
    undone = await picker.post(f"/pick/{order_id}/undo", htmx=True)
    assert undone.status_code == 200 and progress_of(undone.text) == ("1", "0", "0", "3")
    assert (await picker.post(f"/pick/{order_id}/lines/{bananas}/weight",
                              {"weight": "1,000"}, htmx=True)).status_code == 200

    # a missing item counts as missing, never as picked
    shorted = await picker.post(f"/pick/{order_id}/lines/{bread}/short",
                                {"reason": "damaged"}, htmx=True)
    assert shorted.status_code == 200 and progress_of(shorted.text) == ("2", "0", "1", "3")
    assert "Picked 2 of 3 · missing 1" in unwrapped(shorted.text)

    refused = await picker.scan(order_id, NOT_IN_ANY_ORDER, htmx=False)  # a plain post
    assert refused.status_code == 422 and "Wrong item" in refused.text
    assert 'class="pick"' in refused.text  # the whole page, from the view

    finished = await picker.post(f"/pick/{order_id}/finish")
    assert finished.status_code in (302, 303)
    summary = await picker.get(f"/pick/{order_id}/summary")
    assert summary.status_code == 200 and "White bread" in summary.text
    assert "Nothing is missing." not in summary.text

    names = {name for name, _ in rendered}
    assert {"picking/pick.html", "picking/_scan_counted.html", "picking/_scan_result.html",
            "picking/summary.html"} <= names
    assert write_side_in(rendered) == {}
    assert any(isinstance(ctx.get("pick"), PickView) for name, ctx in rendered
               if name == "picking/pick.html")


async def test_a_line_with_a_proposal_renders_from_the_view(
        db: Any, shop: Any, picker: Person, rendered: list[tuple[str, dict[str, Any]]]
) -> None:
    order_id = await started(db, shop, picker, {"milk": 1, "bread": 1})
    milk = await line_of(db, order_id, "milk")
    shorted = await picker.post(f"/pick/{order_id}/lines/{milk}/short",
                                {"reason": "out_of_stock"}, htmx=True)
    assert shorted.status_code == 200 and "Propose substitute" in shorted.text
    assert (await offer(picker, order_id, milk, kefir_unit())).status_code == 303
    rendered.clear()  # the substitute page is another helper's screen
    page = await picker.get(f"/pick/{order_id}")
    item = page.text.split(f'id="line-{milk}"', 1)[1].split("</li>", 1)[0]
    assert "Waiting for the customer" in item and "Kefir 1% 900 ml" in unwrapped(item)
    assert "data-proposal-photo" in item  # a shelf photo may still go to the customer
    assert write_side_in(rendered) == {}


async def test_the_check_sees_an_order_handed_to_a_template(
        db: Any, shop: Any, picker: Person, rendered: list[tuple[str, dict[str, Any]]]
) -> None:
    """The check above would catch a template given the write side (it can fail)."""
    order_id = await started(db, shop, picker, {"milk": 1})
    await picker.get(f"/pick/{order_id}")
    async with db.reading() as session:
        order = await queries.pick_page_order(session, order_id, shop.store_id)
    rendered.append(("picking/pick.html", {"order": order, "rows": [{"line": order.lines[0]}]}))
    assert write_side_in(rendered) == {"picking/pick.html": ["order", "rows"]}


async def test_a_refused_scan_answers_without_reading_the_order(
        db: Any, shop: Any, picker: Person, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_id = await started(db, shop, picker, {"milk": 1, "bread": 1})
    assert (await picker.scan(order_id, BREAD)).status_code == 200  # the store is cached now
    loads: list[int] = []
    original = queries.pick_page_order

    async def counted(session: Any, oid: int, store_id: int) -> Any:
        loads.append(oid)
        return await original(session, oid, store_id)

    monkeypatch.setattr(queries, "pick_page_order", counted)
    database = client.app.state.db
    # the screen's reads (PostgreSQL reads on the writer's engine: the repository check serves)
    readers = {id(e): e for e in (database.reader, database.quick)
               if e is not None and e is not database.writer}
    reads = [Statements(engine) for engine in readers.values()]

    refused = await picker.scan(order_id, NOT_IN_ANY_ORDER)
    assert refused.status_code == 422 and "Wrong item" in refused.text
    assert refused.headers["X-Scan-Outcome"] == "refused"
    assert loads == [] and [s.seen for s in reads] == [[]] * len(reads)

    accepted = await picker.scan(order_id, MILK)  # a scan that changes a line reads it
    assert accepted.status_code == 200 and loads == [order_id]


@pytest.fixture
def server(db_url: str, shop: Any) -> Iterator[LiveServer]:
    live = start_server(db_url, live_keepalive_seconds=0.1)
    yield live
    live.stop()


@pytest.mark.timeout(60)
async def test_the_live_stream_pushes_the_pick_fragments_from_the_view(
        db: Any, shop: Any, server: LiveServer, rendered: list[tuple[str, dict[str, Any]]]
) -> None:
    """An offer sent from the substitute page comes back on the pick page's stream:
    the line with its proposal and the progress, rendered from the view."""
    async with db.writing() as session:
        order_id = await add_order(session, shop, {"milk": 1, "bread": 1})
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        picker = Person(http, "picker")
        assert (await picker.sign_in()).status_code == 303
        assert await picker.take_next() == order_id
        milk = await line_of(db, order_id, "milk")
        assert (await picker.post(f"/pick/{order_id}/lines/{milk}/short",
                                  {"reason": "out_of_stock"}, htmx=True)).status_code == 200
        received: asyncio.Queue[str] = asyncio.Queue()
        opened = asyncio.Event()

        async def listen() -> None:
            async with http.stream("GET", f"/pick/{order_id}/substitutions/live") as response:
                assert response.status_code == 200
                async for line in response.aiter_lines():
                    opened.set()
                    received.put_nowait(line)

        listening = asyncio.create_task(listen())
        try:
            async with asyncio.timeout(20):
                await opened.wait()
            assert (await offer(picker, order_id, milk, kefir_unit())).status_code == 303
            seen: list[str] = []
            async with asyncio.timeout(20):
                while not any('id="pick-progress-text"' in line for line in seen):
                    seen.append(await received.get())
        finally:
            listening.cancel()
        pushed = "\n".join(seen)
        assert f'id="line-{milk}"' in pushed and "Waiting for the customer" in pushed
        assert 'data-missing="1"' in pushed  # still missing while the customer decides
    names = {name for name, _ in rendered}
    assert {"picking/_line.html", "picking/_progress.html"} <= names
    # the substitution notice (substitutes/, another screen) still reads the order
    assert {k: v for k, v in write_side_in(rendered).items()
            if k != "substitutes/_notice.html"} == {}
