"""One frozen settings object, read from the environment once, passed to create_app."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-secret-change-me-0123456789abcdef"
DEV_OMS_SECRET = "dev-oms-secret"


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite+aiosqlite:///{ROOT / 'var' / 'storepick.db'}"
    secret_key: str = DEV_SECRET
    oms_shared_secret: str = "dev-oms-secret"
    oms_events_url: str | None = None
    oms_batch_url: str | None = None  # optional OMS endpoint taking several orders' events
    oms_max_skew_seconds: int = 300  # signed OMS requests older or newer are refused
    debug: bool = False
    secure_cookies: bool = False
    session_hours: int = 12
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    max_upload_bytes: int = 15 * 1024 * 1024
    data_dir: Path = ROOT / "var"  # delivery proof photos live under data_dir/proofs
    substitution_window_minutes: int = 10  # 0: open until the picker finishes the order
    public_base_url: str = "http://localhost:8000"  # customer links in SubstitutionProposed
    substitution_expiry_seconds: float = 15.0  # how often the expiry task looks
    run_relay: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Build settings from ``STOREPICK_*`` variables and ``DATABASE_URL``.

        Raises ValueError when a production deployment keeps the dev secret.
        """
        env = dict(os.environ if env is None else env)
        url = env.get("DATABASE_URL") or cls.database_url
        if url.startswith(("postgresql://", "postgres://")):
            url = "postgresql+asyncpg://" + url.split("://", 1)[1]
        settings = cls(
            database_url=url,
            secret_key=env.get("STOREPICK_SECRET_KEY", DEV_SECRET),
            oms_shared_secret=env.get("STOREPICK_OMS_SECRET", DEV_OMS_SECRET),
            oms_events_url=env.get("STOREPICK_OMS_EVENTS_URL") or None,
            oms_batch_url=env.get("STOREPICK_OMS_BATCH_URL") or None,
            debug=env.get("STOREPICK_DEBUG", "") == "1",
            secure_cookies=env.get("STOREPICK_SECURE_COOKIES", "") == "1",
            run_relay=env.get("STOREPICK_RUN_RELAY", "1") != "0",
            data_dir=Path(env.get("STOREPICK_DATA_DIR") or ROOT / "var"),
            public_base_url=env.get("STOREPICK_PUBLIC_BASE_URL", cls.public_base_url),
            substitution_window_minutes=int(env.get("STOREPICK_SUBSTITUTION_WINDOW_MINUTES", "10")),
        )
        if env.get("STOREPICK_ENV") == "production":
            if settings.secret_key == DEV_SECRET:
                raise ValueError("STOREPICK_SECRET_KEY must be set in production")
            if settings.oms_shared_secret == DEV_OMS_SECRET:
                raise ValueError("STOREPICK_OMS_SECRET must be set in production")
        return settings
