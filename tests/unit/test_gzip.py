"""app.web.gzip: gzip sized to the answer, streams flushed per message with a small state."""

from __future__ import annotations

import asyncio
import tracemalloc
import zlib
from typing import Any

from app.web.gzip import GzipMiddleware, _Sender

PAGE = ("<tr><td>Milk 3.2 %</td><td>2 of 4</td></tr>\n" * 60).encode()


def answer(content_type: str, *bodies: bytes, encoded: bool = False) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"content-type", content_type.encode())]
        if encoded:
            headers.append((b"content-encoding", b"br"))
        if len(bodies) == 1:
            headers.append((b"content-length", str(len(bodies[0])).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for i, body in enumerate(bodies):
            await send({"type": "http.response.body", "body": body,
                        "more_body": i < len(bodies) - 1})
    return app


def call(app: Any, accept: str = "gzip, deflate, br") -> tuple[dict[str, str], list[bytes]]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "headers": [(b"accept-encoding", accept.encode())] if accept else []}
    asyncio.run(GzipMiddleware(app)(scope, receive, send))
    start, *bodies = sent
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return headers, [b["body"] for b in bodies]


def test_a_whole_page_is_gzipped_with_its_length_and_vary() -> None:
    headers, [body] = call(answer("text/html; charset=utf-8", PAGE))
    assert headers["content-encoding"] == "gzip" and headers["vary"] == "Accept-Encoding"
    assert int(headers["content-length"]) == len(body) < len(PAGE) / 5
    assert zlib.decompress(body, 16 + 15) == PAGE


def test_small_answers_binary_types_and_encoded_bodies_pass_untouched() -> None:
    headers, [body] = call(answer("text/html", b"<p>ok</p>"))
    assert "content-encoding" not in headers and body == b"<p>ok</p>"
    assert headers["vary"] == "Accept-Encoding"  # it would have been compressed if larger
    for kind, encoded in (("image/jpeg", False), ("text/html", True)):
        headers, [body] = call(answer(kind, PAGE, encoded=encoded))
        assert body == PAGE and headers.get("content-encoding") in (None, "br")
        assert "vary" not in headers


def test_a_client_that_does_not_accept_gzip_gets_the_plain_body() -> None:
    headers, [body] = call(answer("text/html", PAGE), accept="")
    assert "content-encoding" not in headers and body == PAGE
    headers, [body] = call(answer("text/html", PAGE), accept="br")
    assert body == PAGE


def test_a_stream_arrives_message_by_message_through_a_small_window() -> None:
    events = [b"event: board\ndata: " + PAGE[: 300 + i * 700] + b"\n\n" for i in range(4)]
    headers, chunks = call(answer("text/event-stream", *events))
    assert headers["content-encoding"] == "gzip" and "content-length" not in headers
    reader = zlib.decompressobj(16 + 12)
    for event, chunk in zip(events, chunks, strict=True):
        assert reader.decompress(chunk) == event  # whole at once: flushed per message
    assert reader.eof


def test_an_open_stream_holds_a_small_compressor() -> None:
    """500 open boards held 500 full deflate states (about 260 KB each) before."""
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def open_stream() -> int:
        sender = _Sender(send, 500, 6)
        await sender.send({"type": "http.response.start", "status": 200,
                           "headers": [(b"content-type", b"text/event-stream")]})
        before = tracemalloc.get_traced_memory()[0]
        await sender.send({"type": "http.response.body", "body": PAGE, "more_body": True})
        return tracemalloc.get_traced_memory()[0] - before

    tracemalloc.start()
    try:
        held = asyncio.run(open_stream())
    finally:
        tracemalloc.stop()
    assert 20_000 < held < 80_000, held
    assert zlib.decompressobj(16 + 12).decompress(sent[-1]["body"]) == PAGE
