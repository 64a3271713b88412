"""Barcodes in phone photos, decoded on the server.

``decode_photo`` takes the uploaded bytes, refuses what is too big or not an image,
loads the photo small and grey, and reads it within a deadline (``read_photo``): one
zxing-cpp pass over the whole frame (most photos end there), then the code regions
found once on a small view (``app.photo_restore``), where the heavy steps run on
crops: contrast, turning to the bars' normal, and undoing blur along it. What it
cannot read comes back with the likely reason (blurred, too dark, no code), so the
picker is told how to retake. GS1 symbols come back as AIM identifier + raw element
string (GS separators kept) so ``picking.codes.interpret`` reads them as GS1. CPU-bound:
call ``read_photo_async`` from request handlers; it runs in a worker thread, at most
``DECODE_CONCURRENCY`` decodes at a time per process across every upload route
(``app.upload_image``).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import zxingcpp
from PIL import Image, ImageFilter, ImageOps, ImageStat
from pyzbar import pyzbar
from pyzbar.pyzbar import ZBarSymbol

from app import photo_restore
from app.upload_image import ImageRejected, open_small, run_decode
from picking import gtin
from picking.codes import expand_upce

MAX_PHOTO_BYTES = 15 * 1024 * 1024
MAX_PHOTO_PIXELS = 50_000_000
WORK_LONG_SIDE = 2000
"""Long side the photo is decoded at: 1280 px loses small barcodes in a 12 MP frame."""
DECODE_BUDGET_MS = int(os.environ.get("STOREPICK_PHOTO_BUDGET_MS", "300"))
"""The deadline of one decode, loading included, in CPU time of the thread decoding it
(what the photo costs the server; on a server with a core free for it, also what the
picker waits): no step starts after it. A step under way finishes (the longest, one
zxing pass over the frame, takes tens of ms)."""
WALL_CAP = 3
"""A decode also stops at this many times its budget in wall-clock time, however
little CPU it got: on an overloaded server the picker still hears back."""
SMALL_VIEW_SIDE = 640
"""Long side of the view the code regions are looked for on."""

# Formats a grocery store meets. Every extra format costs time and invites misreads.
_ZXING_FORMATS = zxingcpp.BarcodeFormats(
    [
        zxingcpp.BarcodeFormat.EAN13,
        zxingcpp.BarcodeFormat.EAN8,
        zxingcpp.BarcodeFormat.UPCA,
        zxingcpp.BarcodeFormat.UPCE,
        zxingcpp.BarcodeFormat.Code128,
        zxingcpp.BarcodeFormat.QRCode,
        zxingcpp.BarcodeFormat.DataMatrix,
        zxingcpp.BarcodeFormat.ITF14,
        zxingcpp.BarcodeFormat.DataBar,
        zxingcpp.BarcodeFormat.DataBarExp,
    ]
)
_ZBAR_SYMBOLS = (
    ZBarSymbol.EAN13,
    ZBarSymbol.EAN8,
    ZBarSymbol.UPCA,
    ZBarSymbol.UPCE,
    ZBarSymbol.CODE128,
    ZBarSymbol.QRCODE,
    ZBarSymbol.DATABAR,
    ZBarSymbol.DATABAR_EXP,
)
_ZXING_NAMES = {
    zxingcpp.BarcodeFormat.EAN13: "EAN13",
    zxingcpp.BarcodeFormat.EAN8: "EAN8",
    zxingcpp.BarcodeFormat.UPCA: "UPCA",
    zxingcpp.BarcodeFormat.UPCE: "UPCE",
    zxingcpp.BarcodeFormat.Code128: "CODE128",
    zxingcpp.BarcodeFormat.QRCode: "QR",
    zxingcpp.BarcodeFormat.DataMatrix: "DATAMATRIX",
    zxingcpp.BarcodeFormat.ITF14: "ITF14",
    zxingcpp.BarcodeFormat.ITF: "ITF14",
    zxingcpp.BarcodeFormat.DataBar: "DATABAR",
    zxingcpp.BarcodeFormat.DataBarOmni: "DATABAR",
    zxingcpp.BarcodeFormat.DataBarExp: "DATABAR_EXP",
}
_GS1_NAMES = {"CODE128": "GS1_128", "DATAMATRIX": "GS1_DATAMATRIX", "QR": "GS1_QR"}
_GS1_AIM = {"CODE128": "]C1", "DATAMATRIX": "]d2", "QR": "]Q3", "DATABAR": "]e0"}
_ZBAR_NAMES = {"QRCODE": "QR"}
_RETAIL = frozenset({"EAN13", "EAN8", "UPCA", "UPCE"})
# Pillow plugins we let near untrusted bytes; phones send JPEG (the JPEG plugin also
# opens the multi-picture MPO files some phones write), PNG or WebP. Nothing else.
_FORMATS = ("JPEG", "PNG", "WEBP")

Problem = Literal["too_large", "too_many_pixels", "not_an_image"]


class PhotoRejected(ValueError):
    """The upload cannot be decoded: ``status`` (413 or 422), ``code`` and an English ``reason``."""

    def __init__(self, status: int, code: Problem, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.code: Problem = code
        self.reason = reason


@dataclass(frozen=True)
class DecodedSymbol:
    """One barcode found in a photo.

    ``text`` is what a scanner would send: for GS1 symbols the AIM identifier (']C1',
    ']d2', ']Q3', ']e0') followed by the element string with ASCII 29 separators; for
    UPC-E the expanded 13-digit form (accept it only when it is a known GTIN: blurred
    EAN-13s get misread as UPC-E).
    """

    text: str
    symbology: str
    decoder: Literal["pyzbar", "zxing"]


Why = Literal["blurred", "dark", "no_code"]
"""Why nothing was read: the photo is too dark; the bars of a code are there but were
not read before the deadline (blurred: hold steady and retake); or no code was seen."""


@dataclass(frozen=True)
class PhotoReading:
    """What one photo gave: the symbols found, or (when none) the likely reason."""

    symbols: list[DecodedSymbol]
    problem: Why | None


def read_photo(
    data: bytes, *, budget_ms: int | None = None, max_bytes: int = MAX_PHOTO_BYTES,
    max_pixels: int = MAX_PHOTO_PIXELS,
) -> PhotoReading:
    """Every distinct barcode found in the photo ``data`` within ``budget_ms``
    (default ``DECODE_BUDGET_MS``), or why none was.

    Raises PhotoRejected: 'too_large' (413) above ``max_bytes``, 'too_many_pixels'
    (413) above ``max_pixels`` (checked from the header, before any pixel is decoded),
    'not_an_image' (422) for bytes Pillow cannot read as a photo.
    """
    budget = (DECODE_BUDGET_MS if budget_ms is None else budget_ms) / 1000
    search_until = budget * (1 - _WHY_SHARE)
    started_cpu, started_wall = time.thread_time(), time.monotonic()
    photo = load_photo(data, max_bytes=max_bytes, max_pixels=max_pixels)
    search = _Search(photo)
    seen_upce: dict[str, int] = {}  # a lone UPC-E's key -> the steps that read it
    for step in search.steps():
        found = _unique(step())
        if any(symbol.symbology != "UPCE" for symbol in found):
            return PhotoReading(found, None)
        # A lone UPC-E is often half of a blurred EAN-13 (and a misread one can pass its
        # check digit): it counts once a second step reads the same code, and until then
        # the search goes on for the whole EAN-13.
        for symbol in found:
            seen_upce[_key(symbol)] = seen_upce.get(_key(symbol), 0) + 1
        confirmed = [symbol for symbol in found if seen_upce[_key(symbol)] >= _UPCE_READS]
        if confirmed:
            return PhotoReading(confirmed, None)
        if (time.thread_time() - started_cpu >= search_until
                or time.monotonic() - started_wall >= WALL_CAP * search_until):
            break
    return PhotoReading([], search.why())


def decode_photo(
    data: bytes, *, budget_ms: int | None = None, max_bytes: int = MAX_PHOTO_BYTES,
    max_pixels: int = MAX_PHOTO_PIXELS,
) -> list[DecodedSymbol]:
    """``read_photo``'s symbols: every distinct barcode found; empty when none is readable."""
    return read_photo(data, budget_ms=budget_ms, max_bytes=max_bytes,
                      max_pixels=max_pixels).symbols


async def read_photo_async(data: bytes, **kwargs: int) -> PhotoReading:
    """``read_photo`` in a worker thread, behind the process's one decode limiter
    (shared with every other upload route, see ``app.upload_image.run_decode``)."""
    return await run_decode(functools.partial(read_photo, data, **kwargs))


async def decode_photo_async(data: bytes, **kwargs: int) -> list[DecodedSymbol]:
    """``decode_photo`` in a worker thread, behind the same limiter."""
    return await run_decode(functools.partial(decode_photo, data, **kwargs))


def load_photo(
    data: bytes, *, max_bytes: int = MAX_PHOTO_BYTES, max_pixels: int = MAX_PHOTO_PIXELS
) -> Image.Image:
    """The photo upright, in greyscale, about ``WORK_LONG_SIDE`` px on its long side,
    decoded within ``app.upload_image``'s memory budget.

    Raises PhotoRejected as ``decode_photo`` does.
    """
    try:
        small = open_small(data, formats=_FORMATS, max_bytes=max_bytes, max_pixels=max_pixels,
                           long_side=WORK_LONG_SIDE, mode="L")
    except ImageRejected as rejected:
        if rejected.problem == "too_large":
            raise PhotoRejected(413, "too_large",
                                f"The photo is larger than {max_bytes // 2**20} MB.") from None
        if rejected.problem == "too_many_pixels":
            raise _too_many_pixels() from None
        raise _not_an_image() from None
    return _shrink(small, WORK_LONG_SIDE)


def _too_many_pixels() -> PhotoRejected:
    return PhotoRejected(413, "too_many_pixels", "The photo has too many pixels.")


def _not_an_image() -> PhotoRejected:
    return PhotoRejected(422, "not_an_image", "The upload is not a readable photo.")


def _shrink(image: Image.Image, long_side: int) -> Image.Image:
    """``image`` reduced so its long side is about ``long_side`` (never enlarged)."""
    factor = max(image.size) / long_side
    if factor <= 1.25:  # JPEG draft already lands here; resizing more would cost more than it saves
        return image
    size = (round(image.width / factor), round(image.height / factor))
    return image.resize(size, Image.Resampling.BOX)


# --- decoders ---------------------------------------------------------------------------


def decode_zxing(image: Image.Image, formats: zxingcpp.BarcodeFormats = _ZXING_FORMATS
                 ) -> list[DecodedSymbol]:
    """One zxing-cpp pass over ``image``: the store formats, GS1 content flagged by its AIM id."""
    results = zxingcpp.read_barcodes(
        image, formats=formats, try_invert=False, text_mode=zxingcpp.TextMode.Plain
    )
    symbols = []
    for result in results:
        name = _ZXING_NAMES.get(result.format)
        if name is None or not result.text:
            continue
        text = result.text
        if result.content_type == zxingcpp.ContentType.GS1:
            # The canonical FNC1-first id: zxing says e.g. ']d8' for rectangular DMRE symbols.
            aim = _GS1_AIM.get(name.removesuffix("_EXP"), result.symbology_identifier)
            name = _GS1_NAMES.get(name, name)
            text = aim + result.bytes.decode("latin-1")
        symbols.append(DecodedSymbol(text, name, "zxing"))
    return [s for s in symbols if _plausible(s)]


def decode_pyzbar(image: Image.Image) -> list[DecodedSymbol]:
    """One pyzbar pass over ``image``. It cannot tell GS1-128 from Code 128: text passes as read."""
    symbols = []
    for result in pyzbar.decode(image, symbols=_ZBAR_SYMBOLS):
        name = _ZBAR_NAMES.get(result.type, result.type)
        text = result.data.decode("utf-8", errors="replace")
        if name == "UPCE":  # zbar sends the 8 digits; zxing the 13-digit expanded form
            upca = expand_upce(text)
            if upca is None:
                continue
            text = "0" + upca
        elif name.startswith("DATABAR"):
            text = "]e0" + text  # DataBar always carries GS1 data
        symbols.append(DecodedSymbol(text, name, "pyzbar"))
    return [s for s in symbols if _plausible(s)]


def _plausible(symbol: DecodedSymbol) -> bool:
    """Drop reads no store code looks like: a bad EAN/UPC, an ITF that is no ITF-14."""
    if symbol.symbology in _RETAIL:
        return gtin.is_valid(symbol.text)
    if symbol.symbology == "ITF14":
        return len(symbol.text) == 14 and gtin.is_valid(symbol.text)
    return True


def _unique(symbols: Iterable[DecodedSymbol]) -> list[DecodedSymbol]:
    """First of each content, in order; EAN/UPC reads compare as 14-digit GTINs."""
    seen: set[str] = set()
    unique = []
    for symbol in symbols:
        key = _key(symbol)
        if key not in seen:
            seen.add(key)
            unique.append(symbol)
    return unique


# --- the search ---------------------------------------------------------------------------

Step = Callable[[], list[DecodedSymbol]]

_LINEAR_FORMATS = zxingcpp.BarcodeFormats(
    [
        zxingcpp.BarcodeFormat.EAN13,
        zxingcpp.BarcodeFormat.EAN8,
        zxingcpp.BarcodeFormat.UPCA,
        zxingcpp.BarcodeFormat.UPCE,
        zxingcpp.BarcodeFormat.Code128,
        zxingcpp.BarcodeFormat.ITF14,
    ]
)
# Blur widths tried on a bar profile, in photo pixels: out of focus (Gaussian sigma)
# and a straight shake (box length, as projected on the bars' normal).
_RESTORATIONS: tuple[tuple[str, float], ...] = (
    ("gauss", 2.0), ("box", 10.0), ("box", 6.0), ("gauss", 1.6), ("gauss", 2.4),
    ("box", 8.0), ("box", 4.0), ("box", 13.0), ("none", 0.0),
)
_DAMPING = 0.003
_BINARY_WINDOWS = (41, 25, 15)
_VOTES = 2
"""A code read from a restored profile counts once two different restorations (or
bands) agree: undoing a blur makes up edges, and a made-up code can pass a check digit."""
_REGIONS = 3
_BAR_LIKE = 0.3
"""Coherence (``Region.coherence``) from which a region may be the bars of a linear code."""
_BARS = 10
"""Dark bars a profile must cross to be taken for a linear code (``bar_count``)."""
_WHY_SHARE = 0.15
"""Share of the budget kept for working out why nothing was read."""
_DARK = 55
"""Mean grey level (0-255) of the photo below which it is called too dark."""


class _Search:
    """The steps of one photo's search, made lazily so the deadline can stop it between
    any two; it remembers what it saw to say why nothing was read."""

    def __init__(self, photo: Image.Image) -> None:
        self.photo = photo
        self.regions: list[photo_restore.Region] = []
        self.small: Image.Image | None = None
        self.bars_seen: bool | None = None

    def steps(self) -> Iterator[Step]:
        photo = self.photo
        yield lambda: decode_zxing(photo)
        half = _shrink(photo, 1000) if max(photo.size) > 1250 else photo
        yield lambda: decode_pyzbar(ImageOps.autocontrast(half, cutoff=2))
        self.small = _small_view(photo)
        self.regions = photo_restore.find_regions(
            self.small, max(photo.size) / max(self.small.size), limit=_REGIONS)
        for region in self.regions:
            raw = photo.crop(region.box)
            crop = ImageOps.autocontrast(raw, cutoff=1)
            yield functools.partial(decode_zxing, crop)
            # Dim, noisy photos: smoothed first, so the stretch does not stretch the grain.
            smooth = ImageOps.autocontrast(raw.filter(ImageFilter.GaussianBlur(1)), cutoff=1)
            yield functools.partial(decode_zxing, smooth)
            turned = photo_restore.upright(crop, region.normal)
            yield functools.partial(decode_pyzbar, turned)
            if region.coherence >= _BAR_LIKE:
                yield from self._restored(region)
            else:
                sharp = crop.filter(ImageFilter.UnsharpMask(radius=3, percent=250, threshold=0))
                yield functools.partial(decode_zxing, sharp)
        yield lambda: decode_zxing(photo.filter(ImageFilter.GaussianBlur(1)))
        yield lambda: decode_pyzbar(ImageOps.autocontrast(photo, cutoff=2))

    def _restored(self, region: photo_restore.Region) -> Iterator[Step]:
        """Steps reading the bar profiles of an upright crop with each blur undone; a
        code counts once ``_VOTES`` attempts agree."""
        votes: dict[str, int] = {}
        profiles = self._profiles(region)
        for kind, width in _RESTORATIONS:
            for profile in profiles:
                restored = photo_restore.restore(profile, kind, width, damping=_DAMPING)

                def attempt(restored: np.ndarray = restored) -> list[DecodedSymbol]:
                    reads = decode_pyzbar(photo_restore.as_strip(restored))
                    for strip in photo_restore.binary_strips(restored, _BINARY_WINDOWS):
                        reads += decode_zxing(strip, _LINEAR_FORMATS)
                    agreed = []
                    for symbol in _unique(reads):
                        key = _key(symbol)
                        votes[key] = votes.get(key, 0) + 1
                        if votes[key] == _VOTES:
                            agreed.append(symbol)
                    return agreed

                yield attempt

    def why(self) -> Why:
        """The likely reason nothing was read: too dark; bars seen but not read (blurred);
        or no code. Looks for the regions and bars itself if the deadline came first."""
        if self.small is None:
            self.small = _small_view(self.photo)
            self.regions = photo_restore.find_regions(
                self.small, max(self.photo.size) / max(self.small.size), limit=_REGIONS)
        if ImageStat.Stat(self.small).mean[0] < _DARK:
            return "dark"
        if self.bars_seen is None:
            self.bars_seen = False
            for region in self.regions:
                if region.coherence >= _BAR_LIKE:
                    self._profiles(region)
                    break
        return "blurred" if self.bars_seen else "no_code"

    def _profiles(self, region: photo_restore.Region) -> list[np.ndarray]:
        """The bar profiles of ``region``; notes whether they cross enough bars to be a code."""
        crop = ImageOps.autocontrast(self.photo.crop(region.box), cutoff=1)
        profiles = photo_restore.bar_profiles(crop, region.normal)
        if any(photo_restore.bar_count(profile) >= _BARS for profile in profiles):
            self.bars_seen = True
        return profiles


def _small_view(photo: Image.Image) -> Image.Image:
    """The view regions are looked for on: ``SMALL_VIEW_SIDE`` px on its long side."""
    factor = max(photo.size) / SMALL_VIEW_SIDE
    if factor <= 1:
        return photo
    size = (round(photo.width / factor), round(photo.height / factor))
    return photo.resize(size, Image.Resampling.BOX)


def _key(symbol: DecodedSymbol) -> str:
    if symbol.symbology in _RETAIL and gtin.is_valid(symbol.text):
        return gtin.to_gtin14(symbol.text)
    return symbol.text


_UPCE_READS = 2  # steps that must read a lone UPC-E before it counts
