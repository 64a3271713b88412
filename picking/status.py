"""Every state an order, a line and a proposal can be in, and the one table of moves.

This module answers "what can happen to an order in status X?": read
``ORDER_MOVES``. ``Order.move_to`` is the only writer of an order's status and
checks this table; the groups below (who may be assigned, what is still in the
store, what has finished picking) are derived from it, never spelled again.
"""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    RECEIVED = "received"
    QUEUED = "queued"
    PICKING = "picking"
    PICKED = "picked"
    PACKED = "packed"
    HANDED_OVER = "handed_over"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    DELIVERY_FAILED = "delivery_failed"


class LineState(StrEnum):
    OPEN = "open"
    PICKED = "picked"
    SHORT = "short"
    SUBSTITUTED = "substituted"


class ProposalStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    TIMED_OUT = "timed_out"
    WITHDRAWN = "withdrawn"  # the original was found after all (a late find)


S = OrderStatus

ORDER_MOVES: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.RECEIVED: frozenset({S.QUEUED, S.PICKING, S.CANCELLED}),
    S.QUEUED: frozenset({S.PICKING, S.CANCELLED}),
    # back to the queue when a supervisor unassigns; picked when every line is done
    S.PICKING: frozenset({S.QUEUED, S.PICKED, S.CANCELLED}),
    S.PICKED: frozenset({S.PACKED, S.CANCELLED}),
    # a courier takes it (handed_over), or the counter hands it to the customer (delivered)
    S.PACKED: frozenset({S.HANDED_OVER, S.DELIVERED, S.CANCELLED}),
    S.HANDED_OVER: frozenset({S.DELIVERED, S.DELIVERY_FAILED}),
    S.DELIVERY_FAILED: frozenset({S.PACKED}),  # bags back on the staging shelf
    S.DELIVERED: frozenset(),
    S.CANCELLED: frozenset(),
}

LINE_MOVES: dict[LineState, frozenset[LineState]] = {
    LineState.OPEN: frozenset({LineState.PICKED, LineState.SHORT}),
    LineState.PICKED: frozenset({LineState.OPEN}),  # undo, or the OMS raised the quantity
    LineState.SHORT: frozenset({LineState.OPEN, LineState.SUBSTITUTED}),
    LineState.SUBSTITUTED: frozenset(),
}

PROPOSAL_MOVES: dict[ProposalStatus, frozenset[ProposalStatus]] = {
    ProposalStatus.PROPOSED: frozenset({ProposalStatus.APPROVED, ProposalStatus.REJECTED,
                                        ProposalStatus.TIMED_OUT, ProposalStatus.WITHDRAWN}),
    ProposalStatus.APPROVED: frozenset(),
    ProposalStatus.REJECTED: frozenset(),
    ProposalStatus.TIMED_OUT: frozenset(),
    ProposalStatus.WITHDRAWN: frozenset(),
}


def can_move(current: OrderStatus, to: OrderStatus) -> bool:
    return to in ORDER_MOVES[current]


def statuses_that_may_become(target: OrderStatus) -> frozenset[OrderStatus]:
    return frozenset(s for s, moves in ORDER_MOVES.items() if target in moves)


def reachable_from(start: OrderStatus) -> frozenset[OrderStatus]:
    """``start`` and every status an order can reach from it."""
    seen, todo = {start}, [start]
    while todo:
        for nxt in ORDER_MOVES[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return frozenset(seen)


# -- groups, derived from the table ---------------------------------------------

# A supervisor may give these to a picker (picking itself: hand it to another picker).
ASSIGNABLE = statuses_that_may_become(S.PICKING) | {S.PICKING}
# Still in the store: the OMS may cancel it, a supervisor may raise its priority.
IN_STORE = statuses_that_may_become(S.CANCELLED)
# Picking is over: the basket is settled, revisions are refused.
PICKING_FINISHED = reachable_from(S.PICKED) - {S.CANCELLED}
# Left the store or ended: nothing but what the handover allows.
BEYOND_CANCEL = frozenset(ORDER_MOVES) - IN_STORE - {S.CANCELLED}
# Waiting for a picker or being picked: what the pickers' queue shows.
IN_QUEUE = frozenset({S.QUEUED, S.PICKING})
TERMINAL = frozenset(s for s, moves in ORDER_MOVES.items() if not moves)
