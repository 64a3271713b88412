"""The rules of the out-of-stock loop, substitutions and their shelf photos, through the
in-memory unit of work (``tests.support.fakes``, ``tests.support.fakes_oos``): no
database, milliseconds per test. The SQL repositories behind the same ports are
proven by the integration tests on SQLite and PostgreSQL (test_oos_http,
test_substitution_*, test_proposal_photo_http)."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from app.services import oos, proposal_photos, substitutions
from app.services.records_oos import LikelyOut
from app.staff import StaffUser
from picking import errors
from picking.gtin import complete
from picking.model import Line, Order, OrderStatus, Product, Scan
from tests.support.fakes import FakeUnitOfWork, Storage

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
HOLD = timedelta(hours=2)
BASE = "https://shop.example"
MILK = complete("460123456789")
KEFIR = complete("460123456790")
PICKER = StaffUser(id=7, store_id=1, store_code="MSK-001", store_name="Test",
                   personnel_no="1001", name="Picker", role="picker", language="en")
OTHER_PICKER = StaffUser(id=8, store_id=1, store_code="MSK-001", store_name="Test",
                         personnel_no="1002", name="Other", role="picker", language="en")
SUPERVISOR = StaffUser(id=3, store_id=1, store_code="MSK-001", store_name="Test",
                       personnel_no="1003", name="Boss", role="supervisor", language="en")


def product(sku: str, pid: int, *, category: str = "dairy/milk", stock: int = 5,
            sequence: int = 0, store_id: int = 1) -> Product:
    return Product(store_id=store_id, sku=sku, name_ru=sku, name_en=sku.title(), unit="piece",
                   price_minor=9990, id=pid, category=category, stock=stock, sequence=sequence)


def order(order_id: int, milk: Product, *, status: OrderStatus = OrderStatus.PICKING,
          picker_id: int | None = PICKER.id, store_id: int = 1,
          substitution: str = "best_match", customer_ref: str | None = None) -> Order:
    line = Line(product=milk, quantity=2, unit_price_minor=9990, id=order_id * 10,
                substitution=substitution)
    return Order(store_id=store_id, store_code="MSK-001", oms_id=f"E-{order_id}", due_at=NOW,
                 id=order_id, status=status, picker_id=picker_id, lines=[line],
                 customer_ref=customer_ref)


def storage() -> Storage:
    milk = product("milk", 1)
    kefir = product("kefir", 2, sequence=2)
    ryazhenka = product("ryazhenka", 3, sequence=1)
    empty = product("yoghurt", 4, stock=0)
    ayran = product("ayran", 6, category="dairy/ayran")  # the group's, not the category's
    store = Storage(products={MILK.zfill(14): milk, KEFIR.zfill(14): kefir,
                              "ryazhenka": ryazhenka, "yoghurt": empty, "ayran": ayran})
    store.orders = {10: order(10, milk)}
    return store


def milk_of(store: Storage) -> Product:
    return store.products[MILK.zfill(14)]


def link_to(store: Storage, order_id: int) -> str:
    token = secrets.token_urlsafe(32)
    store.oos.links[substitutions.link_hash(token)] = order_id
    return token


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


async def short(store: Storage, reason: str = "out_of_stock", order_id: int = 10,
                picker: StaffUser = PICKER) -> tuple[Line, bool]:
    return await oos.short_line(FakeUnitOfWork(store), picker, order_id, order_id * 10,
                                reason, NOW, hold=HOLD)


# -- the picker's "missing" and the product likely out ---------------------------------

async def test_an_empty_shelf_marks_the_product_likely_out_once_for_the_hold() -> None:
    store = storage()
    store.orders[11] = order(11, milk_of(store), picker_id=OTHER_PICKER.id)
    line, fresh = await short(store)
    assert fresh and line.state == "short" and store.orders[10].lines[0].state == "short"
    assert store.oos.marks[(1, 1)] == LikelyOut(1, "out_of_stock", NOW, NOW + HOLD)
    assert (1, 1) in store.likely_out  # what the scan's probe reads
    assert [e.type for e in store.outbox] == ["LineShorted", "ItemUnavailable"]
    # a second picker finds the same empty shelf: marked again, but not news
    _line, fresh = await short(store, "not_found", order_id=11, picker=OTHER_PICKER)
    assert not fresh and store.oos.marks[(1, 1)].reason == "not_found"


async def test_a_damaged_item_is_short_without_marking_the_shelf_empty() -> None:
    store = storage()
    line, fresh = await short(store, "damaged")
    assert line.state == "short" and not fresh
    assert store.oos.marks == {} and store.likely_out == set()


async def test_a_mark_past_its_hold_is_news_again() -> None:
    store = storage()
    store.oos.marks[(1, 1)] = LikelyOut(1, "not_found", NOW - HOLD, NOW)
    _line, fresh = await short(store)
    assert fresh and store.oos.marks[(1, 1)].until == NOW + HOLD


async def test_a_refused_short_writes_nothing() -> None:
    store = storage()
    with pytest.raises(errors.NotYourOrder):
        await short(store, picker=OTHER_PICKER)
    with pytest.raises(errors.InvalidShortReason):
        await short(store, "lost")
    assert store.commits == 0 and store.oos.marks == {}
    assert store.orders[10].lines[0].state == "open"


async def test_the_other_open_orders_with_the_product_get_a_link_to_choose() -> None:
    store = storage()
    milk = milk_of(store)
    store.orders.update({
        11: order(11, milk, status=OrderStatus.QUEUED, picker_id=None),
        12: order(12, milk, substitution="none"),  # wants no substitute
        13: order(13, milk, status=OrderStatus.PACKED),  # picked already
        14: order(14, product("milk", 1, store_id=2), store_id=2),  # another store
        15: order(15, product("bread", 9)),  # another product
        16: order(16, milk, picker_id=OTHER_PICKER.id),
    })
    store.orders[16].lines[0].state = "picked"  # its milk is in the basket already
    told = await oos.offer_choices(lambda: FakeUnitOfWork(store), 1, 1, NOW, base_url=BASE,
                                   besides=10)
    assert told == 1
    (offered,) = store.outbox
    assert offered.type == "SubstituteChoiceOffered" and offered.order_id == 11
    url = offered.payload()["customer_url"]
    assert url.startswith(f"{BASE}/c/")
    assert store.oos.links == {substitutions.link_hash(token_of(url)): 11}


async def test_the_fan_out_is_bounded_and_never_raises(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    store = storage()
    for order_id in (11, 12, 13):
        store.orders[order_id] = order(order_id, milk_of(store), status=OrderStatus.QUEUED,
                                       picker_id=None)
    monkeypatch.setattr(oos, "MAX_FAN_OUT", 2)
    assert await oos.offer_choices(lambda: FakeUnitOfWork(store), 1, 1, NOW, base_url=BASE,
                                   besides=10) == 2
    assert sorted(e.order_id for e in store.outbox) == [11, 12]

    def broken() -> FakeUnitOfWork:
        raise RuntimeError("the database is gone")

    assert await oos.offer_choices(broken, 1, 1, NOW, base_url=BASE, besides=10) == 0


async def test_a_supervisor_reopens_a_short_line_with_a_reason_only() -> None:
    store = storage()
    await short(store, "damaged")
    with pytest.raises(errors.ReopenReasonRequired):
        await oos.reopen_line(FakeUnitOfWork(store), SUPERVISOR, 10, 100, "  ", NOW)
    assert store.orders[10].lines[0].state == "short"
    line = await oos.reopen_line(FakeUnitOfWork(store), SUPERVISOR, 10, 100, "back room", NOW)
    assert line.state == "open" and store.orders[10].lines[0].state == "open"
    assert store.outbox[-1].type == "LineReopened"


# -- the customer's choice in advance -------------------------------------------------

async def test_advance_choices_rank_substitutes_for_lines_likely_out() -> None:
    store = storage()
    store.oos.marks[(1, 1)] = LikelyOut(1, "out_of_stock", NOW - timedelta(minutes=5),
                                        NOW + HOLD)
    async with FakeUnitOfWork(store) as uow:
        (choice,) = await oos.advance_choices(uow, store.orders[10], NOW)
    assert choice.line.id == 100 and choice.since == NOW - timedelta(minutes=5)
    # in stock, of the same category, never the product itself
    assert [p.sku for p in choice.suggestions] == ["kefir", "ryazhenka"]
    assert choice.chosen is None


async def test_no_advance_choice_when_nothing_is_likely_out_or_picking_is_over() -> None:
    store = storage()
    store.oos.marks[(1, 1)] = LikelyOut(1, "out_of_stock", NOW - HOLD, NOW)  # ran out
    async with FakeUnitOfWork(store) as uow:
        assert await oos.advance_choices(uow, store.orders[10], NOW) == []
    store.oos.marks[(1, 1)] = LikelyOut(1, "out_of_stock", NOW, NOW + HOLD)
    store.orders[10].status = OrderStatus.PACKED
    async with FakeUnitOfWork(store) as uow:
        assert await oos.advance_choices(uow, store.orders[10], NOW) == []


async def test_the_customer_chooses_a_substitute_in_advance_through_their_link() -> None:
    store = storage()
    token = link_to(store, 10)
    line = await oos.choose_in_advance(FakeUnitOfWork(store), token, 100, "kefir", NOW)
    assert line.substitution == "specific" and line.specific_sku == "kefir"
    assert store.orders[10].lines[0].specific_sku == "kefir"
    assert store.outbox[-1].type == "SubstituteChosenInAdvance"
    store.oos.marks[(1, 1)] = LikelyOut(1, "out_of_stock", NOW, NOW + HOLD)
    async with FakeUnitOfWork(store) as uow:
        (choice,) = await oos.advance_choices(uow, store.orders[10], NOW)
    assert choice.chosen is not None and choice.chosen.sku == "kefir"


async def test_a_choice_in_advance_is_refused_for_what_cannot_be_had() -> None:
    store = storage()
    token = link_to(store, 10)
    for sku in ("yoghurt", "caviar"):  # out of stock; not in the catalog
        with pytest.raises(errors.SubstituteNotAllowed):
            await oos.choose_in_advance(FakeUnitOfWork(store), token, 100, sku, NOW)
    assert store.commits == 0 and store.orders[10].lines[0].substitution == "best_match"


async def test_a_link_opens_only_its_own_open_order() -> None:
    store = storage()
    store.orders[11] = order(11, milk_of(store))
    token = link_to(store, 10)
    with pytest.raises(errors.LinkNotFound):  # another order's line
        await oos.set_fallback(FakeUnitOfWork(store), token, 110, "best_match", NOW)
    with pytest.raises(errors.LinkNotFound):  # a token never handed out
        await oos.set_fallback(FakeUnitOfWork(store), secrets.token_urlsafe(32), 100,
                               "best_match", NOW)
    with pytest.raises(errors.LinkNotFound):  # not even shaped like one
        await oos.set_fallback(FakeUnitOfWork(store), "../../etc", 100, "best_match", NOW)
    line = await oos.set_fallback(FakeUnitOfWork(store), token, 100, "best_match", NOW)
    assert line.fallback == "best_match" and store.orders[10].lines[0].fallback == "best_match"
    store.orders[10].status = OrderStatus.HANDED_OVER
    with pytest.raises(errors.LinkExpired):
        await oos.set_fallback(FakeUnitOfWork(store), token, 100, "refund", NOW)
    async with FakeUnitOfWork(store) as uow:
        with pytest.raises(errors.LinkExpired):
            await substitutions.customer_view(uow, token)
    assert store.orders[10].lines[0].fallback == "best_match"


# -- weight over the soft band ----------------------------------------------------------

def weighed(store: Storage) -> None:
    apples = Product(store_id=1, sku="apples", name_ru="Яблоки", name_en="Apples",
                     unit="weight", price_minor=19900, id=5, category="fruit")
    store.orders[10].lines.append(Line(product=apples, quantity=1000, unit_price_minor=19900,
                                       id=101))


async def test_a_heavy_weighed_item_is_put_to_the_customer_on_a_new_link() -> None:
    store = storage()
    weighed(store)
    line = await oos.ask_about_weight(FakeUnitOfWork(store), PICKER, 10, code=None,
                                      line_id=101, weight_g=1250, now=NOW,
                                      window_minutes=10, base_url=BASE)
    assert line.id == 101
    (proposal,) = store.orders[10].lines[1].proposals
    assert proposal.kind == "weight" and proposal.quantity == 1250
    assert proposal.expires_at == NOW + timedelta(minutes=10)
    (asked,) = store.outbox
    url = asked.payload()["customer_url"]
    assert store.oos.links == {substitutions.link_hash(token_of(url)): 10}


async def test_a_weight_question_without_a_weight_writes_nothing() -> None:
    store = storage()
    weighed(store)
    with pytest.raises(errors.AbsurdWeight):
        await oos.ask_about_weight(FakeUnitOfWork(store), PICKER, 10, code=None, line_id=101,
                                   weight_g=None, now=NOW, window_minutes=10, base_url=BASE)
    assert store.commits == 0 and store.oos.links == {}


# -- substitutes: suggest, propose, decide, time out ------------------------------------

async def propose(store: Storage, code: str = KEFIR, **kw: object) -> substitutions.Proposed:
    return await substitutions.propose(FakeUnitOfWork(store), PICKER, 10, 100, code, now=NOW,
                                       window_minutes=10, base_url=BASE, **kw)  # type: ignore[arg-type]


async def test_suggestions_put_what_customers_approved_before_first() -> None:
    store = storage()
    milk = milk_of(store)
    earlier = order(20, milk, customer_ref="anna")
    earlier.short(200, "not_found", now=NOW, staff_id=PICKER.id)
    earlier.propose_substitute(200, store.products["ryazhenka"], ref="old", code="x", now=NOW,
                               window=None, customer_url="u", staff_id=PICKER.id)
    earlier.decide_substitute("old", approve=True, now=NOW)
    earlier.status = OrderStatus.DELIVERED
    store.orders[20] = earlier
    await short(store)
    async with FakeUnitOfWork(store) as uow:
        found = await substitutions.suggestions(uow, PICKER, 10, 100)
        assert await uow.substitutes.accepted_before(milk) == {"ryazhenka": 1}
        assert await uow.substitutes.accepted_before(milk, "anna") == {"ryazhenka": 1}
        assert await uow.substitutes.accepted_before(milk, "boris") == {}
    # approved before comes first (else the names would decide: kefir, ryazhenka)
    assert found.line.id == 100 and [p.sku for p in found.products] == ["ryazhenka", "kefir"]
    async with FakeUnitOfWork(store) as uow:
        with pytest.raises(errors.OrderNotFound):
            await substitutions.suggestions(uow, replace(PICKER, store_id=2), 10, 100)


async def test_a_proposal_is_offered_on_a_fresh_link_to_the_order() -> None:
    store = storage()
    await short(store)
    proposed = await propose(store)
    assert proposed.proposal.product.sku == "kefir" and proposed.proposal.is_pending
    assert store.oos.links == {substitutions.link_hash(token_of(proposed.customer_url)): 10}
    assert store.outbox[-1].type == "SubstitutionProposed"
    async with FakeUnitOfWork(store) as uow:
        assert (await substitutions.customer_view(uow, token_of(proposed.customer_url))).id == 10


async def test_a_refused_proposal_writes_nothing() -> None:
    store = storage()
    with pytest.raises(errors.SubstituteNotAllowed):  # the line is not short
        await propose(store)
    with pytest.raises(errors.UnknownCode):
        await propose(store, complete("460999999999"))
    assert store.commits == 0 and store.oos.links == {}


async def test_a_marked_unit_already_sold_on_another_order_is_not_offered() -> None:
    store = storage()
    kefir = store.products[KEFIR.zfill(14)]
    kefir.marked = True
    code = f"01{KEFIR.zfill(14)}21SERIAL1\x1d93abcd"
    store.orders[11] = order(11, kefir, picker_id=OTHER_PICKER.id)
    await short(store)
    async with FakeUnitOfWork(store) as uow:
        assert not await uow.catalog.marking_code_used(f"01{KEFIR.zfill(14)}21SERIAL1")
    store.orders[11].lines[0].scans.append(Scan(scan_id="s", code=code, quantity=1, scanned_at=NOW,
                                     staff_id=OTHER_PICKER.id,
                                     marking_code=f"01{KEFIR.zfill(14)}21SERIAL1"))
    with pytest.raises(errors.DuplicateMarkingCode):
        await propose(store, code)
    assert len(store.oos.links) == 0 and store.orders[10].lines[0].proposals == []


async def test_the_customer_decides_once_and_only_on_their_own_proposals() -> None:
    store = storage()
    await short(store)
    token = token_of((await propose(store)).customer_url)
    ref = store.orders[10].lines[0].proposals[0].ref
    with pytest.raises(errors.LinkNotFound):
        await substitutions.decide(FakeUnitOfWork(store), token, "not-ours", approve=True,
                                   now=NOW)
    decided = await substitutions.decide(FakeUnitOfWork(store), token, ref, approve=True,
                                         now=NOW)
    assert decided.status == "approved" and store.orders[10].lines[0].state == "substituted"
    with pytest.raises(errors.ProposalClosed):
        await substitutions.decide(FakeUnitOfWork(store), token, ref, approve=False, now=NOW)


async def test_a_late_answer_records_the_timeout_it_found() -> None:
    store = storage()
    await short(store)
    token = token_of((await propose(store)).customer_url)
    ref = store.orders[10].lines[0].proposals[0].ref
    commits = store.commits
    with pytest.raises(errors.ProposalClosed):
        await substitutions.decide(FakeUnitOfWork(store), token, ref, approve=True,
                                   now=NOW + timedelta(minutes=11))
    assert store.commits == commits + 1
    assert store.orders[10].lines[0].proposals[0].status == "timed_out"


async def test_expiry_times_out_every_due_proposal_one_order_at_a_time() -> None:
    store = storage()
    store.orders[11] = order(11, milk_of(store))
    await short(store)
    await short(store, order_id=11)
    await propose(store)
    await substitutions.propose(FakeUnitOfWork(store), PICKER, 11, 110, KEFIR, now=NOW,
                                window_minutes=30, base_url=BASE)
    commits = store.commits
    assert await substitutions.expire_due(lambda: FakeUnitOfWork(store),
                                          NOW + timedelta(minutes=10)) == 1
    assert store.commits == commits + 1
    assert store.orders[10].lines[0].proposals[0].status == "timed_out"
    assert store.orders[11].lines[0].proposals[0].status == "proposed"
    assert await substitutions.expire_due(lambda: FakeUnitOfWork(store),
                                          NOW + timedelta(minutes=10)) == 0


# -- shelf photos on proposals --------------------------------------------------------

async def test_a_photo_replaces_the_earlier_one_of_an_open_proposal_only() -> None:
    store = storage()
    await short(store)
    token = token_of((await propose(store)).customer_url)
    ref = store.orders[10].lines[0].proposals[0].ref
    await proposal_photos.check_target(FakeUnitOfWork(store), PICKER, 10, ref, NOW)
    assert await proposal_photos.attach(FakeUnitOfWork(store), PICKER, 10, ref,
                                        path="a.jpg", size=10, now=NOW) is None
    assert await proposal_photos.attach(FakeUnitOfWork(store), PICKER, 10, ref,
                                        path="b.jpg", size=12, now=NOW) == "a.jpg"
    async with FakeUnitOfWork(store) as uow:
        assert await proposal_photos.photo_for_customer(uow, token, ref) == "b.jpg"
        with pytest.raises(errors.LinkNotFound):
            await proposal_photos.photo_for_customer(uow, token, "other")
    later = NOW + timedelta(minutes=10)  # the window ran out: no use for a photo now
    with pytest.raises(errors.ProposalClosed):
        await proposal_photos.check_target(FakeUnitOfWork(store), PICKER, 10, ref, later)
    with pytest.raises(errors.ProposalClosed):
        await proposal_photos.attach(FakeUnitOfWork(store), PICKER, 10, ref, path="c.jpg",
                                     size=1, now=later)
    with pytest.raises(errors.ProposalNotFound):
        await proposal_photos.check_target(FakeUnitOfWork(store), PICKER, 10, "nope", NOW)
    assert store.oos.photos == {(10, ref): "b.jpg"}


async def test_a_photo_is_shown_only_through_a_link_to_its_open_order() -> None:
    store = storage()
    store.orders[11] = order(11, milk_of(store))
    await short(store)
    ref = (await propose(store)).proposal.ref
    await proposal_photos.attach(FakeUnitOfWork(store), PICKER, 10, ref, path="a.jpg",
                                 size=10, now=NOW)
    stranger = link_to(store, 11)
    async with FakeUnitOfWork(store) as uow:
        with pytest.raises(errors.LinkNotFound):
            await proposal_photos.photo_for_customer(uow, stranger, ref)
