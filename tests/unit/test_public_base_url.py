"""Customer links open on a phone: where their base comes from (settings, `make run`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from app.__main__ import lan_base_url, sign_ins
from app.demo.catalog import demo_staff
from app.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]
DEV = {"STOREPICK_ENV": "development"}


def test_unset_means_the_address_the_staff_member_used() -> None:
    assert Settings.from_env(DEV).public_base_url is None
    assert Settings.from_env({**DEV, "STOREPICK_PUBLIC_BASE_URL": " "}).public_base_url is None


def test_a_configured_base_is_kept_without_its_trailing_slash() -> None:
    settings = Settings.from_env({**DEV, "STOREPICK_PUBLIC_BASE_URL": "https://shop.example/"})
    assert settings.public_base_url == "https://shop.example"


@pytest.mark.parametrize("bad", ["localhost:8000", "192.168.1.20", "ftp://shop.example",
                                 "http://", "https://shop.example/?x=1"])
def test_a_base_a_phone_cannot_open_stops_the_start_and_says_what_to_set(bad: str) -> None:
    with pytest.raises(SettingsError, match=r"STOREPICK_PUBLIC_BASE_URL must be .* http://"):
        Settings.from_env({**DEV, "STOREPICK_PUBLIC_BASE_URL": bad})


def test_the_demo_uses_the_machine_s_network_address_not_localhost() -> None:
    assert lan_base_url(["127.0.0.1", "192.168.1.20"], 9000) == "http://192.168.1.20:9000"
    assert lan_base_url(["127.0.0.1", "10.0.0.7"], 8443, https=True) == "https://10.0.0.7:8443"
    assert lan_base_url(["127.0.0.1"], 8000) == "http://127.0.0.1:8000"  # no network at all
    printed = sign_ins(demo_staff(), 9000, "http://192.168.1.20:9000")
    assert "From a phone on this network: http://192.168.1.20:9000/login" in printed


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_takes_both_ports() -> None:
    dry = subprocess.run(["make", "-n", "run", "PORT=9000", "OMS_PORT=9001"], cwd=ROOT,
                         capture_output=True, text=True, timeout=30, check=True).stdout
    assert "-m app run --port 9000" in dry
    assert "-m sync.simulator --host 0.0.0.0 --port 9001" in dry.replace("\\\n", "")
    assert "--app http://127.0.0.1:9000" in dry
    assert "STOREPICK_OMS_EVENTS_URL=http://127.0.0.1:9001/events" in dry
    assert "8000" not in dry and "8001" not in dry
