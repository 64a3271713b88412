"""Forwarded headers are believed only from trusted proxies (issue #18, item 8)."""

from __future__ import annotations

import pytest

from app.proxies import client_address, parse_networks
from app.settings import Settings, SettingsError

PROXY = parse_networks("10.0.0.5, 10.1.0.0/16")


def test_without_trusted_proxies_the_headers_are_ignored() -> None:
    assert client_address("203.0.113.9", {"x-forwarded-for": "198.51.100.1"}, ()) \
        == "203.0.113.9"


def test_a_header_from_an_untrusted_peer_is_ignored() -> None:
    assert client_address("203.0.113.9", {"x-forwarded-for": "198.51.100.1"}, PROXY) \
        == "203.0.113.9"


def test_behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() -> None:
    # the client forged the leftmost entry; the proxies appended the real ones
    headers = {"x-forwarded-for": "1.2.3.4, 198.51.100.7, 10.1.2.3"}
    assert client_address("10.0.0.5", headers, PROXY) == "198.51.100.7"


def test_the_forwarded_header_wins_and_may_carry_ports_and_ipv6() -> None:
    headers = {"forwarded": 'for=192.0.2.60;proto=https, for="[2001:db8::17]:4711"',
               "x-forwarded-for": "198.51.100.1"}
    assert client_address("10.0.0.5", headers, PROXY) == "2001:db8::17"
    assert client_address("10.0.0.5", {"forwarded": "for=unknown"}, PROXY) == "10.0.0.5"


def test_a_bad_proxy_setting_stops_the_start_with_the_variable_named() -> None:
    with pytest.raises(SettingsError, match="STOREPICK_TRUSTED_PROXIES"):
        Settings(environment="development", trusted_proxies="10.0.0.5, proxy.local")
    env = {"STOREPICK_ENV": "development", "STOREPICK_TRUSTED_PROXIES": "10.0.0.0/8"}
    assert Settings.from_env(env).trusted_proxies == "10.0.0.0/8"
