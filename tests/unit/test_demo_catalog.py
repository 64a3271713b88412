"""The demo supermarket: a catalog, staff and orders a picker would believe."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from app.demo.catalog import (
    DEMO_STORE,
    SECOND_STORE,
    DemoProduct,
    demo_orders,
    demo_products,
    demo_staff,
    group_of,
    second_store_products,
    second_store_staff,
)
from app.staff import HUB_ROLES, ROLES
from picking.gtin import is_valid, to_gtin14

START = datetime(2026, 3, 2, 8, 7, tzinfo=UTC)
ZONES = ("ambient", "chilled", "frozen")
CYRILLIC = re.compile("[А-Яа-яЁё]")


@pytest.fixture(scope="module")
def products() -> list[DemoProduct]:
    return demo_products()


@pytest.fixture(scope="module")
def spb() -> list[DemoProduct]:
    return second_store_products()


@pytest.fixture(scope="module")
def orders(products):
    return demo_orders(products, START)


def _by_sku(products):
    return {p.sku: p for p in products}


# ---------------------------------------------------------------- catalog

def test_the_catalog_is_a_full_supermarket(products):
    assert len(products) >= 320
    assert sum(p.unit == "weight" for p in products) >= 40
    assert sum(p.marked for p in products) >= 25
    assert sum(p.age_restricted for p in products) >= 15
    zones = Counter(p.zone for p in products)
    assert zones["chilled"] >= 60
    assert zones["frozen"] >= 40


def test_the_store_plan_has_twelve_ambient_four_chilled_and_two_frozen_aisles(products):
    aisles = {zone: {p.aisle for p in products if p.zone == zone} for zone in ZONES}
    assert aisles == {"ambient": set(range(1, 13)), "chilled": set(range(13, 17)),
                      "frozen": {17, 18}}


@pytest.mark.parametrize("store", ["MSK-001", "SPB-002"])
def test_ambient_aisles_come_before_chilled_and_chilled_before_frozen(store, products, spb):
    catalog = products if store == "MSK-001" else spb
    ranges = [[p.aisle for p in catalog if p.zone == zone] for zone in ZONES]
    assert all(ranges)
    assert max(ranges[0]) < min(ranges[1])
    assert max(ranges[1]) < min(ranges[2])


@pytest.mark.parametrize("store", ["MSK-001", "SPB-002"])
def test_sequences_are_unique_and_increase_with_the_aisle(store, products, spb):
    catalog = products if store == "MSK-001" else spb
    sequences = [p.sequence for p in catalog]
    assert len(set(sequences)) == len(catalog)
    walk = sorted(catalog, key=lambda p: p.sequence)
    assert [p.aisle for p in walk] == sorted(p.aisle for p in catalog)
    assert all(re.fullmatch(r"[A-H][1-5]", p.shelf) for p in catalog)


@pytest.mark.parametrize("store", ["MSK-001", "SPB-002"])
def test_every_gtin_is_valid_and_unique_in_its_store(store, products, spb):
    catalog = products if store == "MSK-001" else spb
    gtins = [g for p in catalog for g in p.gtins]
    assert all(is_valid(g) for g in gtins)
    assert len({to_gtin14(g) for g in gtins}) == len(gtins)


def test_barcodes_are_mostly_russian_ean13_with_some_ean8_upca_and_gtin14(products):
    gtins = [g for p in products for g in p.gtins]
    lengths = Counter(len(g) for g in gtins)
    assert lengths[13] > len(gtins) / 2
    assert lengths[8]
    assert lengths[12]
    assert lengths[14]
    russian = [g for g in gtins if len(g) == 13 and "460" <= g[:3] <= "469"]
    assert len(russian) > len(gtins) / 2


def test_piece_goods_have_one_to_three_gtins_and_no_plu(products):
    for p in products:
        if p.unit == "piece":
            assert 1 <= len(p.gtins) <= 3, p.name_en
            assert p.plu is None
            assert p.tolerance_pct is None


def test_weighed_goods_have_unique_five_digit_plus_and_a_per_kg_price(products):
    weighed = [p for p in products if p.unit == "weight"]
    plus = [p.plu for p in weighed]
    assert all(plu is not None and re.fullmatch(r"\d{5}", plu) for plu in plus)
    assert len(set(plus)) == len(plus)
    assert all(p.size_ml_or_g is None and len(p.gtins) <= 1 for p in weighed)
    assert {p.tolerance_pct for p in weighed} >= {None, 15}


def test_skus_and_names_are_unique(products):
    assert len({p.sku for p in products}) == len(products)
    assert len({p.name_ru for p in products}) == len(products)
    assert len({p.name_en for p in products}) == len(products)


def test_english_names_are_translations_not_copies(products):
    for p in products:
        assert p.name_en != p.name_ru
        assert not CYRILLIC.search(p.name_en), p.name_en
        assert CYRILLIC.search(p.name_ru), p.name_ru


def test_names_sizes_and_prices_look_like_a_moscow_shelf(products):
    names = {p.name_ru: p for p in products}
    milk = names["Молоко Простоквашино 3,2% 930 мл"]
    assert milk.name_en == "Prostokvashino milk 3.2% 930 ml"
    assert (milk.size_text, milk.size_ml_or_g) == ("930 ml", 930)
    assert (milk.marked, milk.zone) == (True, "chilled")
    assert 8000 <= milk.price_minor <= 13000
    bananas = names["Бананы, кг"]
    assert (bananas.unit, bananas.plu is not None, bananas.gtins) == ("weight", True, ())
    assert all(p.price_minor > 0 and p.stock >= 0 for p in products)


def test_marking_and_age_limits_follow_russian_rules(products):
    marked = {group_of(p) for p in products if p.marked}
    assert {"dairy", "drinks", "alcohol", "tobacco"} <= marked
    restricted = {group_of(p) for p in products if p.age_restricted}
    assert restricted == {"alcohol", "tobacco", "drinks"}
    assert all("энергетический" in p.name_ru for p in products
               if p.age_restricted and group_of(p) == "drinks")


def test_categories_are_narrow_enough_that_a_substitute_is_the_same_kind(products):
    """Muesli is offered for muesli, never spaghetti, peas or mayonnaise (issue #12)."""
    def category(name_start):
        return {p.category for p in products if p.name_ru.startswith(name_start)}

    (muesli,) = category("Мюсли")
    (pasta,) = category("Макароны")
    (dish_soap,) = category("Средство для мытья посуды")
    assert muesli == "grocery/breakfast_cereal" and category("Хлопья овсяные") == {muesli}
    assert pasta not in category("Сахар") | category("Горошек") | category("Майонез") | {muesli}
    assert category("Фольга") != {dish_soap}
    assert all(p.category.count("/") == 1 for p in products)


def test_the_catalog_is_deterministic(products):
    assert demo_products() == products
    assert second_store_products() == second_store_products()


# ---------------------------------------------------------------- second store

def test_the_second_store_has_its_own_skus_but_shares_real_barcodes(products, spb):
    assert 35 <= len(spb) <= 45
    assert not {p.sku for p in spb} & {p.sku for p in products}
    moscow = {g for p in products for g in p.gtins}
    shared = [p for p in spb if set(p.gtins) & moscow]
    assert shared
    assert len(shared) < len(spb)
    assert {p.zone for p in spb} == set(ZONES)
    assert SECOND_STORE["code"] != DEMO_STORE["code"]


# ---------------------------------------------------------------- orders

def test_orders_reference_existing_products_once_each_with_positive_quantities(products, orders):
    skus = _by_sku(products)
    assert len(orders) == 40
    for order in orders:
        lines = [line.sku for line in order.lines]
        assert len(lines) == len(set(lines))
        assert 3 <= len(lines) <= 35
        for line in order.lines:
            assert line.sku in skus
            assert line.quantity > 0
            assert line.substitution in ("none", "best_match", "specific")
            assert (line.specific_sku is not None) == (line.substitution == "specific")


def test_a_specific_substitute_is_a_sensible_product_of_the_same_category(products, orders):
    skus = _by_sku(products)
    specific = [line for order in orders for line in order.lines if line.specific_sku]
    assert specific
    for line in specific:
        original, substitute = skus[line.sku], skus[line.specific_sku]
        assert substitute.sku != original.sku
        assert (substitute.category, substitute.unit, substitute.zone) == (
            original.category, original.unit, original.zone)
        assert substitute.age_restricted <= original.age_restricted


def test_substitution_preferences_are_mostly_best_match(products):
    lines = [line for seed in range(1, 6) for order in demo_orders(products, START, seed=seed)
             for line in order.lines]
    share = {kind: n / len(lines) for kind, n in Counter(ln.substitution for ln in lines).items()}
    assert 0.5 < share["best_match"] < 0.7
    assert 0.17 < share["none"] < 0.33
    assert 0.08 < share["specific"] < 0.22


def test_order_sizes_and_quantities_vary_like_real_baskets(products, orders):
    skus = _by_sku(products)
    sizes = [len(o.lines) for o in orders]
    assert min(sizes) <= 6
    assert max(sizes) >= 20
    pieces = Counter(ln.quantity for o in orders for ln in o.lines if skus[ln.sku].unit == "piece")
    assert pieces.most_common(1)[0][0] == 1
    assert pieces[6] + pieces[10] + pieces[12] > 0
    grams = [ln.quantity for o in orders for ln in o.lines if skus[ln.sku].unit == "weight"]
    assert grams
    assert all(100 <= g <= 3000 for g in grams)


def test_orders_mix_piece_weighed_marked_and_age_restricted_goods(products, orders):
    skus = _by_sku(products)
    in_order = [[skus[ln.sku] for ln in o.lines] for o in orders]
    assert any({p.unit for p in ps} == {"piece", "weight"} for ps in in_order)
    assert sum(any(p.marked for p in ps) for ps in in_order) >= 10
    assert sum(any(p.age_restricted for p in ps) for ps in in_order) >= 3


def test_orders_follow_the_russian_distance_sale_rules(products, orders):
    """No alcohol or tobacco is delivered; alcohol is collected at the counter (ID check)."""
    skus = _by_sku(products)
    groups = {o.oms_id: {group_of(skus[ln.sku]) for ln in o.lines} for o in orders}
    for o in orders:
        banned = {"alcohol", "tobacco"} if o.fulfilment == "delivery" else {"tobacco"}
        assert not groups[o.oms_id] & banned, (o.oms_id, o.fulfilment)
    assert any("alcohol" in groups[o.oms_id] for o in orders if o.fulfilment == "collect")


def test_due_times_are_utc_slot_ends_over_the_shift_with_some_overdue(orders):
    dues = [o.due_at for o in orders]
    assert all(d.tzinfo is not None and d.utcoffset() == timedelta(0) for d in dues)
    assert all(d.minute % 15 == 0 and d.second == 0 and d.microsecond == 0 for d in dues)
    overdue = sum(d < START for d in dues)
    assert 1 <= overdue <= 10
    assert max(dues) - START >= timedelta(hours=4)
    assert all(d >= START - timedelta(hours=1, minutes=15) for d in dues)


def test_deliveries_have_moscow_addresses_and_collections_none(orders):
    deliveries = [o for o in orders if o.fulfilment == "delivery"]
    assert 0.6 <= len(deliveries) / len(orders) <= 0.8
    for o in orders:
        assert o.fulfilment in ("delivery", "collect")
        assert (o.address is not None) == (o.fulfilment == "delivery")
        assert o.address is None or o.address.startswith("Москва, ")
        assert re.fullmatch(r"\+7 9\d\d 000-\d\d-\d\d", o.customer_phone)
        assert CYRILLIC.search(o.customer_name)


def test_oms_ids_are_unique_and_can_be_kept_apart_between_stores(products, spb):
    moscow = [o.oms_id for o in demo_orders(products, START)]
    other = [o.oms_id for o in demo_orders(spb, START, count=5, first_number=250001)]
    assert len(set(moscow)) == len(moscow)
    assert moscow[0] == "OMS-240001"
    assert not set(moscow) & set(other)


def test_orders_are_deterministic_per_seed(products, orders):
    assert demo_orders(products, START) == orders
    assert demo_orders(products, START, seed=8) != orders


def test_orders_need_an_aware_start(products):
    with pytest.raises(ValueError, match="timezone-aware"):
        demo_orders(products, START.replace(tzinfo=None))


# ---------------------------------------------------------------- staff

def test_demo_staff_covers_every_role_with_an_english_speaking_picker():
    staff = demo_staff()
    roles = Counter(s.role for s in staff)
    assert roles["picker"] >= 3
    assert roles["supervisor"] >= 1
    assert roles["courier"] >= 2
    assert roles["admin"] >= 1
    assert set(roles) == set(ROLES)  # every role can be tried in the demo
    assert any(s.role == "picker" and s.language == "en" for s in staff)


def test_pickers_and_couriers_sign_in_with_a_pin_and_numbers_are_unique():
    everyone = demo_staff() + second_store_staff()
    assert len({s.personnel_no for s in everyone}) == len(everyone)
    for s in everyone:
        assert s.language in ("ru", "en")
        if s.role not in HUB_ROLES:
            assert re.fullmatch(r"\d{4,6}", s.pin)
        else:
            assert len(s.pin) >= 8
    spb_roles = {s.personnel_no: s.role for s in second_store_staff()}
    assert spb_roles["2001"] == "picker"
    assert "supervisor" in spb_roles.values()
