"""What a board is sent for a change (app.web.board_feed.delta), without a server."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from app.web.board_feed import BoardData, delta


class Pieces:
    """Stands in for the templates: each piece as a short tag that shows what it says."""

    def counts(self, board: Any, oob: bool = False) -> str:
        return f"<counts {dict(board.counts)}>"

    def alerts(self, board: Any, oob: bool = False) -> str:
        return "<alerts>"

    def section_head(self, board: Any, status: str, count: int, oob: bool = False) -> str:
        return f"<head {status} {count}>"

    def order_row(self, row: Any) -> str:
        return f'<tr id="order-row-{row.id}">{row.text}</tr>'

    def picker_row(self, p: Any, rates: Any = None) -> str:
        return f"<picker {p.id} {p.items}>"

    def pickers_panel(self, pickers: Any, rates: Any = None, oob: bool = False) -> str:
        return "<pickers>"

    def arrivals(self, waiting: Any, pickup: Any, oob: bool = False) -> str:
        return f"<arrivals {len(waiting)}>"


def board(*rows: tuple[int, str, str], items: int = 0) -> BoardData:
    counts = {"queued": 0, "picking": 0}
    for _id, status, _text in rows:
        counts[status] += 1
    found = SimpleNamespace(counts=counts, rows=[SimpleNamespace(id=i, status=s, text=t)
                                                 for i, s, t in rows])
    return BoardData(found, [SimpleNamespace(id=9, items=items)])  # type: ignore[arg-type]


def test_a_change_in_place_replaces_one_row_and_nothing_that_did_not_change() -> None:
    sent: dict[str, str] = {}
    delta(Pieces(), board((1, "queued", "a"), (2, "queued", "b")), [1, 2], sent)
    out = delta(Pieces(), board((1, "queued", "a2"), (2, "queued", "b"), items=1), [1], sent)
    assert out == ('<template><tbody hx-swap-oob="outerHTML:#order-row-1">'
                   '<tr id="order-row-1">a2</tr></tbody></template>'
                   '<template><tbody hx-swap-oob="outerHTML:#picker-row-9"><picker 9 1>'
                   '</tbody></template>')


def test_a_row_that_changes_status_moves_before_its_new_neighbour_and_counters_follow() -> None:
    sent: dict[str, str] = {}
    delta(Pieces(), board((1, "queued", "a"), (2, "picking", "b")), [1, 2], sent)
    out = delta(Pieces(), board((1, "picking", "a"), (2, "picking", "b")), [1], sent)
    assert "<counts {'queued': 0, 'picking': 2}>" in out
    assert "<head queued 0>" in out and "<head picking 2>" in out
    deleted = out.index('<tr id="order-row-1" hx-swap-oob="delete">')
    placed = out.index('hx-swap-oob="beforebegin:#order-row-2"><tr id="order-row-1">a</tr>')
    assert deleted < placed and "order-row-2\">b" not in out


def test_an_order_that_left_the_board_is_removed() -> None:
    sent: dict[str, str] = {}
    delta(Pieces(), board((1, "queued", "a"), (2, "queued", "b")), [1, 2], sent)
    out = delta(Pieces(), board((2, "queued", "b")), [1], sent)
    assert '<tr id="order-row-1" hx-swap-oob="delete">' in out
    assert "row-1" not in sent and "order-row-2" not in out.replace("<head", "")


def test_the_clock_tick_sends_only_the_rows_whose_text_moved() -> None:
    sent: dict[str, str] = {}
    delta(Pieces(), board((1, "queued", "1 min"), (2, "queued", "5 min")), [1, 2], sent)
    out = delta(Pieces(), board((1, "queued", "2 min"), (2, "queued", "5 min")), [], sent,
                everything=True)
    assert out == ('<template><tbody hx-swap-oob="outerHTML:#order-row-1">'
                   '<tr id="order-row-1">2 min</tr></tbody></template>')


def test_a_board_that_just_joined_gets_every_piece_and_its_rows_placed_afresh() -> None:
    sent: dict[str, str] = {}
    delta(Pieces(), board((1, "queued", "a")), [1], sent)
    out = delta(Pieces(), board((1, "queued", "a")), [1], dict(sent), all_pieces=True)
    for piece in ("<counts", "<alerts>", "<head queued", "<pickers>"):
        assert piece in out
    assert 'hx-swap-oob="delete"' in out and 'hx-swap-oob="beforeend:#rows-queued"' in out


def test_a_picker_who_moves_in_the_list_is_moved_alone_not_the_whole_panel() -> None:
    sent: dict[str, str] = {}
    first = board((1, "queued", "a"))
    first.pickers[:] = [SimpleNamespace(id=7, items=0), SimpleNamespace(id=9, items=0)]
    delta(Pieces(), first, [1], sent)
    moved = board((1, "queued", "a"))
    moved.pickers[:] = [SimpleNamespace(id=9, items=1), SimpleNamespace(id=7, items=0)]
    out = delta(Pieces(), moved, [], sent)
    assert "<pickers>" not in out
    assert '<tr id="picker-row-9" hx-swap-oob="delete">' in out
    assert 'hx-swap-oob="beforebegin:#picker-row-7"><picker 9 1>' in out


def test_a_customer_checking_in_sends_the_arrivals_and_nothing_else() -> None:
    """Issue 16 on the live board: the pickup arrivals are a piece of their own."""
    sent: dict[str, str] = {}
    quiet = board((1, "queued", "a"))
    delta(Pieces(), quiet, [1], sent)
    came = BoardData(quiet.board, quiet.pickers, {}, [SimpleNamespace(order_id=5)], None)
    assert delta(Pieces(), came, [], sent) == "<arrivals 1>"
    assert delta(Pieces(), came, [], sent) == ""  # sent once


class CountingPieces(Pieces):
    def __init__(self) -> None:
        self.rendered: list[int] = []

    def order_row(self, row: Any) -> str:
        self.rendered.append(row.id)
        return super().order_row(row)


def test_a_change_renders_the_changed_rows_only_and_the_tick_renders_them_all() -> None:
    """A scan's change renders its order's row, not the hundred others on the board (which
    it did, on every change, for every store's feed: most of a change's cost)."""
    rows = [(i, "picking", f"order {i}") for i in range(1, 101)]
    sent: dict[str, str] = {}
    delta(Pieces(), board(*rows), [r[0] for r in rows], sent, all_pieces=True)
    pieces = CountingPieces()
    changed = [(i, s, t + " (scanned)" if i == 42 else t) for i, s, t in rows]
    out = delta(pieces, board(*changed), [42], sent)
    assert pieces.rendered == [42]
    assert "order 42 (scanned)" in out and "order 41" not in out
    pieces.rendered.clear()
    delta(pieces, board(*changed), [], sent, everything=True)  # the clock's tick
    assert sorted(pieces.rendered) == list(range(1, 101))


class CountingPickers(Pieces):
    def __init__(self) -> None:
        self.rendered: list[int] = []

    def picker_row(self, p: Any, rates: Any = None) -> str:
        self.rendered.append(p.id)
        return super().picker_row(p, rates)


def test_a_change_renders_only_the_pickers_whose_figures_moved() -> None:
    def data(scanned_by: int | None) -> BoardData:
        found = board((1, "picking", "a"))
        found.pickers = [SimpleNamespace(id=i, items=5 + (i == scanned_by))
                         for i in range(1, 51)]
        return found

    sent: dict[str, str] = {}
    delta(Pieces(), data(None), [1], sent, all_pieces=True)
    pieces = CountingPickers()
    out = delta(pieces, data(7), [1], sent)
    assert pieces.rendered == [7]
    assert "<picker 7 6>" in out and "<picker 8 5>" not in out
    pieces.rendered.clear()
    out = delta(pieces, data(7), [1], sent)  # nothing new: nothing rendered, nothing sent
    assert pieces.rendered == [] and "<picker" not in out


async def test_a_change_goes_out_to_many_boards_a_few_at_a_time() -> None:
    """A hundred boards woken at once send one after another while every scan waits: the
    feed lets the event loop run between small groups of boards."""
    import asyncio
    import itertools

    from app.web.board_feed import FANOUT_STEP, StoreFeed, Subscriber

    async def load(store_id: int, memory: Any, changed: Any) -> BoardData:
        return board((1, "picking", "a"))

    hub = SimpleNamespace(load=load, pieces=lambda request, language: Pieces())
    feed = StoreFeed(hub, 1)  # type: ignore[arg-type]
    boards = [Subscriber("en", None, fresh=False) for _ in range(100)]  # type: ignore[arg-type]
    for subscriber in boards:
        feed.join(subscriber)
    reached: list[int] = []  # how many boards had the change each time a scan got a turn

    async def scan_meanwhile() -> None:
        while len(reached) < 200 and sum(not b.queue.empty() for b in boards) < 100:
            reached.append(sum(not b.queue.empty() for b in boards))
            await asyncio.sleep(0)

    other = asyncio.create_task(scan_meanwhile())
    await feed._publish(frozenset({1}), everything=False)
    await other
    assert all(not b.queue.empty() for b in boards)  # every board got the change
    # ...and other work ran while it went out, not only before or after it.
    assert any(0 < n < 100 for n in reached)
    assert max(b - a for a, b in itertools.pairwise(reached)) <= FANOUT_STEP


async def test_a_change_reads_only_its_orders_and_a_change_nobody_saw_reads_everything() -> None:
    """The feed hands its memory and the changed orders to the loader; the clock's tick,
    a failed read and a change it skipped for want of boards make the next read whole."""
    from app.web.board_feed import Memory, StoreFeed, Subscriber

    asked: list[tuple[Any, bool]] = []
    failing = False

    async def load(store_id: int, memory: Memory, changed: Any) -> BoardData:
        asked.append((changed, memory.orders is not None))
        if failing:
            raise RuntimeError("database gone")
        memory.orders = memory.pickers = SimpleNamespace()  # type: ignore[assignment]
        return board((1, "picking", "a"))

    hub = SimpleNamespace(load=load, pieces=lambda request, language: Pieces())
    feed = StoreFeed(hub, 1)  # type: ignore[arg-type]
    subscriber = Subscriber("en", None, fresh=False)  # type: ignore[arg-type]
    feed.join(subscriber)
    await feed._safely(frozenset({1}), everything=False)
    await feed._safely(frozenset({2}), everything=False)
    await feed._safely(frozenset(), everything=True)  # the tick
    assert asked == [({1}, False), ({2}, True), (None, True)]

    failing = True
    await feed._safely(frozenset({4}), everything=False)
    assert asked[-1] == ({4}, True)
    assert feed.memory.orders is None  # a failed read is not half remembered
    failing = False
    await feed._safely(frozenset({5}), everything=False)
    assert asked[-1] == ({5}, False)

    feed.leave(subscriber)
    await feed._safely(frozenset({6}), everything=False)  # nobody read it
    assert feed.memory.orders is None and asked[-1][0] == {5}
