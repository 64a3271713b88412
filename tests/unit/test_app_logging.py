"""The app's log says what matters: httpx's line per request (every relay batch, marking
check and push) is not written at INFO beside the scans."""

from __future__ import annotations

import logging

from app.factory import create_app
from app.settings import Settings


def test_the_app_does_not_log_each_outgoing_request() -> None:
    httpx_log = logging.getLogger("httpx")
    httpx_log.setLevel(logging.NOTSET)
    root = logging.getLogger().level
    try:
        logging.getLogger().setLevel(logging.INFO)  # Litestar's default: INFO on
        assert httpx_log.isEnabledFor(logging.INFO)
        create_app(Settings.from_env({"STOREPICK_ENV": "development"}))
        assert not httpx_log.isEnabledFor(logging.INFO)
        assert httpx_log.isEnabledFor(logging.WARNING)
    finally:
        httpx_log.setLevel(logging.NOTSET)
        logging.getLogger().setLevel(root)
