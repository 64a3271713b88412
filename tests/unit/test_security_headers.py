"""The security headers hook: each header once, a response's own kept as it set it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from app.web.security import NONCE_KEY, add_security_headers


def scope(development: bool) -> Any:
    settings = SimpleNamespace(is_development=development)
    return {"state": {NONCE_KEY: "n0nce"},
            "litestar_app": SimpleNamespace(state=SimpleNamespace(settings=settings))}


async def test_each_header_once_and_a_responses_own_kept() -> None:
    message: Any = {"type": "http.response.start", "status": 200, "headers": [
        (b"content-type", b"text/html"), (b"referrer-policy", b"no-referrer")]}
    await add_security_headers(message, scope(development=False))
    names = [name for name, _ in message["headers"]]
    assert len(names) == len(set(names))
    headers = dict(message["headers"])
    assert headers[b"referrer-policy"] == b"no-referrer"  # the customer page's own
    assert b"'nonce-n0nce'" in headers[b"content-security-policy"]
    assert b"frame-ancestors 'none'" in headers[b"content-security-policy"]
    assert headers[b"x-frame-options"] == b"DENY"
    assert headers[b"strict-transport-security"].startswith(b"max-age=31536000")


async def test_development_has_no_hsts_and_a_body_is_left_alone() -> None:
    message: Any = {"type": "http.response.start", "status": 404}
    await add_security_headers(message, scope(development=True))
    assert b"strict-transport-security" not in dict(message["headers"])
    assert b"x-content-type-options" in dict(message["headers"])
    body: Any = {"type": "http.response.body", "body": b"x"}
    await add_security_headers(body, scope(development=True))
    assert "headers" not in body
