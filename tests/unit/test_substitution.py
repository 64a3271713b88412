"""Substitutes: what may be offered, how the customer's answer and the clock decide."""

from __future__ import annotations

from datetime import timedelta

import pytest

from picking import errors
from picking.model import Line, LineState, Order, Product
from picking.substitution import (
    ProposalClosed,
    SubstituteNotAllowed,
    SubstitutionDecided,
    SubstitutionNotWanted,
    SubstitutionProposed,
    latest_decision,
    rank_substitutes,
)
from tests.unit.test_order import NOW, PICKER, picking, product

MILK = product("milk", category="dairy", price_minor=9990, size_amount=930)
MILK_1L = product("milk-1l", category="dairy", price_minor=10990, size_amount=1000, stock=9)
KEFIR = product("kefir", category="dairy", price_minor=7990, size_amount=900, stock=9)
CREAM = product("cream", category="dairy", price_minor=25000, size_amount=200, stock=9)
GONE = product("yogurt", category="dairy", price_minor=9990, stock=0)
BEER = product("beer", category="dairy", price_minor=9990, age_restricted=True, stock=9)
WATER = product("water", category="drinks", price_minor=4990, stock=9)
WINDOW = timedelta(minutes=10)


def short_milk(quantity: int = 2, **line: object) -> tuple[Order, Line]:
    order = picking((MILK, quantity))
    milk = order.lines[0]
    for key, value in line.items():
        setattr(milk, key, value)
    order.short(milk.id or 0, "out_of_stock", now=NOW, staff_id=PICKER)
    order.events.clear()
    return order, milk


def propose(order: Order, line: Line, substitute: Product, ref: str = "p1",
            window: timedelta | None = WINDOW) -> object:
    return order.propose_substitute(line.id or 0, substitute, ref=ref, code="c", now=NOW,
                                    window=window, customer_url="http://x/c/t",
                                    staff_id=PICKER)


def test_suggestions_put_the_same_category_and_the_closest_price_first() -> None:
    _, milk = short_milk()
    candidates = [WATER, CREAM, KEFIR, MILK_1L, GONE, MILK]
    assert [p.sku for p in rank_substitutes(milk, candidates)] == ["milk-1l", "kefir", "cream"]
    # another category only when the picker asks for the wider group, and then last
    wider = rank_substitutes(milk, candidates, wider=True)
    assert [p.sku for p in wider] == ["milk-1l", "kefir", "cream"]


def test_suggestions_prefer_what_customers_accepted_before() -> None:
    _, milk = short_milk()
    ranked = rank_substitutes(milk, [MILK_1L, KEFIR], {"kefir": 3})
    assert [p.sku for p in ranked][:1] == ["kefir"]


def test_an_age_restricted_product_is_never_suggested_nor_accepted_for_an_ordinary_one() -> None:
    order, milk = short_milk()
    assert "beer" not in [p.sku for p in rank_substitutes(milk, [BEER, KEFIR])]
    with pytest.raises(SubstituteNotAllowed):
        propose(order, milk, BEER)
    assert order.events == []


def test_no_substitute_wanted_means_none_may_be_proposed() -> None:
    order, milk = short_milk(substitution="none")
    assert rank_substitutes(milk, [KEFIR]) == []
    with pytest.raises(SubstitutionNotWanted):
        propose(order, milk, KEFIR)


def test_a_specific_wish_allows_only_that_product() -> None:
    order, milk = short_milk(substitution="specific", specific_sku="kefir")
    assert [p.sku for p in rank_substitutes(milk, [MILK_1L, KEFIR])] == ["kefir"]
    with pytest.raises(SubstituteNotAllowed):
        propose(order, milk, MILK_1L)
    propose(order, milk, KEFIR)


def test_only_a_short_line_can_get_a_substitute() -> None:
    order = picking((MILK, 1))
    with pytest.raises(SubstituteNotAllowed):
        propose(order, order.lines[0], KEFIR)


def test_proposing_records_the_link_and_flags_the_line_as_waiting() -> None:
    order, milk = short_milk()
    proposal = propose(order, milk, KEFIR)
    (event,) = order.events
    assert isinstance(event, SubstitutionProposed)
    assert event.customer_url == "http://x/c/t" and event.quantity == 2
    assert event.expires_at == NOW + WINDOW
    assert proposal.is_pending and milk.state is LineState.SHORT  # type: ignore[attr-defined]


def test_approving_one_of_several_substitutes_rejects_the_others_and_keeps_the_original() -> None:
    order, milk = short_milk()
    propose(order, milk, KEFIR, "a")
    propose(order, milk, MILK_1L, "b")
    order.events.clear()
    order.decide_substitute("a", approve=True, now=NOW + timedelta(minutes=1))
    assert milk.state is LineState.SUBSTITUTED and milk.picked_quantity == 0
    substitute = order.lines[-1]
    # one scan proposed it, so one unit counts; the second is scanned in the pick loop
    assert substitute.product is KEFIR and substitute.state is LineState.OPEN
    assert substitute.picked_quantity == 1 and order.proposal("a").substitute_line is substitute
    assert order.proposal("b").status == "rejected"
    outcomes = {(e.proposal, e.outcome, e.decided_by) for e in order.events
                if isinstance(e, SubstitutionDecided)}
    assert outcomes == {("a", "approved", "customer"), ("b", "rejected", "customer")}


def test_a_dearer_substitute_costs_the_original_price_unless_the_difference_was_approved() -> None:
    order, milk = short_milk()
    propose(order, milk, CREAM, "a")
    order.decide_substitute("a", approve=True, now=NOW)
    assert order.lines[-1].unit_price_minor == MILK.price_minor
    order2, milk2 = short_milk()
    propose(order2, milk2, CREAM, "a")
    order2.decide_substitute("a", approve=True, now=NOW, difference_approved=True)
    assert order2.lines[-1].unit_price_minor == CREAM.price_minor


def test_a_rejected_substitute_leaves_the_line_short_and_refunded() -> None:
    order, milk = short_milk()
    propose(order, milk, KEFIR)
    order.decide_substitute("p1", approve=False, now=NOW)
    assert milk.state is LineState.SHORT and len(order.lines) == 1
    assert order.total_minor == 0


def test_when_the_window_runs_out_the_fallback_refunds_and_late_answers_are_refused() -> None:
    order, milk = short_milk()
    proposal = propose(order, milk, KEFIR)
    later = NOW + WINDOW
    assert proposal.status_at(later - timedelta(seconds=1)) == "proposed"  # type: ignore[attr-defined]
    assert proposal.status_at(later) == "timed_out"  # type: ignore[attr-defined]
    assert order.expire_due_proposals(later - timedelta(seconds=1)) == []
    order.events.clear()
    assert order.expire_due_proposals(later) == [proposal]
    (event,) = order.events
    assert (event.outcome, event.decided_by, event.fallback) == ("timed_out", "timeout", "refund")
    with pytest.raises(ProposalClosed):
        order.decide_substitute("p1", approve=True, now=later)
    assert milk.state is LineState.SHORT


def test_a_second_answer_to_the_same_proposal_is_refused() -> None:
    order, milk = short_milk()
    propose(order, milk, KEFIR)
    order.decide_substitute("p1", approve=False, now=NOW)
    with pytest.raises(ProposalClosed):
        order.decide_substitute("p1", approve=True, now=NOW)


def test_finishing_ends_open_windows_with_the_picker_finished_fallback() -> None:
    order, milk = short_milk()
    propose(order, milk, KEFIR, window=None)
    order.events.clear()
    order.finish_picking(now=NOW + timedelta(hours=5), staff_id=PICKER)
    decided = [e for e in order.events if isinstance(e, SubstitutionDecided)]
    assert [(e.outcome, e.decided_by) for e in decided] == [("timed_out", "picker_finished")]


def test_an_unknown_proposal_is_not_found() -> None:
    order, _ = short_milk()
    with pytest.raises(errors.PickingError):
        order.decide_substitute("nope", approve=True, now=NOW)


def test_the_picker_hears_the_offer_the_customer_chose_not_the_ones_it_closed() -> None:
    order, milk = short_milk()
    propose(order, milk, KEFIR, "a")
    propose(order, milk, MILK_1L, "b")
    order.proposal("a").id, order.proposal("b").id = 1, 2  # as the database numbers them
    order.decide_substitute("a", approve=True, now=NOW + timedelta(minutes=1))
    latest = latest_decision(order.proposals())
    assert latest is not None and (latest.ref, latest.status) == ("a", "approved")


def test_the_latest_answer_wins_when_offers_were_answered_one_by_one() -> None:
    order, milk = short_milk()
    propose(order, milk, KEFIR, "a")
    propose(order, milk, MILK_1L, "b")
    order.decide_substitute("b", approve=False, now=NOW + timedelta(minutes=1))
    latest = latest_decision(order.proposals())
    assert latest is not None and (latest.ref, latest.status) == ("b", "rejected")
    order.decide_substitute("a", approve=True, now=NOW + timedelta(minutes=2))
    latest = latest_decision(order.proposals())
    assert latest is not None and (latest.ref, latest.status) == ("a", "approved")
    assert latest_decision([]) is None
