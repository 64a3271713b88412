"""Gzip for responses, sized to what is sent.

Litestar's own compression creates a ``GzipFile`` (a full 32 KB-window deflate
state, about 260 KB) for every request before it knows whether the answer is
worth compressing, and keeps it for as long as a stream stays open. On the scan
path that was a measurable share of each request's CPU, and with 500 live boards
it was most of the memory they held. Here:

* a whole answer (one body message) is compressed in one call, with a window no
  larger than the body (the output is the same as with the full window: deflate
  never looks further back than the data it has seen);
* a stream (``more_body``) gets a small-window compressor (4 KB window, about
  55 KB of state), flushed after every message so each event reaches the
  browser at once;
* answers smaller than ``minimum_size``, answers already encoded, and types
  that do not compress (images, archives) pass through untouched, with no
  compressor created;
* ``Vary: Accept-Encoding`` is set on whatever could have been compressed.
"""

from __future__ import annotations

import zlib
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Receive, Scope, Send

COMPRESSIBLE = ("text/", "application/json", "application/javascript", "application/xml",
                "application/manifest+json", "image/svg+xml", "application/x-ndjson")
STREAM_WINDOW_BITS, STREAM_MEM_LEVEL = 12, 6


def wants_gzip(scope: Any) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"accept-encoding":
            return b"gzip" in value.lower()
    return False


def compress_whole(body: bytes, level: int) -> bytes:
    """One gzip member for a complete body, with a window sized to it."""
    bits = max(9, min(15, (len(body) - 1).bit_length()))
    compressor = zlib.compressobj(level, zlib.DEFLATED, 16 + bits, 8 if bits > 12 else 6)
    return compressor.compress(body) + compressor.flush()


class GzipMiddleware:
    """ASGI middleware: gzip where the client accepts it and it pays."""

    def __init__(self, app: ASGIApp, *, minimum_size: int = 500, level: int = 6) -> None:
        self.app, self.minimum_size, self.level = app, minimum_size, level

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not wants_gzip(scope):  # type: ignore[comparison-overlap]
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, _Sender(send, self.minimum_size, self.level).send)


class _Sender:
    __slots__ = ("_level", "_minimum", "_next", "_plain", "_start", "_stream")

    def __init__(self, send: Send, minimum: int, level: int) -> None:
        self._next: Any = send  # plain dicts go through: typed as Any, like the messages
        self._minimum, self._level = minimum, level
        self._start: Any = None  # the held http.response.start
        self._stream: Any = None  # the compressor of a streamed answer
        self._plain = False  # passing through untouched

    async def send(self, message: Any) -> None:  # an ASGI message (a dict)
        kind = message["type"]
        if kind == "http.response.start":
            headers = MutableScopeHeaders(message)
            kind_of = headers.get("content-type", "")
            self._plain = ("content-encoding" in headers
                           or not kind_of.startswith(COMPRESSIBLE))
            if self._plain:
                await self._next(message)
            else:
                self._start = message
            return
        if kind != "http.response.body" or self._plain:
            await self._next(message)
            return
        body, more = message.get("body", b""), message.get("more_body", False)
        if self._start is not None:  # the first body message decides
            start, self._start = self._start, None
            headers = MutableScopeHeaders(start)
            headers.extend_header_value("vary", "Accept-Encoding")
            if more:
                self._stream = zlib.compressobj(self._level, zlib.DEFLATED,
                                                16 + STREAM_WINDOW_BITS, STREAM_MEM_LEVEL)
                headers["Content-Encoding"] = "gzip"
                del headers["Content-Length"]
            elif len(body) >= self._minimum:
                body = compress_whole(body, self._level)
                headers["Content-Encoding"] = "gzip"
                headers["Content-Length"] = str(len(body))
                message = {**message, "body": body}
            await self._next(start)
            if self._stream is None:
                await self._next(message)
                return
        if self._stream is None:  # a whole answer sent earlier: nothing more to encode
            await self._next(message)
            return
        data = self._stream.compress(body)
        data += self._stream.flush(zlib.Z_SYNC_FLUSH if more else zlib.Z_FINISH)
        if not more:
            self._stream = None  # the state's memory goes now, not with the connection
        await self._next({**message, "body": data})
