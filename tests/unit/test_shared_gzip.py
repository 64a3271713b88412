"""Board streams compressed once for every board (app.web.shared_gzip).

Every stream's body must be one valid gzip member whatever mix it got: shared
segments, things of its own (its first board, keep-alives), joining late, falling
out of step. Read here as a browser reads it: incrementally, and whole (CRC and
length checked by ``gzip.decompress``).
"""

from __future__ import annotations

import gzip
import random
import zlib

from app.web.shared_gzip import Encoder, Shared, sse


def change(n: int) -> bytes:
    rows = "".join(f'<tr id="order-row-{n * 7 + k}"><td>T-{n:05d}</td><td>{k} of 9</td></tr>'
                   for k in range(3))
    return sse(data=f'<template>{rows}<span id="counts">{n}</span></template>', event="board",
               id=f"e.{n}")


def test_streams_in_step_send_the_same_bytes_compressed_once() -> None:
    history = Shared()
    a, b = Encoder(gzip=True), Encoder(gzip=True)
    bodies = [a.own(sse(comment="hello")), b.own(sse(comment="hello"))]
    sent_a, sent_b = [], []
    for n in range(20):
        segment = history.segment(change(n))
        sent_a.append(a.shared(segment))
        sent_b.append(b.shared(segment))
    assert history.compressed == 20
    # Both fell in step at the first segment (right after the history's reset) and stayed.
    assert sent_a[1:] == sent_b[1:]
    assert all(x is y for x, y in zip(sent_a[1:], sent_b[1:], strict=True))  # not even copied
    # ...and in step the change costs far less than compressed on its own.
    assert len(sent_a[-1]) < len(gzip.compress(change(19))) / 3
    for body, sent in ((bodies[0], sent_a), (bodies[1], sent_b)):
        whole = body + b"".join(sent) + a.end()
        assert gzip.decompress(whole) == sse(comment="hello") + b"".join(
            change(n) for n in range(20))


def test_any_mix_of_late_joins_own_messages_and_missed_changes_reads_back_exactly() -> None:
    rng = random.Random(7)
    history, in_step, sent = Shared(), 0, 0
    streams: list[tuple[Encoder, list[bytes], list[bytes], zlib._Decompress]] = []
    for n in range(300):
        if rng.random() < 0.08 or not streams:  # a board opens: its own first message
            encoder = Encoder(gzip=True)
            first = sse(comment="hello") + sse(data=f"whole board {n}", event="board")
            streams.append((encoder, [encoder.own(first)], [first],
                            zlib.decompressobj(16 + zlib.MAX_WBITS)))
        segment = history.segment(change(n))
        for encoder, wire, plain, _inflate in streams:
            if rng.random() < 0.05:  # a keep-alive or a whole board of its own in between
                own = sse(comment="keep-alive")
                wire.append(encoder.own(own))
                plain.append(own)
            if rng.random() < 0.03:
                continue  # this board missed this change (it was given the whole board)
            wire.append(encoder.shared(segment))
            plain.append(segment.plain)
            in_step += wire[-1] is segment.data
            sent += 1
        for _encoder, wire, plain, inflate in streams:  # what each browser has read so far
            got = b"".join(inflate.decompress(w) for w in wire)
            wire.clear()
            expected = b"".join(plain)
            plain.clear()
            assert got == expected
    for encoder, _wire, _plain, inflate in streams:
        inflate.decompress(encoder.end())
        assert inflate.eof and not inflate.unused_data  # CRC and length matched
    assert history.compressed == 300
    # A stream out of step asks for a reset and is back in step at the next change.
    assert in_step / sent > 0.8, (in_step, sent)


def test_a_whole_stream_is_one_gzip_member_and_plain_without_gzip() -> None:
    history = Shared()
    zipped, plain = Encoder(gzip=True), Encoder(gzip=False)
    hello = sse(comment="hello", retry=3000)
    body_z, body_p = [zipped.own(hello)], [plain.own(hello)]
    for n in range(5):
        segment = history.segment(change(n))
        body_z.append(zipped.shared(segment))
        body_p.append(plain.shared(segment))
    body_z.append(zipped.end())
    body_p.append(plain.end())
    assert gzip.decompress(b"".join(body_z)) == b"".join(body_p)
    assert b"".join(body_p).startswith(b": hello\r\nretry: 3000\r\n\r\n")


def test_sse_frames_every_line_of_data() -> None:
    assert sse(data="a\nb", event="board", id="x.1") == (
        b"id: x.1\r\nevent: board\r\ndata: a\r\ndata: b\r\n\r\n")
    assert sse(comment="keep-alive") == b": keep-alive\r\n\r\n"
    # A line separator that is not a line break in SSE stays inside its data line.
    assert sse(data="Молоко\u2028 2,5%") == "data: Молоко\u2028 2,5%\r\n\r\n".encode()


def test_a_board_that_sent_something_of_its_own_is_in_step_at_the_next_change() -> None:
    history = Shared()
    steady, opening = Encoder(gzip=True, history=history), Encoder(gzip=True, history=history)
    steady.own(sse(comment="hello"))
    for n in range(3):
        steady.shared(history.segment(change(n)))
    opening.own(sse(data="the whole board", event="board"))  # a board opens
    segment = history.segment(change(3))
    assert segment.number == 0  # its first board asked the history to reset
    assert opening.shared(segment) is segment.data and steady.shared(segment) is segment.data


def test_a_stream_never_takes_another_history_for_its_own() -> None:
    """Histories restart (a language's last board closed, a feed restarted); their
    numbering must not let a stream take a new history's bytes as the next of its old."""
    old, new = Shared(), Shared()
    encoder = Encoder(gzip=True)
    body = [encoder.own(sse(comment="hello"))]
    body += [encoder.shared(old.segment(change(n))) for n in range(3)]
    new.segment(change(90))  # the new history's number 0, sent to others
    later = new.segment(change(91))  # number 1, as this stream's next of the old one
    body.append(encoder.shared(later))
    assert body[-1] is not later.data
    assert gzip.decompress(b"".join(body) + encoder.end()).endswith(change(91))
