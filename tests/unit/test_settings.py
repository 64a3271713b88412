"""Settings come from the environment once; only development runs with the dev secrets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.settings import DEV_OMS_SECRET, DEV_SECRET, Settings, SettingsError

REAL = {"STOREPICK_SECRET_KEY": "k" * 40, "STOREPICK_OMS_SECRET": "s" * 40}
ROOT = Path(__file__).resolve().parents[2]


def test_a_postgres_url_uses_the_asyncpg_driver() -> None:
    settings = Settings.from_env({"DATABASE_URL": "postgresql://store@db/storepick", **REAL})
    assert settings.database_url == "postgresql+asyncpg://store@db/storepick"
    assert not settings.is_sqlite


def test_the_default_is_sqlite_with_the_relay_on_and_no_oms_url() -> None:
    settings = Settings.from_env({"STOREPICK_ENV": "development"})
    assert settings.is_sqlite and settings.run_relay and settings.oms_events_url is None


def test_development_mode_runs_with_the_dev_secrets_and_plain_cookies() -> None:
    settings = Settings.from_env({"STOREPICK_ENV": "development"})
    assert (settings.secret_key, settings.oms_shared_secret) == (DEV_SECRET, DEV_OMS_SECRET)
    assert settings.secure_cookies is False
    assert Settings(environment="development").secret_key == DEV_SECRET


@pytest.mark.parametrize("mode", [None, "", "production", "prod", "Production", "PRODUCTION",
                                  "Development", "dev", "staging", " "])
@pytest.mark.parametrize("missing", ["STOREPICK_SECRET_KEY", "STOREPICK_OMS_SECRET"])
def test_every_mode_but_development_refuses_to_start_without_a_secret(
        mode: str | None, missing: str) -> None:
    env = dict(REAL)
    if mode is not None:
        env["STOREPICK_ENV"] = mode
    del env[missing]
    with pytest.raises(SettingsError, match=f"^{missing} is not set"):
        Settings.from_env(env)
    assert Settings.from_env({**env, missing: "x" * 40}).secure_cookies is True


@pytest.mark.parametrize(("variable", "dev_value"), [("STOREPICK_SECRET_KEY", DEV_SECRET),
                                                   ("STOREPICK_OMS_SECRET", DEV_OMS_SECRET)])
def test_the_published_dev_secrets_are_refused_outside_development(
        variable: str, dev_value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({**REAL, variable: dev_value})


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(SettingsError, match="STOREPICK_OMS_SECRET is too short"):
        Settings.from_env({**REAL, "STOREPICK_OMS_SECRET": "short"})


def test_settings_built_in_code_also_fail_closed() -> None:
    with pytest.raises(SettingsError, match="STOREPICK_SECRET_KEY"):
        Settings(database_url="sqlite+aiosqlite:///x.db")


def test_production_may_turn_secure_cookies_off_explicitly() -> None:
    assert Settings.from_env({**REAL, "STOREPICK_SECURE_COOKIES": "0"}).secure_cookies is False
    assert Settings.from_env({"STOREPICK_ENV": "development",
                              "STOREPICK_SECURE_COOKIES": "1"}).secure_cookies is True


def test_the_cli_refuses_to_start_and_names_the_variable(tmp_path: Path) -> None:
    """What the Docker image runs (``python -m app migrate``) with no secrets at all."""
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db",
           "STOREPICK_ENV": "production"}
    done = subprocess.run([sys.executable, "-m", "app", "migrate"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "STOREPICK_SECRET_KEY is not set" in done.stderr
    assert not (tmp_path / "x.db").exists()


def test_the_docker_image_does_not_run_in_development_mode() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "STOREPICK_ENV=production" in dockerfile
    assert "STOREPICK_ENV=development" not in dockerfile


def test_make_run_runs_in_development_mode() -> None:
    makefile = (ROOT / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "STOREPICK_ENV=development" in run


def test_the_standalone_relay_also_refuses_the_dev_secret() -> None:
    from sync.__main__ import config_from_env

    url = {"STOREPICK_OMS_EVENTS_URL": "http://oms/events"}
    with pytest.raises(SystemExit, match="STOREPICK_OMS_SECRET"):
        config_from_env(url)
    with pytest.raises(SystemExit, match="STOREPICK_OMS_SECRET"):
        config_from_env({**url, "STOREPICK_OMS_SECRET": DEV_OMS_SECRET})
    assert config_from_env({**url, "STOREPICK_ENV": "development"}).secret == DEV_OMS_SECRET


def test_old_style_oms_signatures_have_a_stated_end_and_can_be_turned_off() -> None:
    from datetime import date

    assert Settings.from_env(REAL).oms_legacy_signatures_until == date(2027, 3, 1)
    off = Settings.from_env({**REAL, "STOREPICK_OMS_LEGACY_SIGNATURES_UNTIL": "off"})
    assert off.oms_legacy_signatures_until is None
    earlier = Settings.from_env({**REAL, "STOREPICK_OMS_LEGACY_SIGNATURES_UNTIL": "2027-01-15"})
    assert earlier.oms_legacy_signatures_until == date(2027, 1, 15)
    with pytest.raises(SettingsError, match="STOREPICK_OMS_LEGACY_SIGNATURES_UNTIL"):
        Settings.from_env({**REAL, "STOREPICK_OMS_LEGACY_SIGNATURES_UNTIL": "soon"})


def test_the_in_app_relay_takes_the_relay_settings() -> None:
    from unittest.mock import MagicMock

    from app.relay import relay_for

    env = {"STOREPICK_ENV": "development", "STOREPICK_OMS_EVENTS_URL": "http://oms/events",
           "STOREPICK_RELAY_TIMEOUT": "3", "STOREPICK_RELAY_MAX_ATTEMPTS": "7",
           "STOREPICK_RELAY_LEASE": "30", "STOREPICK_RELAY_BACKOFF_BASE": "0.5"}
    relay = relay_for(MagicMock(), Settings.from_env(env))
    assert relay is not None
    config = relay.config
    assert (config.timeout_seconds, config.max_attempts, config.lease_seconds,
            config.backoff.base) == (3.0, 7, 30.0, 0.5)
    with pytest.raises(SettingsError, match="STOREPICK_RELAY_TIMEOUT"):
        Settings.from_env({**env, "STOREPICK_RELAY_TIMEOUT": "soon"})


def test_the_relay_linger_may_be_zero_but_not_negative() -> None:
    from unittest.mock import MagicMock

    from app.relay import relay_for

    env = {"STOREPICK_ENV": "development", "STOREPICK_OMS_EVENTS_URL": "http://oms/events"}
    assert relay_for(MagicMock(), Settings.from_env(env)).config.linger_seconds == 0.05  # type: ignore[union-attr]
    zero = relay_for(MagicMock(), Settings.from_env({**env, "STOREPICK_RELAY_LINGER": "0"}))
    assert zero is not None and zero.config.linger_seconds == 0
    for bad in ("-1", "nan", "soon"):
        with pytest.raises(SettingsError, match="STOREPICK_RELAY_LINGER"):
            Settings.from_env({**env, "STOREPICK_RELAY_LINGER": bad})
    with pytest.raises(SettingsError, match="more than 0"):  # the others stay positive
        Settings.from_env({**env, "STOREPICK_RELAY_LEASE": "0"})
