"""A supervisor assigns, unassigns and prioritises orders; every change is an event."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from app.web.board_live import SharedRender
from picking import errors
from picking.model import Order, OrderStatus
from picking.supervision import PickerAssigned, PriorityRaised

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SUPERVISOR, OLGA, DIMA = 50, 1, 2


def order(status: OrderStatus = OrderStatus.QUEUED, picker_id: int | None = None) -> Order:
    return Order(store_id=1, store_code="MSK-001", oms_id="T-1", due_at=NOW, id=9,
                 status=status, picker_id=picker_id)


def test_assigning_a_queued_order_makes_it_the_pickers_current_order() -> None:
    o = order()
    o.assign_picker(OLGA, now=NOW, actor_id=SUPERVISOR)
    assert (o.status, o.picker_id, o.picking_started_at) == (OrderStatus.PICKING, OLGA, NOW)
    assert o.events == [PickerAssigned(order_id=9, occurred_at=NOW, sequence=1,
                                       actor_id=SUPERVISOR, picker_id=OLGA)]


def test_reassigning_keeps_the_previous_picker_in_the_event() -> None:
    o = order(OrderStatus.PICKING, picker_id=OLGA)
    o.assign_picker(DIMA, now=NOW, actor_id=SUPERVISOR)
    assert o.picker_id == DIMA
    assert o.events[-1].previous_picker_id == OLGA  # type: ignore[attr-defined]


def test_unassigning_puts_the_order_back_in_the_queue() -> None:
    o = order(OrderStatus.PICKING, picker_id=OLGA)
    o.unassign_picker(now=NOW, actor_id=SUPERVISOR)
    assert (o.status, o.picker_id) == (OrderStatus.QUEUED, None)
    assert o.events[-1].type == "PickerUnassigned"


def test_an_order_nobody_picks_cannot_be_unassigned() -> None:
    o = order()
    with pytest.raises(errors.InvalidTransition):
        o.unassign_picker(now=NOW, actor_id=SUPERVISOR)
    assert o.events == []


def test_a_picked_or_cancelled_order_cannot_be_assigned() -> None:
    with pytest.raises(errors.OrderNotPickable):
        order(OrderStatus.PICKED).assign_picker(OLGA, now=NOW, actor_id=SUPERVISOR)
    with pytest.raises(errors.OrderCancelled):
        order(OrderStatus.CANCELLED).assign_picker(OLGA, now=NOW, actor_id=SUPERVISOR)


def test_raising_priority_counts_up_to_the_top_and_no_further() -> None:
    o = order()
    for _ in range(9):
        o.raise_priority(now=NOW, actor_id=SUPERVISOR)
    assert o.priority == 9 and isinstance(o.events[-1], PriorityRaised)
    with pytest.raises(errors.InvalidTransition):
        o.raise_priority(now=NOW, actor_id=SUPERVISOR)
    assert len(o.events) == 9


async def test_boards_that_ask_while_a_render_runs_share_the_next_render() -> None:
    shared, calls, gate = SharedRender(), [], asyncio.Event()

    async def make() -> str:
        calls.append(len(calls))
        await gate.wait()
        return f"render {len(calls)}"

    first = asyncio.ensure_future(shared.render("store", make))
    await asyncio.sleep(0)
    others = [asyncio.ensure_future(shared.render("store", make)) for _ in range(20)]
    await asyncio.sleep(0)
    gate.set()
    assert await first == "render 1"
    assert {await o for o in others} == {"render 2"}  # started after they asked
    assert len(calls) == 2
