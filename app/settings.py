"""One frozen settings object, read from the environment once, passed to create_app.

Secrets fail closed: the public development secrets are used only in the explicit
development mode (``STOREPICK_ENV=development``, which ``make run`` and the tests set, or
``Settings(environment="development")`` in code). Any other mode, or none at all (the Docker
image), refuses to start unless ``STOREPICK_SECRET_KEY`` and ``STOREPICK_OMS_SECRET`` hold real
secrets, and the error names the variable that is missing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-secret-change-me-0123456789abcdef"
DEV_OMS_SECRET = "dev-oms-secret"
DEVELOPMENT = "development"
MIN_SECRET_LENGTH = 32
LEGACY_SIGNATURES_UNTIL = date(2027, 3, 1)
"""End of the transition to method-and-path signatures (README, "The OMS contract")."""
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{ROOT / 'var' / 'storepick.db'}"


class SettingsError(ValueError):
    """The environment cannot start the app; the message names the variable to set."""


def database_url_from_env(env: dict[str, str] | None = None) -> str:
    """``DATABASE_URL`` with PostgreSQL URLs given the asyncpg driver (no secrets needed)."""
    env = dict(os.environ if env is None else env)
    url = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+asyncpg://" + url.split("://", 1)[1]
    return url


def public_base_url_from_env(value: str | None) -> str | None:
    """``STOREPICK_PUBLIC_BASE_URL``: an absolute http(s) URL, or None when unset or empty.

    Raises SettingsError for anything else (a customer link must open on a phone).
    """
    if value is None or not value.strip():
        return None
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise SettingsError(
            f"STOREPICK_PUBLIC_BASE_URL must be the address customers' phones open, such as "
            f"http://192.168.1.20:8000 or https://shop.example; got {value!r}")
    return url


def _flag(value: str | None) -> bool | None:
    """``1``/``0`` (also true/false, yes/no, on/off); unset or empty: None."""
    if value is None or not value.strip():
        return None
    word = value.strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"expected 1 or 0, got {value!r}")


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    # "development" allows the public dev secrets; anything else needs real ones.
    environment: str = "production"
    secret_key: str = ""  # empty: the dev secret in development, refused otherwise
    oms_shared_secret: str = ""
    oms_events_url: str | None = None
    oms_batch_url: str | None = None  # optional OMS endpoint taking several orders' events
    oms_max_skew_seconds: int = 300  # signed OMS requests older or newer are refused
    # Body-only ``sha256=`` signatures on /api/v1 are accepted before this day (UTC) only;
    # None refuses them (STOREPICK_OMS_LEGACY_SIGNATURES_UNTIL=off).
    oms_legacy_signatures_until: date | None = LEGACY_SIGNATURES_UNTIL
    debug: bool = False
    secure_cookies: bool | None = None  # None: Secure everywhere but development
    session_hours: int = 12
    max_upload_bytes: int = 15 * 1024 * 1024
    data_dir: Path = ROOT / "var"  # delivery proof photos live under data_dir/proofs
    substitution_window_minutes: int = 10  # 0: open until the picker finishes the order
    # An empty shelf ("not on the shelf", "out of stock") marks the product likely out
    # in the store this long, unless a good scan clears it sooner (issue 15).
    likely_out_minutes: int = 120
    # Base of customer links (SubstitutionProposed). None: the scheme and host the staff
    # member's own request used (app.web.deps.public_base_url); `make run` sets the LAN address.
    public_base_url: str | None = None
    substitution_expiry_seconds: float = 15.0  # how often the expiry task looks
    run_relay: bool = True
    # Freeze the long-lived heap out of the cyclic collector's sight (app/heap.py): on for a
    # served app (STOREPICK_SETTLE_HEAP=0 turns it off), off for apps built in tests.
    settle_heap: bool = False
    # The in-app relay's tuning (the same STOREPICK_RELAY_* variables as ``python -m sync``).
    relay_timeout_seconds: float = 10.0
    relay_max_attempts: int = 25
    relay_lease_seconds: float = 60.0
    relay_backoff_base: float = 1.0
    relay_linger_seconds: float = 0.05  # a busy moment's events travel together
    # Reverse proxies whose X-Forwarded-For / Forwarded headers are believed (app/proxies.py).
    trusted_proxies: str = ""
    live_keepalive_seconds: float = 15.0  # a comment line on every open live stream
    live_max_seconds: float = 3600.0  # a stream then ends and the browser reconnects
    # The Честный ЗНАК code check at the scan (app/marking.py): off when neither URL is set.
    marking_check_url: str | None = None  # the national system's codes/check
    marking_local_url: str | None = None  # the store's local module, same shape
    marking_token: str = ""
    marking_policy: str = "allow"  # no answer at all: allow and re-check, or refuse
    marking_budget_seconds: float = 1.0  # the most a scan waits for the check
    # Staff Web Push (app/push.py): the VAPID contact, and how long one push may take.
    push_subject: str = "mailto:it@storepick.invalid"
    push_timeout_seconds: float = 5.0
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.is_development:
            if not self.secret_key:
                object.__setattr__(self, "secret_key", DEV_SECRET)
            if not self.oms_shared_secret:
                object.__setattr__(self, "oms_shared_secret", DEV_OMS_SECRET)
        else:
            _require_secret("STOREPICK_SECRET_KEY", self.secret_key, DEV_SECRET,
                            self.environment)
            _require_secret("STOREPICK_OMS_SECRET", self.oms_shared_secret, DEV_OMS_SECRET,
                            self.environment)
        from app.proxies import parse_networks

        try:
            parse_networks(self.trusted_proxies)
        except ValueError as exc:
            raise SettingsError(f"STOREPICK_TRUSTED_PROXIES: {exc}") from exc
        if self.marking_policy not in ("allow", "refuse"):
            raise SettingsError("STOREPICK_MARKING_POLICY must be allow or refuse, "
                                f"got {self.marking_policy!r}")
        if self.secure_cookies is None:
            object.__setattr__(self, "secure_cookies", not self.is_development)

    @property
    def is_development(self) -> bool:
        return self.environment == DEVELOPMENT

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Build settings from ``STOREPICK_*`` variables and ``DATABASE_URL``.

        Raises SettingsError (naming the variable) when a mode other than development
        lacks a real secret.
        """
        env = dict(os.environ if env is None else env)
        return cls(
            database_url=database_url_from_env(env),
            environment=env.get("STOREPICK_ENV", "").strip() or "production",
            secret_key=env.get("STOREPICK_SECRET_KEY", ""),
            oms_shared_secret=env.get("STOREPICK_OMS_SECRET", ""),
            oms_events_url=env.get("STOREPICK_OMS_EVENTS_URL") or None,
            oms_batch_url=env.get("STOREPICK_OMS_BATCH_URL") or None,
            debug=env.get("STOREPICK_DEBUG", "") == "1",
            secure_cookies=_flag(env.get("STOREPICK_SECURE_COOKIES")),
            run_relay=env.get("STOREPICK_RUN_RELAY", "1") != "0",
            settle_heap=env.get("STOREPICK_SETTLE_HEAP", "1") != "0",
            data_dir=Path(env.get("STOREPICK_DATA_DIR") or ROOT / "var"),
            public_base_url=public_base_url_from_env(env.get("STOREPICK_PUBLIC_BASE_URL")),
            trusted_proxies=env.get("STOREPICK_TRUSTED_PROXIES", ""),
            push_subject=env.get("STOREPICK_PUSH_SUBJECT") or "mailto:it@storepick.invalid",
            push_timeout_seconds=_number(env, "STOREPICK_PUSH_TIMEOUT", 5.0),
            relay_timeout_seconds=_number(env, "STOREPICK_RELAY_TIMEOUT", 10.0),
            relay_max_attempts=int(_number(env, "STOREPICK_RELAY_MAX_ATTEMPTS", 25)),
            relay_lease_seconds=_number(env, "STOREPICK_RELAY_LEASE", 60.0),
            relay_backoff_base=_number(env, "STOREPICK_RELAY_BACKOFF_BASE", 1.0),
            relay_linger_seconds=_number(env, "STOREPICK_RELAY_LINGER", 0.05,
                                         zero=True),
            substitution_window_minutes=int(env.get("STOREPICK_SUBSTITUTION_WINDOW_MINUTES", "10")),
            likely_out_minutes=int(env.get("STOREPICK_LIKELY_OUT_MINUTES", "120")),
            oms_legacy_signatures_until=_until(env.get("STOREPICK_OMS_LEGACY_SIGNATURES_UNTIL")),
            marking_check_url=env.get("STOREPICK_MARKING_URL") or None,
            marking_local_url=env.get("STOREPICK_MARKING_LOCAL_URL") or None,
            marking_token=env.get("STOREPICK_MARKING_TOKEN", ""),
            marking_policy=env.get("STOREPICK_MARKING_POLICY", "").strip() or "allow",
            marking_budget_seconds=_number(env, "STOREPICK_MARKING_BUDGET", 1.0),
        )


def _until(value: str | None) -> date | None:
    """``off``/``0``: None (refused now); a ``YYYY-MM-DD`` day; unset: the default day."""
    if value is None or not value.strip():
        return LEGACY_SIGNATURES_UNTIL
    word = value.strip().lower()
    if word in ("off", "0", "no", "false"):
        return None
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise SettingsError("STOREPICK_OMS_LEGACY_SIGNATURES_UNTIL: expected off or a day "
                            f"like 2027-03-01, got {value!r}") from None


def _number(env: dict[str, str], variable: str, default: float, *,
            zero: bool = False) -> float:
    """A positive number (or 0 too, when ``zero``: "none") from ``variable``."""
    raw = env.get(variable, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{variable} must be a number, got {raw!r}") from None
    if value < 0 or (value == 0 and not zero) or value != value:
        least = "0 or more" if zero else "more than 0"
        raise SettingsError(f"{variable} must be {least}, got {raw!r}")
    return value


def _require_secret(variable: str, value: str, dev_value: str, environment: str) -> None:
    mode = f"STOREPICK_ENV={environment!r}" if environment != "production" else "production"
    hint = (f"{variable} must be set to a secret of at least {MIN_SECRET_LENGTH} characters "
            f"(mode: {mode}; only STOREPICK_ENV=development runs with the public dev secrets)")
    if not value or value == dev_value or value in (DEV_SECRET, DEV_OMS_SECRET):
        raise SettingsError(f"{variable} is not set. {hint}")
    if len(value) < MIN_SECRET_LENGTH:
        raise SettingsError(f"{variable} is too short. {hint}")
