"""Substitutes customers trust: attributes kept, the same kind first, the customer's wishes."""

from __future__ import annotations

import pytest

from picking import attributes
from picking.model import Line, Order, Product
from picking.substitution import SubstituteNotAllowed, rank_substitutes, suggest
from tests.unit.test_order import NOW, PICKER, picking, product

LF_MILK = product("lf-milk", category="dairy/milk", price_minor=11990, size_amount=1000,
                  brand="Savushkin", attributes=["lactose_free"], stock=5)
MILK = product("milk", category="dairy/milk", price_minor=9990, size_amount=930, stock=9,
               brand="Prostokvashino")
LF_MILK_2 = product("lf-milk-2", category="dairy/milk", price_minor=12990, size_amount=950,
                    brand="Parmalat", attributes=["lactose_free"], stock=3)
LF_KEFIR = product("lf-kefir", category="dairy/fermented_milk", price_minor=9990,
                   attributes=["lactose_free"], stock=9)
DISH_SOAP = product("fairy", category="household/dishwashing", price_minor=19990,
                    attributes=["household_chemicals"])
TABLETS = product("tablets", category="household/dishwashing", price_minor=99990, stock=4,
                  attributes=["household_chemicals", "non_food"])
FOIL = product("foil", category="household/foil", price_minor=16990, stock=9,
               attributes=["non_food"])
MUESLI = product("muesli", category="grocery/breakfast_cereal", price_minor=21990)
PASTA = product("spaghetti", category="grocery/pasta", price_minor=8990, stock=9)
CLEANER_IN_GROCERY = product("cleaner", category="grocery/odd", price_minor=9990, stock=9,
                             attributes=["household_chemicals"])


def short(original: Product, **wishes: object) -> tuple[Order, Line]:
    order = picking((original, 1))
    line = order.lines[0]
    for key, value in wishes.items():
        setattr(line, key, value)
    order.short(line.id or 0, "out_of_stock", now=NOW, staff_id=PICKER)
    order.events.clear()
    return order, line


def offer(order: Order, line: Line, substitute: Product, **kw: object) -> object:
    return order.propose_substitute(line.id or 0, substitute, ref="p1", code="c", now=NOW,
                                    window=None, customer_url="http://x/c/t", staff_id=PICKER,
                                    **kw)  # type: ignore[arg-type]


def skus(products: list[Product]) -> list[str]:
    return [p.sku for p in products]


def test_lactose_free_milk_is_never_replaced_by_ordinary_milk() -> None:
    order, line = short(LF_MILK)
    assert skus(rank_substitutes(line, [MILK, LF_MILK_2, LF_KEFIR], wider=True)) == [
        "lf-milk-2", "lf-kefir"]
    with pytest.raises(SubstituteNotAllowed) as refused:
        offer(order, line, MILK)
    assert refused.value.params["reason"] == "attributes"
    assert refused.value.params["lost"] == "lactose_free"
    assert order.events == [] and line.proposals == []


def test_dish_soap_gets_dishwashing_products_never_foil_and_food_never_chemicals() -> None:
    _, soap = short(DISH_SOAP)
    assert skus(rank_substitutes(soap, [FOIL, TABLETS], wider=True)) == ["tablets"]
    order, pasta = short(PASTA)
    assert rank_substitutes(pasta, [CLEANER_IN_GROCERY], wider=True) == []
    with pytest.raises(SubstituteNotAllowed) as refused:
        offer(order, pasta, CLEANER_IN_GROCERY, other_category_ok=True)
    assert refused.value.params["lost"] == "household_chemicals,non_food"


def test_vegan_keeps_vegetarian_and_an_unknown_attribute_is_kept_too() -> None:
    assert attributes.broken(["vegetarian"], ["vegan"]) == []
    assert attributes.broken(["vegan"], ["vegetarian"]) == ["vegan"]
    assert attributes.broken(["palm_oil_free"], []) == ["palm_oil_free"]
    assert attributes.normalise([" Palm-Oil free ", "HALAL", "halal"]) == [
        "palm_oil_free", "halal"]
    assert attributes.problem("<b>") is not None and attributes.problem("halal") is None


def test_another_category_only_when_the_own_has_nothing_and_the_picker_asks() -> None:
    order, muesli = short(MUESLI)
    asked_nothing = suggest(muesli, [PASTA])
    assert asked_nothing.products == [] and asked_nothing.wider_available
    asked = suggest(muesli, [PASTA], wider=True)
    assert skus(asked.products) == ["spaghetti"] and asked.wider
    with pytest.raises(SubstituteNotAllowed) as refused:
        offer(order, muesli, PASTA)
    assert refused.value.params["reason"] == "other_category" and order.events == []
    proposal = offer(order, muesli, PASTA, other_category_ok=True)
    assert proposal.other_category is True  # type: ignore[attr-defined]
    assert order.events[0].sku == "spaghetti"  # type: ignore[attr-defined]


def test_the_same_kind_is_never_hidden_behind_the_wider_list() -> None:
    _, milk = short(MILK)
    found = suggest(milk, [LF_KEFIR, LF_MILK], wider=True)
    assert skus(found.products) == ["lf-milk"] and not found.wider


def test_rank_by_this_customer_then_the_store_then_brand_then_closeness() -> None:
    original = product("kefir", category="dairy/kefir", price_minor=10000, size_amount=900,
                       brand="Prostokvashino")
    same_brand = product("kefir-1", category="dairy/kefir", price_minor=13000,
                         size_amount=500, brand="Prostokvashino", stock=5)
    closest = product("kefir-2", category="dairy/kefir", price_minor=10000, size_amount=900,
                      brand="Savushkin", stock=5)
    liked = product("kefir-3", category="dairy/kefir", price_minor=15000, size_amount=500,
                    brand="Vkusnoteevo", stock=5)
    _, line = short(original)
    pool = [closest, liked, same_brand]
    assert skus(rank_substitutes(line, pool)) == ["kefir-1", "kefir-2", "kefir-3"]
    assert skus(rank_substitutes(line, pool, {"kefir-2": 2}))[0] == "kefir-2"
    assert skus(rank_substitutes(line, pool, {"kefir-2": 2},
                                 customer_accepted={"kefir-3": 1}))[0] == "kefir-3"
    assert "kefir-2" not in skus(rank_substitutes(line, pool, {"kefir-2": -1}))[:1]


def test_the_customers_wishes_cap_the_price_and_keep_the_brand() -> None:
    order, line = short(MILK, max_difference_pct=10, same_brand=False)
    dearer = product("milk-dear", category="dairy/milk", price_minor=11000, stock=5)
    within = product("milk-ok", category="dairy/milk", price_minor=10989, stock=5)
    assert skus(rank_substitutes(line, [dearer, within])) == ["milk-ok"]
    with pytest.raises(SubstituteNotAllowed) as refused:
        offer(order, line, dearer)
    assert refused.value.params["reason"] == "price_cap"
    order, line = short(MILK, same_brand=True)
    other_brand = product("milk-2", category="dairy/milk", brand="Savushkin", stock=5)
    assert rank_substitutes(line, [other_brand]) == []
    with pytest.raises(SubstituteNotAllowed) as refused:
        offer(order, line, other_brand)
    assert refused.value.params["reason"] == "brand"
