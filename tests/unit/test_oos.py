"""Issue 15, items 6 and 7 in the domain and the scan path (in-memory unit of work):
a late find reopens a missing line by scanning its product, a supervisor reopens
one with a reason, an empty shelf tells the OMS, a good scan clears "likely out"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.services import picking as service
from app.staff import StaffUser
from picking import errors
from picking.gtin import complete
from picking.model import Line, Order, OrderStatus, Product
from picking.substitution import Proposal
from tests.support.fakes import FakeUnitOfWork, Storage

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
MILK = complete("460123456789")
KEFIR = complete("460123456790")
PICKER = StaffUser(id=7, store_id=1, store_code="MSK-001", store_name="Test",
                   personnel_no="1001", name="Picker", role="picker", language="en")


def products() -> tuple[Product, Product]:
    milk = Product(store_id=1, sku="milk", name_ru="Молоко", name_en="Milk", unit="piece",
                   price_minor=9990, id=1, category="dairy")
    kefir = Product(store_id=1, sku="kefir", name_ru="Кефир", name_en="Kefir", unit="piece",
                    price_minor=8990, id=2, category="dairy", stock=5)
    return milk, kefir


def storage(quantity: int = 2) -> Storage:
    milk, kefir = products()
    order = Order(store_id=1, store_code="MSK-001", oms_id="E-1", due_at=NOW, id=10,
                  status=OrderStatus.PICKING, picker_id=PICKER.id,
                  lines=[Line(product=milk, quantity=quantity, unit_price_minor=9990, id=100)])
    return Storage(orders={10: order}, products={MILK.zfill(14): milk, KEFIR.zfill(14): kefir})


def offer(order: Order, line: Line, kefir: Product) -> Proposal:
    return order.propose_substitute(line.id or 0, kefir, ref="p1", code=KEFIR, now=NOW,
                                    window=timedelta(minutes=10), customer_url="u",
                                    staff_id=PICKER.id)


async def scan(store: Storage, code: str, scan_id: str) -> service.ScanOutcome:
    return await service.scan(FakeUnitOfWork(store), PICKER, 10, code, scan_id=scan_id, now=NOW)


async def test_scanning_a_missing_item_reopens_its_line_and_counts_it() -> None:
    store = storage()
    order = store.orders[10]
    line = order.short(100, "not_found", now=NOW, staff_id=PICKER.id)
    proposal = offer(order, line, store.products[KEFIR.zfill(14)])
    order.events = []
    outcome = await scan(store, MILK, "late-1")
    line = store.orders[10].lines[0]
    assert outcome.line is line and line.state == "open" and line.picked_quantity == 1
    assert line.short_reason is None
    withdrawn = store.orders[10].lines[0].proposals[0]
    assert withdrawn.ref == proposal.ref and withdrawn.status == "withdrawn"
    assert withdrawn.decided_by == "late_find"
    kinds = [e.type for e in store.outbox]
    assert kinds == ["LineReopened", "ItemScanned"]
    reopened = store.outbox[0]
    assert reopened.payload()["previous_reason"] == "not_found"
    assert reopened.payload()["by"] == "scan" and reopened.payload()["withdrawn"] == ["p1"]
    # the second unit completes the line as usual
    assert (await scan(store, MILK, "late-2")).line.state == "picked"


async def test_a_refused_late_find_scan_leaves_the_line_missing() -> None:
    store = storage(quantity=1)
    milk = store.products[MILK.zfill(14)]
    milk.marked = True  # a marked product needs its DataMatrix, the plain EAN is refused
    store.orders[10].short(100, "out_of_stock", now=NOW, staff_id=PICKER.id)
    store.orders[10].events = []
    with pytest.raises(errors.MarkingCodeRequired):
        await scan(store, MILK, "plain-ean")
    line = store.orders[10].lines[0]
    assert line.state == "short" and line.short_reason == "out_of_stock"
    assert [e.type for e in store.outbox] == []


async def test_a_finished_order_is_not_reopened_by_a_scan() -> None:
    store = storage(quantity=1)
    store.orders[10].short(100, "not_found", now=NOW, staff_id=PICKER.id)
    store.orders[10].finish_picking(now=NOW, staff_id=PICKER.id)
    with pytest.raises(errors.OrderNotPickable):
        await scan(store, MILK, "too-late")
    assert store.orders[10].lines[0].state == "short"


async def test_a_substituted_line_is_not_reopened() -> None:
    store = storage(quantity=1)
    order = store.orders[10]
    line = order.short(100, "not_found", now=NOW, staff_id=PICKER.id)
    offer(order, line, store.products[KEFIR.zfill(14)])
    order.decide_substitute("p1", approve=True, now=NOW)
    with pytest.raises(errors.LineNotReopenable):
        order.reopen_line(100, now=NOW, staff_id=3, by="supervisor", reason="found",
                          supervisor=True)
    with pytest.raises(errors.LineAlreadyDone):
        await scan(store, MILK, "x")


def test_a_supervisor_reopens_with_a_reason_only() -> None:
    store = storage()
    order = store.orders[10]
    order.short(100, "damaged", now=NOW, staff_id=PICKER.id)
    for empty in ("", "   ", "x" * 201):
        with pytest.raises(errors.ReopenReasonRequired):
            order.reopen_line(100, now=NOW, staff_id=3, by="supervisor", reason=empty,
                              supervisor=True)
    line = order.reopen_line(100, now=NOW, staff_id=3, by="supervisor",
                             reason="  found  in the\nback room ", supervisor=True)
    assert line.state == "open"
    assert order.events[-1].payload()["reason"] == "found in the back room"
    with pytest.raises(errors.LineNotReopenable):
        order.reopen_line(100, now=NOW, staff_id=3, by="supervisor", reason="again",
                          supervisor=True)


def test_an_empty_shelf_tells_the_oms_and_other_reasons_do_not() -> None:
    for reason, told in (("not_found", True), ("out_of_stock", True), ("damaged", False),
                         ("expired", False), ("other", False)):
        order = storage().orders[10]
        order.short(100, reason, now=NOW, staff_id=PICKER.id)
        unavailable = [e for e in order.events if e.type == "ItemUnavailable"]
        assert bool(unavailable) is told, reason
        if told:
            assert unavailable[0].payload() == {"actor_id": PICKER.id, "store": "MSK-001",
                                                "sku": "milk", "reason": reason}


async def test_a_good_scan_clears_likely_out_and_a_refused_one_does_not() -> None:
    store = storage(quantity=1)
    store.likely_out = {(1, 1), (1, 2)}
    with pytest.raises(errors.WrongItemScanned):
        await scan(store, KEFIR, "wrong")
    assert store.likely_out == {(1, 1), (1, 2)}
    await scan(store, MILK, "good")
    assert store.likely_out == {(1, 2)}


# -- item 5: weight over the soft band becomes a question ------------------------

def melon_order() -> Order:
    melon = Product(store_id=1, sku="melon", name_ru="Дыня", name_en="Melon", unit="weight",
                    price_minor=30000, id=3)
    return Order(store_id=1, store_code="MSK-001", oms_id="E-2", due_at=NOW, id=11,
                 status=OrderStatus.PICKING, picker_id=PICKER.id,
                 lines=[Line(product=melon, quantity=1000, unit_price_minor=30000, id=200)])


def ask(order: Order, grams: int, ref: str = "w1") -> Proposal:
    return order.ask_about_weight(200, grams, ref=ref, code="manual", now=NOW,
                                  window=timedelta(minutes=10), customer_url="u",
                                  staff_id=PICKER.id)


def test_a_heavier_item_is_asked_about_and_counted_only_when_kept() -> None:
    order = melon_order()
    proposal = ask(order, 1250)
    line = order.lines[0]
    assert (line.state, line.picked_quantity) == ("open", 0)  # nothing counted yet
    asked = order.events[-1].payload()
    assert asked["ordered_g"] == 1000 and asked["offered_g"] == 1250
    assert asked["extra_minor"] == 7500  # 0.25 kg at 300.00 a kg
    with pytest.raises(errors.SubstituteNotAllowed):
        ask(order, 1250, ref="w2")  # one question at a time
    order.decide_substitute(proposal.ref, approve=True, now=NOW)
    assert (line.state, line.picked_quantity, line.weight_note) == ("picked", 1250, "customer")
    assert [e.type for e in order.events[-2:]] == ["WeightRecorded", "SubstitutionDecided"]
    assert line.price_minor == 37500


def test_a_refused_or_unanswered_weight_question_leaves_the_line_open() -> None:
    order = melon_order()
    order.decide_substitute(ask(order, 1250).ref, approve=False, now=NOW)
    assert order.lines[0].state == "open" and order.lines[0].picked_quantity == 0
    ask(order, 1200, ref="w2")
    order.expire_due_proposals(NOW + timedelta(minutes=11))
    decided = order.events[-1].payload()
    assert decided["outcome"] == "timed_out" and decided["fallback"] == "not_kept"
    assert order.lines[0].state == "open"


def test_only_a_weight_over_the_band_and_under_the_hard_limit_is_a_question() -> None:
    order = melon_order()
    with pytest.raises(errors.WeightQuestionNotNeeded):
        ask(order, 1050)  # within the soft band: just record it
    with pytest.raises(errors.WeightQuestionNotNeeded):
        ask(order, 800)  # lighter than ordered: not the customer's question
    with pytest.raises(errors.WeightOutsideTolerance):
        ask(order, 1500)  # beyond the hard limit: pick another
    with pytest.raises(errors.AbsurdWeight):
        ask(order, 0)
    assert order.lines[0].proposals == []


def test_a_weight_question_the_picker_moved_on_from_is_withdrawn_not_counted_twice() -> None:
    order = melon_order()
    proposal = ask(order, 1250)
    order.record_weight(200, 980, code="manual", scan_id="other-melon", now=NOW,
                        staff_id=PICKER.id)
    with pytest.raises(errors.ProposalClosed):
        order.decide_substitute(proposal.ref, approve=True, now=NOW)
    assert proposal.status == "withdrawn" and order.lines[0].picked_quantity == 980


# -- item 8: the customer's fallback ---------------------------------------------

def test_keep_the_best_match_approves_the_first_offer_when_the_window_ends() -> None:
    store = storage()
    order = store.orders[10]
    kefir = store.products[KEFIR.zfill(14)]
    water = Product(store_id=1, sku="water", name_ru="Вода", name_en="Water", unit="piece",
                    price_minor=12000, id=5, category="dairy", stock=5)
    order.set_fallback(100, "best_match", NOW)
    assert order.events[-1].payload()["fallback"] == "best_match"
    line = order.short(100, "damaged", now=NOW, staff_id=PICKER.id)
    offer(order, line, kefir)
    order.propose_substitute(100, water, ref="p2", code="w", now=NOW,
                             window=timedelta(minutes=10), customer_url="u", staff_id=PICKER.id)
    order.expire_due_proposals(NOW + timedelta(minutes=10))
    first, second = line.proposals
    assert (first.status, first.decided_by) == ("approved", "timeout")
    assert second.status == "rejected" and line.state == "substituted"
    decided = [e.payload() for e in order.events if e.type == "SubstitutionDecided"]
    assert decided[-1]["outcome"] == "approved" and decided[-1]["fallback"] == "best_match"
    assert first.substitute_line is not None and first.substitute_line.picked_quantity == 1


def test_without_the_fallback_an_unanswered_offer_is_refunded_and_bad_values_are_refused() -> None:
    store = storage()
    order = store.orders[10]
    for bad in ("keep", "", "BEST_MATCH"):
        with pytest.raises(errors.InvalidFallback):
            order.set_fallback(100, bad, NOW)
    line = order.short(100, "damaged", now=NOW, staff_id=PICKER.id)
    offer(order, line, store.products[KEFIR.zfill(14)])
    order.expire_due_proposals(NOW + timedelta(minutes=10))
    assert line.proposals[0].status == "timed_out" and line.state == "short"


def test_keep_the_best_match_keeps_an_unanswered_heavier_item_too() -> None:
    order = melon_order()
    order.set_fallback(200, "best_match", NOW)
    ask(order, 1250)
    order.expire_due_proposals(NOW + timedelta(minutes=10))
    line = order.lines[0]
    assert (line.state, line.picked_quantity) == ("picked", 1250)
    assert line.proposals[0].status == "approved"


def test_the_simulated_oms_texts_the_customer_about_an_early_choice_and_a_weight() -> None:
    from sync.customer_inbox import message_for

    url = "https://shop.example/c/tok"
    early = message_for({"type": "SubstituteChoiceOffered", "order_id": "B-1",
                         "payload": {"sku": "milk", "customer_url": url}}, {"milk": "Milk"})
    assert early is not None and early.link == url and "Milk may be out of stock" in early.text_en
    weight = message_for({"type": "WeightQuestionAsked", "order_id": "B-1",
                          "payload": {"sku": "melon", "offered_g": 1500, "customer_url": url}},
                         {})
    assert weight is not None and "weighs 1.500 kg" in weight.text_en
    assert message_for({"type": "WeightQuestionAsked", "order_id": "B-1",
                        "payload": {"sku": "melon", "customer_url": "javascript:x"}}, {}) is None
