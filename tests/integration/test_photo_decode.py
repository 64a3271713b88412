"""app.photo_decode against generated phone photos of every code a store uses."""

from __future__ import annotations

import io
import struct
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

import anyio
import numpy as np
import pytest
from PIL import Image

from app import photo_decode
from app.photo_decode import (
    MAX_PHOTO_BYTES,
    DecodedSymbol,
    PhotoReading,
    PhotoRejected,
    decode_photo,
    decode_photo_async,
    decode_zxing,
    load_photo,
    read_photo,
    read_photo_async,
)
from benchmarks.decode_legacy import decode_photo_legacy
from picking.codes import ScannedCode, interpret
from tests.support import barcode_images as bi

GS = "\x1d"
SERIAL = "5Ab+cD'e7FgH1"
SIGNATURE = "dGVzdC1zaWduYXR1cmUtZm9yLXN0b3JlcGljazEyMzQ="
MARKING = "0104601234567893" + "21" + SERIAL + GS + "91EE10" + GS + "92" + SIGNATURE
PHONE = (1600, 1200)


def photo(symbol: Image.Image, seed: int = 1, **options: Any) -> bytes:
    """A JPEG phone photo of ``symbol``: slightly turned, on a shelf-like background."""
    options = {"rotation": 4, "noise": 4, "place_in": PHONE, **options}
    return bi.to_jpeg_bytes(bi.degrade(symbol, seed=seed, **options), quality=88)


def only(symbols: list[DecodedSymbol]) -> DecodedSymbol:
    assert len(symbols) == 1, symbols
    return symbols[0]


def read(data: bytes) -> ScannedCode:
    """The one code in the photo, interpreted as a scan."""
    return interpret(only(decode_photo(data)).text)


# --- every format ------------------------------------------------------------------------


def test_an_ean13_photo_gives_its_gtin() -> None:
    symbol = only(decode_photo(photo(bi.ean13_image("4601234567893"))))
    assert (symbol.text, symbol.symbology) == ("4601234567893", "EAN13")
    assert interpret(symbol.text).gtin == "04601234567893"


def test_a_russian_scale_label_photo_gives_plu_and_grams() -> None:
    code = read(photo(bi.ean13_image("2212345012503")))
    assert (code.kind, code.plu, code.weight_g) == ("scale_label", "12345", 1250)


def test_an_ean8_photo_gives_its_gtin() -> None:
    assert read(photo(bi.ean8_image("96385074"))).gtin == "00000096385074"


def test_a_upca_photo_compares_as_14_digits() -> None:
    assert read(photo(bi.upca_image("036000291452"))).gtin == "00036000291452"


def test_a_upce_photo_is_reported_as_upce_in_its_expanded_form() -> None:
    symbol = only(decode_photo(photo(bi.upce_image("01234565", module_px=4))))
    assert symbol.symbology == "UPCE"
    assert interpret(symbol.text).gtin == "00012345000065"


def test_a_blurred_ean13_that_zxing_takes_for_a_upce_is_read_whole() -> None:
    data = photo(bi.ean13_image("2212345012503"), seed=2, rotation=-35, scale=1.1)
    misread = only(decode_zxing(load_photo(data)))  # the trap STACK.md warns about
    assert (misread.symbology, misread.text) == ("UPCE", "0121234000052")
    assert only(decode_photo(data)).text == "2212345012503"


def test_a_strongly_blurred_scale_label_misread_as_a_upce_once_is_not_reported() -> None:
    """zbar reads this blurred EAN-13 weight label as a UPC-E whose check digit passes
    ('0038200007215'); read once, it must not be reported as what the photo shows."""
    from benchmarks.decode import content_key, make_photos

    (blurred,) = [p for p in make_photos(("strong_blur",), (1,)) if p.fmt == "scale_label"]
    reading = read_photo(blurred.data)
    assert all(content_key(s.text) == blurred.expected for s in reading.symbols), \
        reading.symbols
    assert reading.symbols or reading.problem is not None  # the picker is told why


def test_a_code128_photo_gives_its_text() -> None:
    symbol = only(decode_photo(photo(bi.code128_image("ST-4471-A"))))
    assert (symbol.text, symbol.symbology) == ("ST-4471-A", "CODE128")


def test_a_gs1_128_photo_is_flagged_gs1_and_gives_the_weight() -> None:
    symbol = only(decode_photo(photo(bi.gs1_128_image("0109521234543213" + "3103000123"))))
    assert (symbol.text, symbol.symbology) == ("]C101095212345432133103000123", "GS1_128")
    code = interpret(symbol.text)
    assert (code.gtin, code.weight_g) == ("09521234543213", 123)


def test_a_gs1_128_photo_with_expiry_and_batch() -> None:
    code = read(photo(bi.gs1_128_image("0109501101530003" + "17250200" + "10ABC123"), seed=2))
    assert (code.gtin, code.batch, code.expiry.isoformat() if code.expiry else None) == (
        "09501101530003",
        "ABC123",
        "2025-02-28",
    )


def test_a_databar_expanded_photo_gives_gtin_and_weight() -> None:
    symbol = only(decode_photo(photo(bi.databar_expanded_image("0109501101530003" + "3103001250"))))
    code = interpret(symbol.text)
    assert (symbol.symbology, code.gtin, code.weight_g) == ("DATABAR_EXP", "09501101530003", 1250)


def test_an_itf14_photo_of_a_case_gives_its_gtin14() -> None:
    symbol = only(decode_photo(photo(bi.itf14_image("15400141288763"))))
    assert (symbol.symbology, interpret(symbol.text).gtin) == ("ITF14", "15400141288763")


def test_a_qr_photo_gives_its_text() -> None:
    symbol = only(decode_photo(photo(bi.qr_image("https://storepick.example/p/17"))))
    assert (symbol.text, symbol.symbology) == ("https://storepick.example/p/17", "QR")


def test_a_chestny_znak_datamatrix_round_trips_through_interpret() -> None:
    symbol = only(decode_photo(photo(bi.gs1_datamatrix_image(MARKING, module_px=5))))
    assert symbol.symbology == "GS1_DATAMATRIX"
    assert symbol.text == "]d2" + MARKING
    code = interpret(symbol.text)
    assert (code.is_marking, code.serial, code.gtin, code.raw) == (
        True,
        SERIAL,
        "04601234567893",
        MARKING,
    )


def test_a_pack_with_an_ean13_and_a_marking_gives_both() -> None:
    pack = Image.new("L", (900, 420), 255)
    pack.paste(bi.ean13_image("4601234567893"), (20, 60))
    pack.paste(bi.gs1_datamatrix_image(MARKING, module_px=5), (560, 60))
    kinds = sorted(interpret(s.text).kind for s in decode_photo(photo(pack)))
    assert kinds == ["gtin", "marking"]


# --- phone-photo trouble ------------------------------------------------------------------


def test_a_rotated_blurred_jpeg_is_read() -> None:
    data = photo(bi.ean13_image("4601234567893"), rotation=-30, blur=1.2, jpeg_quality=60, seed=3)
    assert read(data).gtin == "04601234567893"


def test_a_small_barcode_in_a_12_megapixel_frame_is_read() -> None:
    data = photo(
        bi.ean13_image("2212345012503"), scale=2.0, blur=1.0, place_in=(4000, 3000), seed=4
    )
    assert read(data).plu == "12345"


def test_a_photo_with_exif_orientation_6_is_turned_upright() -> None:
    upright = bi.degrade(bi.ean13_image("4601234567893"), rotation=2, place_in=(1200, 1600), seed=5)
    data = bi.to_jpeg_bytes(upright, exif_orientation=6)
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.size == (1600, 1200)  # stored sideways, as phones do
    assert load_photo(data).size == (1200, 1600)
    assert read(data).gtin == "04601234567893"


def test_a_blank_photo_gives_nothing() -> None:
    blank = Image.new("L", (10, 10), 255)
    assert decode_photo(photo(blank, rotation=0)) == []


# --- blur, the deadline, and saying why ----------------------------------------------------

LONG = 60_000
"""A budget no test photo reaches: the deadline is tested on its own below."""


def out_of_focus(seed: int = 25, blur: float = 2.0) -> bytes:
    """An EAN-13 photographed out of focus: a Gaussian of 2/3 of a module."""
    return photo(bi.ean13_image("4601234567893"), blur=blur, rotation=3, seed=seed)


def test_a_strongly_blurred_ean13_the_whole_frame_cascade_missed_now_reads() -> None:
    data = out_of_focus()
    assert decode_photo_legacy(data) == []  # the decoder this one replaced
    reading = read_photo(data, budget_ms=LONG)
    assert [s.text for s in reading.symbols] == ["4601234567893"]
    assert reading.problem is None


def test_the_deadline_stops_the_search_and_asks_for_a_retake() -> None:
    data = out_of_focus()  # readable, but only by the heavy steps on the crop
    assert read_photo(data, budget_ms=0) == PhotoReading([], "blurred")
    assert read_photo(data, budget_ms=LONG).symbols


def test_a_huge_noisy_photo_gives_a_retake_answer_not_a_hang() -> None:
    rng = np.random.default_rng(7)
    noise = Image.fromarray(rng.integers(0, 256, (4000, 6000), dtype=np.uint8), "L")
    data = bi.to_jpeg_bytes(noise, quality=60)
    reading = read_photo(data)  # the default deadline
    assert reading.symbols == []
    assert reading.problem in ("blurred", "no_code")


def test_a_photo_too_blurred_to_read_says_blurred() -> None:
    reading = read_photo(out_of_focus(seed=2, blur=3.5), budget_ms=LONG)
    assert reading == PhotoReading([], "blurred")


def test_a_dark_photo_says_too_dark() -> None:
    data = photo(bi.ean13_image("4601234567893"), low_light=0.93, noise=12, seed=3)
    assert read_photo(data, budget_ms=LONG) == PhotoReading([], "dark")


def test_a_blank_photo_says_no_code() -> None:
    blank = Image.new("L", (10, 10), 255)
    assert read_photo(photo(blank, rotation=0), budget_ms=LONG) == PhotoReading([], "no_code")


def test_a_restored_code_counts_only_when_two_restorations_agree(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Undoing a blur makes up edges: one restored profile that reads is not enough."""
    bars = np.asarray(bi.ean13_image("4601234567893"), dtype=np.float32)
    profile = bars[bars.shape[0] // 3]
    monkeypatch.setattr(photo_decode.photo_restore, "bar_profiles", lambda *_: [profile])
    search = photo_decode._Search(Image.new("L", (64, 64), 255))

    def reads(restorations: tuple[tuple[str, float], ...]) -> list[str]:
        monkeypatch.setattr(photo_decode, "_RESTORATIONS", restorations)
        found = []
        region = photo_decode.photo_restore.Region((0, 0, 64, 64), 0.0, 1.0)
        for step in search._restored(region):
            found += [symbol.text for symbol in step()]
        return found

    assert reads((("none", 0.0),)) == []
    assert reads((("none", 0.0), ("gauss", 0.5))) == ["4601234567893"]


def test_the_async_reading_gives_the_same_result() -> None:
    data = out_of_focus(seed=2, blur=3.5)
    assert anyio.run(read_photo_async, data) == read_photo(data)


def test_a_png_with_transparency_is_read_on_white() -> None:
    bars = bi.ean13_image("4601234567893")
    ink = Image.new("LA", bars.size, 0)  # black everywhere; only the alpha draws the bars
    ink.putalpha(bars.point(lambda v: 255 - v))
    assert read(bi.to_png_bytes(ink)).gtin == "04601234567893"


# --- refusals -------------------------------------------------------------------------------


def png_header(width: int, height: int) -> bytes:
    """A tiny PNG that claims ``width``×``height`` 1-bit pixels (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def rejected(call: Callable[[], object]) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as caught:
        call()
    return caught.value


def test_an_upload_over_the_byte_limit_is_refused_before_anything_else() -> None:
    error = rejected(lambda: decode_photo(b"\xff" * (MAX_PHOTO_BYTES + 1)))
    assert (error.status, error.code) == (413, "too_large")
    assert error.reason.endswith(".")


def test_a_decompression_bomb_is_refused_from_its_header() -> None:
    bomb = png_header(30000, 30000)
    assert len(bomb) < 200
    error = rejected(lambda: decode_photo(bomb))
    assert (error.status, error.code) == (413, "too_many_pixels")


def test_a_photo_over_our_pixel_limit_is_refused_before_decoding() -> None:
    error = rejected(lambda: decode_photo(png_header(8000, 7000)))  # 56 MP, under Pillow's limit
    assert error.code == "too_many_pixels"
    assert (
        rejected(lambda: decode_photo(photo(bi.qr_image("x")), max_pixels=1_000_000)).code
        == "too_many_pixels"
    )


@pytest.mark.parametrize(
    "data",
    [
        b"order 17: 2 x milk, 1 x bread\n",
        b"",
        b"\x89PNG\r\n\x1a\n",
        b"%PDF-1.7\n",
    ],
)
def test_what_is_not_an_image_is_refused_as_422(data: bytes) -> None:
    error = rejected(lambda: decode_photo(data))
    assert (error.status, error.code) == (422, "not_an_image")


def test_a_truncated_jpeg_is_refused_as_not_an_image() -> None:
    data = photo(bi.ean13_image("4601234567893"))
    assert rejected(lambda: decode_photo(data[: len(data) // 2])).code == "not_an_image"


# --- async ----------------------------------------------------------------------------------


def test_the_async_decode_gives_the_same_result() -> None:
    data = photo(bi.ean8_image("96385074"))
    assert anyio.run(decode_photo_async, data) == decode_photo(data)


def test_no_more_than_two_decodes_run_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    running, peak, lock = 0, 0, threading.Lock()

    def slow_decode(data: bytes, **_: int) -> list[DecodedSymbol]:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return []

    monkeypatch.setattr(photo_decode, "decode_photo", slow_decode)

    async def six_at_once() -> None:
        async with anyio.create_task_group() as group:
            for _ in range(6):
                group.start_soon(decode_photo_async, b"")

    anyio.run(six_at_once)
    assert peak == 2
