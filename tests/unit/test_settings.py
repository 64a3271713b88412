"""Settings come from the environment once; production refuses the dev secrets."""

from __future__ import annotations

import pytest

from app.settings import Settings


def test_a_postgres_url_uses_the_asyncpg_driver() -> None:
    settings = Settings.from_env({"DATABASE_URL": "postgresql://store@db/storepick"})
    assert settings.database_url == "postgresql+asyncpg://store@db/storepick"
    assert not settings.is_sqlite


def test_the_default_is_sqlite_with_the_relay_on_and_no_oms_url() -> None:
    settings = Settings.from_env({})
    assert settings.is_sqlite and settings.run_relay and settings.oms_events_url is None


@pytest.mark.parametrize("missing", ["STOREPICK_SECRET_KEY", "STOREPICK_OMS_SECRET"])
def test_production_refuses_to_start_with_a_dev_secret(missing: str) -> None:
    env = {"STOREPICK_ENV": "production", "STOREPICK_SECRET_KEY": "k" * 40,
           "STOREPICK_OMS_SECRET": "s" * 40}
    del env[missing]
    with pytest.raises(ValueError, match=missing):
        Settings.from_env(env)
    assert Settings.from_env({**env, missing: "x" * 40}).secret_key
