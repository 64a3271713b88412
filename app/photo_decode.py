"""Barcodes in phone photos, decoded on the server.

``decode_photo`` takes the uploaded bytes, refuses what is too big or not an image,
loads the photo small and grey, and runs a short cascade of zxing-cpp and pyzbar.
GS1 symbols come back as AIM identifier + raw element string (GS separators kept) so
``picking.codes.interpret`` reads them as GS1. CPU-bound: call ``decode_photo_async``
from request handlers; it runs in a worker thread, at most ``DECODE_CONCURRENCY`` decodes
at a time per process across every upload route (``app.upload_image``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import zxingcpp
from PIL import Image, ImageFilter, ImageOps
from pyzbar import pyzbar
from pyzbar.pyzbar import ZBarSymbol

from app.upload_image import ImageRejected, open_small, run_decode
from picking import gtin
from picking.codes import expand_upce

MAX_PHOTO_BYTES = 15 * 1024 * 1024
MAX_PHOTO_PIXELS = 50_000_000
WORK_LONG_SIDE = 2000
"""Long side the photo is decoded at: 1280 px loses small barcodes in a 12 MP frame."""

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


def decode_photo(
    data: bytes, *, max_bytes: int = MAX_PHOTO_BYTES, max_pixels: int = MAX_PHOTO_PIXELS
) -> list[DecodedSymbol]:
    """Every distinct barcode found in the photo ``data``; empty when none is readable.

    Raises PhotoRejected: 'too_large' (413) above ``max_bytes``, 'too_many_pixels'
    (413) above ``max_pixels`` (checked from the header, before any pixel is decoded),
    'not_an_image' (422) for bytes Pillow cannot read as a photo.
    """
    views = _Views(photo=load_photo(data, max_bytes=max_bytes, max_pixels=max_pixels))
    tentative: list[DecodedSymbol] = []
    last_step = len(_CASCADE)
    for step, (view, decode) in enumerate(_CASCADE):
        if step > last_step:
            break
        found = _unique(decode(views[view]))
        if any(symbol.symbology != "UPCE" for symbol in found):
            return found
        if found and not tentative:
            # A lone UPC-E is often half of a blurred EAN-13: give the next steps a
            # chance to read the whole EAN-13 before settling for it.
            tentative, last_step = found, step + _UPCE_SECOND_OPINIONS
    return tentative


async def decode_photo_async(data: bytes, **kwargs: int) -> list[DecodedSymbol]:
    """``decode_photo`` in a worker thread, behind the process's one decode limiter
    (shared with every other upload route, see ``app.upload_image.run_decode``)."""
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


def decode_zxing(image: Image.Image) -> list[DecodedSymbol]:
    """One zxing-cpp pass over ``image``: the store formats, GS1 content flagged by its AIM id."""
    results = zxingcpp.read_barcodes(
        image, formats=_ZXING_FORMATS, try_invert=False, text_mode=zxingcpp.TextMode.Plain
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
        key = symbol.text
        if symbol.symbology in _RETAIL and gtin.is_valid(symbol.text):
            key = gtin.to_gtin14(symbol.text)
        if key not in seen:
            seen.add(key)
            unique.append(symbol)
    return unique


# --- the cascade -------------------------------------------------------------------------

Decoder = Callable[[Image.Image], list[DecodedSymbol]]


def _half(views: _Views) -> Image.Image:
    """About 1000 px: blur and noise shrink with the image and the decoders run 4x faster."""
    photo = views["photo"]
    return _shrink(photo, 1000) if max(photo.size) > 1250 else photo


def _contrast(name: str) -> Callable[[_Views], Image.Image]:
    """Stretched to the full grey range: dim, washed-out or glared photos (zbar needs it)."""
    return lambda views: ImageOps.autocontrast(views[name], cutoff=2)


def _turned(name: str, degrees: float) -> Callable[[_Views], Image.Image]:
    """Turned by ``degrees``: the decoders scan rows and columns, so a linear code at
    22–45° crosses no scan line whole. Three turns cover every angle to within 11°."""
    return lambda views: views[name].rotate(
        degrees, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255
    )


def _smooth(views: _Views) -> Image.Image:
    """Lightly blurred: sensor noise and JPEG blocks stop breaking bars."""
    return views["photo"].filter(ImageFilter.GaussianBlur(1))


def _sharp(views: _Views) -> Image.Image:
    """Unsharp-masked: edges of slightly out-of-focus bars steepen."""
    return views["photo"].filter(ImageFilter.UnsharpMask(radius=2, percent=150, threshold=3))


_VIEW_MAKERS: dict[str, Callable[[_Views], Image.Image]] = {
    "half": _half,
    "half_contrast": _contrast("half"),
    "contrast": _contrast("photo"),
    "smooth": _smooth,
    "sharp": _sharp,
    "half_turn_22": _turned("half", 22.5),
    "half_turn_-22": _turned("half", -22.5),
    "half_turn_45": _turned("half", 45),
}


class _Views(dict[str, Image.Image]):
    """Views of one photo, each made on first use and kept for the next step."""

    def __missing__(self, name: str) -> Image.Image:
        view = _VIEW_MAKERS[name](self)
        self[name] = view
        return view


# (view, decoder) in order; the first step that reads anything ends the decode, so a
# clear photo costs one zxing pass. Chosen with benchmarks/decode.py: zxing reads most
# photos; zbar on a contrast-stretched half-size view is cheap and catches much of the
# rest (blur, low light, angles); then noise, small codes in big frames, and linear
# codes at 22-45 degrees. Turning the full-size view would rescue long GS1-128 codes
# at an angle, but costs ~100 ms a turn on every unreadable photo: ask for a retake.
_CASCADE: tuple[tuple[str, Decoder], ...] = (
    ("photo", decode_zxing),
    ("half_contrast", decode_pyzbar),
    ("smooth", decode_zxing),
    ("contrast", decode_pyzbar),
    ("half_turn_22", decode_pyzbar),
    ("half_turn_-22", decode_pyzbar),
    ("half_turn_45", decode_pyzbar),
    ("sharp", decode_pyzbar),
)


_UPCE_SECOND_OPINIONS = 2

