"""The HMAC signature helpers shared by both directions of the OMS contract."""

from __future__ import annotations

import pytest

from sync.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    BadSignature,
    request_target,
    signature,
    signed_headers,
    signed_request_headers,
    verify,
    verify_request,
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


def check_request(headers: dict[str, str], method: str = "PUT",
                  target: bytes = b"/api/v1/stores/MSK-001/orders/W-1", body: bytes = BODY,
                  *, legacy: bool = False) -> tuple[int, bool]:
    return verify_request(SECRET, timestamp=headers.get(TIMESTAMP_HEADER),
                          sig=headers.get(SIGNATURE_HEADER), method=method, target=target,
                          body=body, now=NOW, accept_legacy=legacy)


def test_a_request_signature_covers_method_path_query_and_body() -> None:
    headers = signed_request_headers(SECRET, NOW, "put", "/api/v1/stores/MSK-001/orders/W-1",
                                     BODY)
    assert headers[SIGNATURE_HEADER].startswith("v2=")
    assert check_request(headers) == (NOW, False)
    for method, target, body in [("POST", b"/api/v1/stores/MSK-001/orders/W-1", BODY),
                                 ("PUT", b"/api/v1/stores/MSK-001/orders/W-2", BODY),
                                 ("PUT", b"/api/v1/stores/MSK-001/orders/W-1?x=1", BODY),
                                 ("PUT", b"/api/v1/stores/MSK-001/orders/W-1", BODY + b" ")]:
        with pytest.raises(BadSignature):
            check_request(headers, method, target, body)


def test_the_signed_target_is_the_path_as_sent_with_its_query() -> None:
    url = "http://store.local:8000/api/v1/stores/MSK-001/orders/Заказ 1?a=1"
    sent = signed_request_headers(SECRET, NOW, "GET", url, b"")
    target = request_target(b"/api/v1/stores/MSK-001/orders/%D0%97%D0%B0%D0%BA%D0%B0%D0%B7%201",
                            b"a=1")
    assert check_request(sent, "GET", target, b"") == (NOW, False)


def test_old_style_signatures_pass_only_when_the_transition_allows_them() -> None:
    headers = signed_headers(SECRET, NOW, BODY)
    assert check_request(headers, legacy=True) == (NOW, True)
    with pytest.raises(BadSignature) as bad:
        check_request(headers)
    assert "no longer accepted" in bad.value.message


def test_the_simulator_signs_method_and_path() -> None:
    import anyio
    import httpx

    from sync.simulator import OrderPusher

    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    async def one_call() -> None:
        pusher = OrderPusher("http://store.local", "MSK-001", SECRET, every=1)
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
            await pusher.call(http, "POST", "/orders/W-1/cancel", {"reason": "x"})

    anyio.run(one_call)
    request = seen[0]
    assert request.headers[SIGNATURE_HEADER].startswith("v2=")
    _sent_at, legacy = verify_request(
        SECRET, timestamp=request.headers[TIMESTAMP_HEADER],
        sig=request.headers[SIGNATURE_HEADER], method="POST",
        target=request_target(request.url.raw_path), body=request.content,
        now=int(request.headers[TIMESTAMP_HEADER]))
    assert not legacy
