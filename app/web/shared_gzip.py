"""Event streams compressed once for every board that shows the same thing (issue #17, item 2).

A change goes out to every open board of a store in the same words, but each
gzip stream used to compress it again: with a hundred boards, compressing and
framing the same text a hundred times was most of what a change cost the
server. Here one deflate history per store and language (``Shared``) compresses
each change once, and every stream that has received all of that history's
segments since its last reset sends those very bytes. Deflate refers back only
to text the decoder has seen, so a stream may take a shared segment only when
its own decoder holds the same history; a stream that is not in step (a new
board, or one sent something of its own: its first board, a catch-up, a
keep-alive) gets that change compressed on its own, and asks the history to
reset, after which it is in step again. A reset (``Z_FULL_FLUSH``) forgets the
history, so the segment that follows can be read by any decoder.

Each stream keeps the CRC-32 and length of what it sent, and ends with an empty
final block and the gzip trailer, so the body is one valid gzip member.
"""

from __future__ import annotations

import itertools
import struct
import zlib
from dataclasses import dataclass

from litestar.response.sse import ServerSentEventMessage

from app.web.gzip import STREAM_MEM_LEVEL, STREAM_WINDOW_BITS

LEVEL = 6
HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # gzip, deflate, no name, no time
LAST_BLOCK = b"\x03\x00"  # an empty final block (fixed Huffman), after a flush
_epochs = itertools.count(1)  # unique across histories: a stream never mistakes one for another


def sse(*, data: str | None = None, event: str | None = None, id: str | None = None,
        comment: str | None = None, retry: int | None = None) -> bytes:
    """One server-sent event in its wire form, as Litestar frames it (a line break in
    ``data`` starts another ``data:`` line; only CR, LF and CRLF break lines in SSE)."""
    return ServerSentEventMessage(data=data, event=event, id=id, comment=comment,
                                  retry=retry).encode()


def _deflate() -> zlib._Compress:
    return zlib.compressobj(LEVEL, zlib.DEFLATED, -STREAM_WINDOW_BITS, STREAM_MEM_LEVEL)


def alone(plain: bytes) -> bytes:
    """``plain`` compressed without any history, ending on a byte (readable after any flush)."""
    deflate = _deflate()
    return deflate.compress(plain) + deflate.flush(zlib.Z_SYNC_FLUSH)


@dataclass(frozen=True, slots=True)
class Segment:
    """One change in its wire form, and compressed once in its history's turn."""

    history: Shared
    epoch: int  # which run of which history since a reset
    number: int  # its place in that run: 0 right after a reset, readable by anyone
    plain: bytes
    data: bytes


class Shared:
    """One deflate history, continued by each change (see the module's docstring)."""

    def __init__(self) -> None:
        self._deflate = _deflate()
        self.epoch, self.number = 0, -1
        self.reset_asked = True
        self.compressed = 0  # segments compressed, for tests

    def segment(self, plain: bytes) -> Segment:
        head = b""
        if self.reset_asked:
            head = self._deflate.flush(zlib.Z_FULL_FLUSH)  # forget what came before
            self.epoch, self.number, self.reset_asked = next(_epochs), 0, False
        else:
            self.number += 1
        self.compressed += 1
        data = head + self._deflate.compress(plain) + self._deflate.flush(zlib.Z_SYNC_FLUSH)
        return Segment(self, self.epoch, self.number, plain, data)


class Encoder:
    """One stream's body: gzip (shared segments while in step) or, without gzip, plain.

    ``history`` is the one whose changes this stream will get: whatever the stream
    sends of its own asks it to reset, so the stream is in step from the next change."""

    __slots__ = ("_crc", "_epoch", "_next", "_size", "_started", "gzip", "history")

    def __init__(self, gzip: bool, history: Shared | None = None) -> None:
        self.gzip, self.history = gzip, history
        self._crc = self._size = 0
        self._started = False
        self._epoch: int | None = None  # the history this stream is in step with, if any
        self._next = 0

    def own(self, plain: bytes) -> bytes:
        """Something for this stream only: compressed on its own; out of step after it."""
        if not self.gzip:
            return plain
        self._epoch = None
        if self.history is not None:
            self.history.reset_asked = True
        return self._head() + self._count(plain, alone(plain))

    def shared(self, segment: Segment) -> bytes:
        """A change every board gets: the shared bytes when this stream can read them."""
        if not self.gzip:
            return segment.plain
        if segment.number == 0 or (self._epoch == segment.epoch
                                   and self._next == segment.number):
            self._epoch, self._next = segment.epoch, segment.number + 1
            self._count(segment.plain, segment.data)
            return (HEADER + segment.data) if self._first() else segment.data  # not copied
        self._epoch = None
        segment.history.reset_asked = True  # the next change can be read by this one too
        return self._head() + self._count(segment.plain, alone(segment.plain))

    def end(self) -> bytes:
        """The close of the gzip member: an empty last block, the CRC and the length."""
        if not self.gzip:
            return b""
        return self._head() + LAST_BLOCK + struct.pack("<II", self._crc, self._size & 0xFFFFFFFF)

    def _head(self) -> bytes:
        return HEADER if self._first() else b""

    def _first(self) -> bool:
        first, self._started = not self._started, True
        return first

    def _count(self, plain: bytes, data: bytes) -> bytes:
        self._crc = zlib.crc32(plain, self._crc)
        self._size += len(plain)
        return data
