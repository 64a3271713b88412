"""HTTPS with a self-signed certificate, for phones in a store's network."""

from __future__ import annotations

import shutil
import ssl
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from app.factory import create_app
from app.settings import Settings
from app.tls import self_signed
from tests.support.postgres import free_port

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")


def test_the_certificate_is_made_once_and_reused(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path, ["127.0.0.1"])
    first = cert.read_bytes()
    assert b"BEGIN CERTIFICATE" in first and key.stat().st_mode & 0o077 == 0
    assert self_signed(tmp_path, ["127.0.0.1"])[0].read_bytes() == first


def test_the_app_serves_https_that_a_phone_trusting_the_certificate_accepts(
        tmp_path: Path, sqlite_url: str) -> None:
    cert, key = self_signed(tmp_path, ["127.0.0.1"])
    port = free_port()
    config = uvicorn.Config(create_app(Settings(environment="development",
                                                database_url=sqlite_url, run_relay=False)),
                            host="127.0.0.1", port=port, log_level="warning",
                            ssl_certfile=str(cert), ssl_keyfile=str(key))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.02)
        phone_trust = ssl.create_default_context(cafile=str(cert))
        trusted = httpx.get(f"https://127.0.0.1:{port}/healthz", verify=phone_trust)
        assert trusted.status_code == 200
        with pytest.raises(httpx.ConnectError):  # without the certificate: not trusted
            httpx.get(f"https://127.0.0.1:{port}/healthz")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
