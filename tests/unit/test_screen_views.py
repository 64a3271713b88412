"""The screens' read models (app/views) derived in memory, and the guard that keeps the
write side out of templates (tests/support/view_guard.py)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import jinja2
import pytest

from app.views.customer import page_view
from app.views.handover import handover_page, labels_page, pack_page
from app.views.order_panel import order_panel
from app.views.substitute_choice import answer_notice, choice_page
from picking.handover_records import Handover
from picking.model import Order
from tests.support import view_guard
from tests.support.view_guard import AggregateInTemplate, Guard, offenders
from tests.unit.test_handover import CLERK, COURIER, _line, _packed, _picked, _product
from tests.unit.test_order import NOW, PICKER, product
from tests.unit.test_substitution import KEFIR, MILK_1L, WINDOW, propose, short_milk

BEER = _product("beer", "ambient", adult=True)
FISH = _product("fish", "chilled")


def _handover(order: Order) -> Handover:
    assert order.handover is not None
    return order.handover


# -- the customer's link page ------------------------------------------------------

def test_the_customer_page_shows_each_offer_as_of_the_moment_it_is_shown() -> None:
    order, milk = short_milk()
    propose(order, milk, MILK_1L, ref="p1")
    propose(order, milk, KEFIR, ref="p2")
    order.id = 5

    page = page_view(order, NOW, photos={"p2"})
    assert (page.id, page.oms_id, page.status) == (5, order.oms_id, "picking")
    assert page.progress == order.progress and page.fallback_open
    assert not page.awaits_pickup and page.advance == () and page.fresh == ()
    [line] = page.offers
    assert (line.id, line.product, line.open_count, line.only_weight) == (
        milk.id, milk.product, 2, False)
    assert [(o.ref, o.status, o.photo) for o in line.offers] == [
        ("p1", "proposed", False), ("p2", "proposed", True)]
    first = order.proposal("p1")
    assert line.offers[0].difference_minor == first.difference_minor
    assert line.offers[0].original_price_minor == first.original_price_minor

    later = page_view(order, NOW + WINDOW)  # past the window: timed out on screen at once
    assert [o.status for o in later.offers[0].offers] == ["timed_out", "timed_out"]
    assert later.offers[0].open_count == 0


def test_the_customer_page_keeps_freshness_in_the_order_of_the_lines_and_choices_ahead() -> None:
    order, milk = short_milk()
    choice = SimpleNamespace(line=milk, suggestions=[KEFIR], chosen=KEFIR)
    page = page_view(order, NOW, advance=[choice], fresh={milk.id or 0: (5, 7), 999: (1, 1)})
    assert [(f.product, f.promised, f.left) for f in page.fresh] == [(milk.product, 5, 7)]
    [ahead] = page.advance
    assert (ahead.id, ahead.suggestions, ahead.chosen, ahead.fallback) == (
        milk.id, (KEFIR,), KEFIR, "refund")


def test_a_packed_collect_order_awaits_pickup_and_no_longer_takes_a_fallback() -> None:
    order = _packed(_line(1, FISH, 1), fulfilment="collect")
    page = page_view(order, NOW)
    assert page.awaits_pickup and not page.fallback_open and page.status == "packed"


# -- the substitute page and the answer the picker hears ---------------------------------

def test_the_choice_page_carries_the_line_the_wishes_and_the_offers_waiting() -> None:
    order, milk = short_milk(note="no sugar", same_brand=True, max_difference_pct=20)
    order.note = "ring twice"
    propose(order, milk, MILK_1L, ref="p1")
    page = choice_page(order, milk, [KEFIR], wider=False, wider_available=True)
    assert page.order.note == "ring twice" and page.order.oms_id == order.oms_id
    assert (page.line.remaining, page.line.note, page.line.same_brand,
            page.line.max_difference_pct, page.line.substitution) == (
        milk.remaining, "no sugar", True, 20, "best_match")
    assert page.suggestions == (KEFIR,) and page.waiting == (MILK_1L,)
    order.decide_substitute("p1", approve=False, now=NOW)
    assert choice_page(order, milk, [], wider=True, wider_available=False).waiting == ()


def test_the_answer_notice_names_the_ordered_and_the_offered_product() -> None:
    order, milk = short_milk(quantity=3)
    assert answer_notice(order, None) is None
    propose(order, milk, KEFIR, ref="p1")
    decided = order.decide_substitute("p1", approve=True, now=NOW + timedelta(minutes=1))
    notice = answer_notice(order, decided)
    assert notice is not None
    assert (notice.ref, notice.status, notice.kind, notice.offered, notice.original,
            notice.ordered_quantity) == ("p1", "approved", "substitute", KEFIR,
                                          milk.product, 3)


# -- handover screens ----------------------------------------------------------------

def test_the_handover_page_shows_bags_scanned_by_whoever_looks_and_the_cold_so_far() -> None:
    order = _packed(_line(1, FISH, 2, scanned_at=NOW - timedelta(minutes=5)),
                    _line(2, BEER, 1), _line(3, product("air"), 0))
    order.lines[2].picked_quantity = 0
    first = _handover(order).bags[0]
    order.scan_bag(first.code(order.oms_id), now=NOW, staff_id=COURIER)

    page = handover_page(order, _handover(order), COURIER, NOW + timedelta(minutes=2))
    assert page.order.id == 7 and page.order.status == "packed" and page.needs_id_check
    assert [b.scanned for b in page.bags] == [True, False] and page.scanned_count == 1
    assert handover_page(order, _handover(order), CLERK, NOW).scanned_count == 0
    assert page.staging == (("ambient", "Shelf"), ("chilled", "Shelf"))
    # five minutes from the first pick to staging, then two since the chilled bag left
    cold = dict(page.cold)
    assert cold == _handover(order).out_of_cold(NOW + timedelta(minutes=2))
    assert [ln.id for ln in page.lines] == [2, 1]  # picked lines only, in walking order
    assert not page.refused and page.refund_minor == 0 and page.returned_codes == ()


def test_a_refusal_shows_what_is_kept_and_what_is_refunded() -> None:
    order = _packed(_line(1, BEER, 1), _line(2, _product("water", "ambient"), 3))
    for bag in _handover(order).bags:
        order.scan_bag(bag.code(order.oms_id), now=NOW, staff_id=COURIER)
    order.hand_over_to_courier(COURIER, now=NOW)
    order.refuse(1, 1, "unwanted", now=NOW, staff_id=COURIER)
    order.refuse(2, 1, "damaged", now=NOW, staff_id=COURIER)
    page = handover_page(order, _handover(order), COURIER, NOW)
    assert {ln.id: (ln.picked_quantity, ln.kept) for ln in page.lines} == {1: (1, 0), 2: (3, 2)}
    assert page.refused and page.refund_minor == 20000
    assert not page.needs_id_check  # the only 18+ line was refused


def test_the_pack_page_lists_picked_lines_and_the_labels_page_one_label_per_bag() -> None:
    order = _picked(_line(1, FISH, 2), _line(2, BEER, 1))
    pack = pack_page(order)
    assert pack.order.fulfilment == "delivery" and [ln.product for ln in pack.lines] == [
        BEER, FISH]
    order.pack({"ambient": 1, "chilled": 2}, {"ambient": "S1", "chilled": "F1"}, now=NOW,
               staff_id=CLERK)
    labels = labels_page(order, _handover(order), lambda text: f"<svg>{text}</svg>")
    assert labels.bag_count == 3 and labels.staging == (("ambient", "S1"), ("chilled", "F1"))
    assert [(lb.number, lb.count, lb.zone, lb.adult) for lb in labels.labels] == [
        (1, 3, "ambient", True), (2, 3, "chilled", False), (3, 3, "chilled", False)]
    assert labels.labels[0].qr == f"<svg>{labels.labels[0].text}</svg>"
    assert labels.labels[0].text == _handover(order).bags[0].code(order.oms_id).text()
    assert labels.cold_at("chilled") == 0 and labels.cold_at("ambient") is None


# -- the board's order panel -----------------------------------------------------------

def test_the_order_panel_lists_lines_in_walking_order_with_their_state() -> None:
    order, milk = short_milk()
    order.id, order.priority = 9, 2
    panel = order_panel(order)
    assert (panel.id, panel.status, panel.priority, panel.picker_id) == (9, "picking", 2,
                                                                          PICKER)
    [line] = panel.lines
    assert (line.id, line.state, line.short_reason) == (milk.id, "short", "out_of_stock")
    assert panel.progress == order.progress


def test_views_are_frozen() -> None:
    order, _milk = short_milk()
    with pytest.raises(dataclasses.FrozenInstanceError):
        order_panel(order).priority = 5  # type: ignore[misc]


# -- the guard ------------------------------------------------------------------------------

def _templates() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.DictLoader({
        "customer/order.html": "{{ things }}", "picking/pick.html": "{{ order }}"}))


def test_the_guard_names_an_aggregate_at_the_top_and_one_level_down() -> None:
    order, milk = short_milk()
    proposal = propose(order, milk, KEFIR)
    assert offenders({"order": order, "view": order_panel(order)}) == ["order: Order"]
    assert offenders({"offers": [milk], "by_ref": {"p1": proposal}, "n": 3}) == [
        "offers[0]: Line", "by_ref['p1']: Proposal"]
    assert offenders({"nested": [[milk]], "panel": order_panel(order)}) == []


def test_a_template_rendered_with_an_order_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    order, _milk = short_milk()
    guard = Guard()
    guard.install(monkeypatch)
    template = _templates().get_template("customer/order.html")
    with pytest.raises(AggregateInTemplate, match=r"customer/order\.html"):
        template.render(things=order)
    with pytest.raises(AggregateInTemplate):
        template.render({"things": list(order.lines)})
    assert len(guard.refused) == 2
    assert template.render(things=order_panel(order).oms_id) == order.oms_id


def test_no_template_is_pending_any_more(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every screen renders from a view now (the run page was the last, issue 10 item 4):
    the pick page and the run page given an order fail like any other."""
    order, _milk = short_milk()
    Guard().install(monkeypatch)
    assert not view_guard.PENDING
    templates = jinja2.Environment(loader=jinja2.DictLoader({
        "picking/pick.html": "{{ order }}", "runs/run.html": "{{ run }}",
        "runs/_body.html": "{{ run }}"}))
    with pytest.raises(AggregateInTemplate, match=r"picking/pick\.html"):
        templates.get_template("picking/pick.html").render(order=order)
    for name in ("runs/run.html", "runs/_body.html"):
        with pytest.raises(AggregateInTemplate, match=name.replace(".", r"\.")):
            templates.get_template(name).render(run=SimpleNamespace(), rows=[order.lines[0]])


@dataclasses.dataclass
class _Holder:
    order: Order
    inner: Any = None


def test_the_guard_looks_one_level_inside_a_dataclass() -> None:
    order, milk = short_milk()
    assert offenders({"run": _Holder(order), "n": 1}) == ["run.order: Order"]
    assert offenders({"runs": [_Holder(order)]}) == []  # two levels down: not looked at
    assert offenders({"run": _Holder(order, inner=_Holder(order))}) == ["run.order: Order"]
    assert offenders({"panel": order_panel(order), "line": milk}) == ["line: Line"]


def test_the_guard_is_on_for_every_integration_and_browser_test() -> None:
    from tests.e2e import conftest as e2e
    from tests.integration import conftest as integration

    for conftest in (integration, e2e):
        fixture = getattr(conftest, "view_guard", None)
        assert fixture is view_guard.view_guard
    assert view_guard.view_guard._fixture_function_marker.autouse


# -- the views package itself ------------------------------------------------------------

def _view_modules() -> list[Any]:
    import importlib
    import pkgutil

    import app.views

    return [importlib.import_module(f"app.views.{info.name}")
            for info in pkgutil.iter_modules(app.views.__path__)]


def test_every_view_is_a_frozen_dataclass_with_slots() -> None:
    views = [obj for module in _view_modules() for obj in vars(module).values()
             if dataclasses.is_dataclass(obj) and isinstance(obj, type)
             and obj.__module__ == module.__name__]
    assert len(views) >= 12
    loose = [v.__name__ for v in views
             if not v.__dataclass_params__.frozen or "__slots__" not in vars(v)]  # type: ignore[attr-defined]
    assert loose == []


def test_views_are_pure_they_import_no_storage_web_or_service_layer() -> None:
    import ast
    from pathlib import Path

    import app.views

    banned = ("sqlalchemy", "litestar", "jinja2", "app.db", "app.web", "app.services",
              "app.queries", "app.handover_queries", "app.board_queries")
    found = {}
    for path in Path(app.views.__path__[0]).glob("*.py"):
        modules = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules.add(node.module)
        bad = sorted(m for m in modules if m.startswith(banned))
        if bad:
            found[path.name] = bad
    assert found == {}
