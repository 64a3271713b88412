"""The HMAC signature helpers shared by both directions of the OMS contract."""

from __future__ import annotations

import pytest

from sync.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    BadSignature,
    signature,
    signed_headers,
    verify,
)

SECRET = "s3cret"
BODY = b'{"event_id":"e-1","sequence":1}'
NOW = 1_800_000_000


def check(headers: dict[str, str], body: bytes = BODY, now: float = NOW, **kw: int) -> int:
    return verify(SECRET, timestamp=headers.get(TIMESTAMP_HEADER),
                  sig=headers.get(SIGNATURE_HEADER), body=body, now=now, **kw)


def test_a_correctly_signed_body_is_accepted_and_its_timestamp_returned() -> None:
    headers = signed_headers(SECRET, NOW, BODY)
    assert headers[SIGNATURE_HEADER].startswith("sha256=")
    assert check(headers) == NOW


def test_the_signature_covers_timestamp_and_body_byte_for_byte() -> None:
    assert signature(SECRET, NOW, BODY) != signature(SECRET, NOW + 1, BODY)
    assert signature(SECRET, NOW, BODY) != signature(SECRET, NOW, BODY + b" ")
    assert signature(SECRET, NOW, BODY) != signature("other", NOW, BODY)


def test_a_tampered_body_is_refused() -> None:
    headers = signed_headers(SECRET, NOW, BODY)
    with pytest.raises(BadSignature) as bad:
        check(headers, body=BODY.replace(b"1}", b"2}"))
    assert bad.value.field == SIGNATURE_HEADER


def test_another_secret_is_refused() -> None:
    with pytest.raises(BadSignature):
        check(signed_headers("not-the-secret", NOW, BODY))


@pytest.mark.parametrize("skew", [301, -301, 3600])
def test_a_timestamp_too_far_from_the_clock_is_refused(skew: int) -> None:
    headers = signed_headers(SECRET, NOW + skew, BODY)  # validly signed, but stale or early
    with pytest.raises(BadSignature) as bad:
        check(headers)
    assert bad.value.field == TIMESTAMP_HEADER


def test_skew_within_the_bound_is_accepted_and_the_bound_is_configurable() -> None:
    assert check(signed_headers(SECRET, NOW - 300, BODY)) == NOW - 300
    with pytest.raises(BadSignature):
        check(signed_headers(SECRET, NOW - 30, BODY), max_skew=10)


@pytest.mark.parametrize(("headers", "field"), [
    ({}, TIMESTAMP_HEADER),
    ({TIMESTAMP_HEADER: str(NOW)}, SIGNATURE_HEADER),
    ({TIMESTAMP_HEADER: "yesterday", SIGNATURE_HEADER: "sha256=00"}, TIMESTAMP_HEADER),
    ({TIMESTAMP_HEADER: str(NOW), SIGNATURE_HEADER: "md5=00"}, SIGNATURE_HEADER),
])
def test_missing_or_malformed_headers_name_the_header_at_fault(
        headers: dict[str, str], field: str) -> None:
    with pytest.raises(BadSignature) as bad:
        check(headers)
    assert bad.value.field == field
