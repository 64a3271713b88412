"""A store's sale policy per product group (picking.sale_policy): pure rules."""

from __future__ import annotations

from picking.sale_policy import country_of, sale_policy


def test_a_russian_store_keeps_alcohol_and_tobacco_out_of_deliveries_by_default() -> None:
    policy = sale_policy(None, "ru_RU")
    assert not policy.allows("alcohol", "delivery")
    assert policy.allows("alcohol", "collect")
    assert policy.allowed_for("tobacco") == []
    assert policy.allowed_for("dairy") == ["delivery", "collect"]
    assert policy.allows(None, "delivery")


def test_a_store_outside_russia_restricts_nothing_unless_it_says_so() -> None:
    assert sale_policy(None, "de_DE").allowed_for("alcohol") == ["delivery", "collect"]
    assert sale_policy({"tobacco": []}, "de_DE").allowed_for("tobacco") == []


def test_store_settings_override_the_default_and_junk_never_widens_it() -> None:
    policy = sale_policy({"alcohol": [], "tobacco": ["teleport"], "toys": []}, "ru_RU")
    assert policy.allowed_for("alcohol") == []
    assert policy.allowed_for("tobacco") == []  # an unknown fulfilment allows nothing
    assert policy.allowed_for("toys") == ["delivery", "collect"]  # not a policy group
    assert sale_policy("yes", "ru_RU").as_json() == {"alcohol": ["collect"], "tobacco": []}


def test_the_country_is_the_locales_territory() -> None:
    assert (country_of("ru_RU"), country_of("en_GB"), country_of("ru")) == ("RU", "GB", "")
