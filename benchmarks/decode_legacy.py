"""The photo decoder as it was before crops, restoration and a deadline (kept as the
baseline ``benchmarks.decode`` measures against, in the same run): a cascade of
zxing-cpp and pyzbar passes, every step on the whole frame, until one reads."""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image, ImageFilter, ImageOps

from app.photo_decode import (
    DecodedSymbol,
    _shrink,
    _unique,
    decode_pyzbar,
    decode_zxing,
    load_photo,
)

Decoder = Callable[[Image.Image], list[DecodedSymbol]]


def _half(views: dict[str, Image.Image]) -> Image.Image:
    photo = views["photo"]
    return _shrink(photo, 1000) if max(photo.size) > 1250 else photo


def _contrast(name: str) -> Callable[[dict[str, Image.Image]], Image.Image]:
    return lambda views: ImageOps.autocontrast(_view(views, name), cutoff=2)


def _turned(name: str, degrees: float) -> Callable[[dict[str, Image.Image]], Image.Image]:
    return lambda views: _view(views, name).rotate(
        degrees, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255
    )


_MAKERS: dict[str, Callable[[dict[str, Image.Image]], Image.Image]] = {
    "half": _half,
    "half_contrast": _contrast("half"),
    "contrast": _contrast("photo"),
    "smooth": lambda views: views["photo"].filter(ImageFilter.GaussianBlur(1)),
    "sharp": lambda views: views["photo"].filter(
        ImageFilter.UnsharpMask(radius=2, percent=150, threshold=3)),
    "half_turn_22": _turned("half", 22.5),
    "half_turn_-22": _turned("half", -22.5),
    "half_turn_45": _turned("half", 45),
}


def _view(views: dict[str, Image.Image], name: str) -> Image.Image:
    if name not in views:
        views[name] = _MAKERS[name](views)
    return views[name]


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


def decode_photo_legacy(data: bytes) -> list[DecodedSymbol]:
    """Every distinct barcode the old whole-frame cascade finds in ``data``."""
    views = {"photo": load_photo(data)}
    tentative: list[DecodedSymbol] = []
    last_step = len(_CASCADE)
    for step, (view, decode) in enumerate(_CASCADE):
        if step > last_step:
            break
        found = _unique(decode(_view(views, view)))
        if any(symbol.symbology != "UPCE" for symbol in found):
            return found
        if found and not tentative:
            tentative, last_step = found, step + _UPCE_SECOND_OPINIONS
    return tentative
