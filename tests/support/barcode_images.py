"""Barcode pictures and phone-photo degradations for decoder tests and the benchmark.

Symbols come from writers independent of what is under test where one exists:
python-barcode for EAN/UPC/Code 128, segno for QR, zxing-cpp's writer for the GS1
symbols (python-barcode prints GS1-128 parentheses literally). ``degrade`` turns a
clean symbol into something like a phone photo; everything random is seeded.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Sequence
from typing import Any, cast

import barcode
import numpy as np
import segno
import zxingcpp
from barcode.writer import ImageWriter
from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from picking import gs1

GS = "\x1d"
_DPI = 254  # 10 px per mm: python-barcode sizes are in mm, ours in px per module
Point = tuple[float, float]


# --- symbols -----------------------------------------------------------------------------


def _linear(
    kind: str, data: str, module_px: int, height_modules: int, quiet_modules: int
) -> Image.Image:
    """A python-barcode symbol with human-readable digits, as a greyscale image."""
    font_pt = round(2.2 * module_px)
    font_px = font_pt * _DPI / 72
    symbol = barcode.get(kind, data, writer=ImageWriter(mode="L"))
    image = symbol.render(
        writer_options={
            "module_width": module_px / 10,
            "module_height": height_modules * module_px / 10,
            "quiet_zone": quiet_modules * module_px / 10,
            "dpi": _DPI,
            "font_size": font_pt,
            "text_distance": (font_px * 0.85 + module_px) / 10,
        }
    )
    assert isinstance(image, Image.Image)
    return image.convert("L")


def ean13_image(code: str, module_px: int = 3) -> Image.Image:
    """EAN-13 (13 digits, check digit included) with its 11/7-module quiet zones."""
    assert len(code) == 13
    return _linear("ean13", code[:12], module_px, 60, 11)


def ean8_image(code: str, module_px: int = 3) -> Image.Image:
    """EAN-8 (8 digits, check digit included)."""
    assert len(code) == 8
    return _linear("ean8", code[:7], module_px, 50, 8)


def upca_image(code: str, module_px: int = 3) -> Image.Image:
    """UPC-A (12 digits, check digit included)."""
    assert len(code) == 12
    return _linear("upca", code[:11], module_px, 60, 10)


def upce_image(code: str, module_px: int = 3) -> Image.Image:
    """UPC-E (8 digits), from zxing-cpp's writer: python-barcode has no UPC-E."""
    assert len(code) == 8
    image = _zxing_image(code, zxingcpp.BarcodeFormat.UPCE, module_px)
    return ImageOps.expand(image, border=4 * module_px, fill=255)


def itf14_image(code: str, module_px: int = 3) -> Image.Image:
    """ITF-14 (14 digits) as printed on cases, with quiet zones."""
    assert len(code) == 14
    return ImageOps.expand(_zxing_image(code, zxingcpp.BarcodeFormat.ITF14, module_px), 30, 255)


def databar_expanded_image(raw: str, module_px: int = 3) -> Image.Image:
    """GS1 DataBar Expanded of a raw element string (fresh food with weight or dates)."""
    image = _zxing_image(hri(raw), zxingcpp.BarcodeFormat.DataBarExp, module_px)
    return ImageOps.expand(image, border=12 * module_px, fill=255)


def code128_image(text: str, module_px: int = 3) -> Image.Image:
    """Plain Code 128 of ``text``."""
    return _linear("code128", text, module_px, 40, 10)


def _zxing_image(
    content: str, fmt: zxingcpp.BarcodeFormat, module_px: int, **options: object
) -> Image.Image:
    """A symbol from zxing-cpp's writer, quiet zones included, as a greyscale image."""
    symbol = zxingcpp.create_barcode(content, fmt, **options)
    drawn = symbol.to_image(scale=module_px, add_hrt=fmt == zxingcpp.BarcodeFormat.Code128)
    pixels = memoryview(cast(Any, drawn))  # a 2-D byte buffer, one byte per pixel
    height, width = pixels.shape or (0, 0)
    return Image.frombytes("L", (width, height), pixels.tobytes())


def hri(raw: str) -> str:
    """``(01)…(3103)…`` for a raw element string with GS separators."""
    return "".join(f"({element.ai}){element.value}" for element in gs1.parse_raw(raw))


def gs1_128_image(raw_with_fnc1: str, module_px: int = 3) -> Image.Image:
    """GS1-128 of a raw element string (GS where a variable field ends), HRI printed below."""
    image = _zxing_image(hri(raw_with_fnc1), zxingcpp.BarcodeFormat.Code128, module_px, gs1=True)
    # zxing draws short bars: stretch them to a label's height (about a quarter of the width).
    return image.resize(
        (image.width, max(image.height, image.width // 4)), Image.Resampling.NEAREST
    )


def gs1_datamatrix_image(raw: str, module_px: int = 6) -> Image.Image:
    """GS1 DataMatrix (FNC1 first) of a raw element string, e.g. a Честный ЗНАК code."""
    return _zxing_image(
        hri(raw), zxingcpp.BarcodeFormat.DataMatrix, module_px, gs1=True, force_square=True
    )


def qr_image(text: str, module_px: int = 5) -> Image.Image:
    """QR code (error level M, 4-module border)."""
    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=module_px, border=4)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("L")


# --- phone-photo degradations ------------------------------------------------------------


def degrade(
    image: Image.Image,
    *,
    rotation: float = 0.0,
    blur: float = 0.0,
    motion: tuple[float, float] | None = None,
    noise: float = 0.0,
    glare: float = 0.0,
    low_light: float = 0.0,
    perspective: float = 0.0,
    scale: float = 1.0,
    jpeg_quality: int | None = None,
    place_in: tuple[int, int] | None = None,
    seed: int = 0,
) -> Image.Image:
    """A phone-photo-like RGB image of ``image`` on a white label.

    ``rotation`` degrees; ``blur`` Gaussian radius in px; ``motion`` (length px, angle
    degrees) a straight camera shake; ``noise`` amplitude (0–255);
    ``glare`` 0–1 strength of a bright spot over the symbol; ``low_light`` 0–1 how much
    light is missing; ``perspective`` 0–0.5 how much the far edge shrinks; ``scale``
    resizes the label (non-integer module sizes); ``place_in`` puts it at a random spot
    in a cluttered frame of that size (else a frame 1.5× the label); ``jpeg_quality``
    round-trips through JPEG. Same arguments and ``seed``, same picture.
    """
    rng = random.Random(seed)
    label = ImageOps.expand(image.convert("L"), border=max(8, image.width // 20), fill=255)
    if scale != 1.0:
        label = label.resize(
            (round(label.width * scale), round(label.height * scale)), Image.Resampling.BILINEAR
        )
    label = label.convert("RGBA")
    if perspective:
        label = _tilt(label, perspective, rng)
    if rotation:
        label = label.rotate(rotation, resample=Image.Resampling.BICUBIC, expand=True)
    if blur:
        label = label.filter(ImageFilter.GaussianBlur(blur))
    if motion:
        label = _shake(label, *motion)
    size = place_in or (int(label.width * 1.5), int(label.height * 1.5))
    frame = _background(size, rng)
    if label.width > size[0] or label.height > size[1]:
        raise ValueError(f"label {label.size} does not fit in frame {size}")
    spot = (rng.randint(0, size[0] - label.width), rng.randint(0, size[1] - label.height))
    frame.paste(label, spot, label)
    if glare:
        _add_glare(frame, spot, label.size, glare, rng)
    if low_light:
        frame = ImageEnhance.Brightness(frame).enhance(1 - low_light)
        frame = ImageEnhance.Contrast(frame).enhance(1 - low_light / 2)
    if noise:
        frame = _add_noise(frame, noise, rng)
    if jpeg_quality is not None:
        frame = Image.open(io.BytesIO(to_jpeg_bytes(frame, quality=jpeg_quality)))
        frame.load()
    return frame


def _shake(label: Image.Image, length: float, angle: float) -> Image.Image:
    """``label`` smeared along a straight line of ``length`` px at ``angle`` degrees:
    the mean of copies shifted evenly along the line (a box point-spread function)."""
    steps = max(2, round(length) + 1)
    dx, dy = math.cos(math.radians(angle)), -math.sin(math.radians(angle))
    pad = int(length) + 2
    canvas = ImageOps.expand(label, border=pad, fill=(255, 255, 255, 0))
    total = np.zeros((canvas.height, canvas.width, 4), dtype=np.float32)
    for k in range(steps):
        t = (k / (steps - 1) - 0.5) * length
        shifted = canvas.transform(canvas.size, Image.Transform.AFFINE,
                                   (1, 0, t * dx, 0, 1, t * dy), Image.Resampling.BILINEAR)
        total += np.asarray(shifted, dtype=np.float32)
    return Image.fromarray((total / steps).round().astype(np.uint8), "RGBA")


def _background(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A shelf-like frame: a lit gradient with boxes of product colours."""
    dark = tuple(rng.randint(40, 110) for _ in range(3))
    light = tuple(rng.randint(150, 220) for _ in range(3))
    gradient = Image.linear_gradient("L").rotate(rng.choice((0, 90, 180, 270))).resize(size)
    frame = ImageOps.colorize(gradient, black=dark, white=light)
    draw = ImageDraw.Draw(frame)
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        w, h = rng.randint(size[0] // 20, size[0] // 4), rng.randint(size[1] // 20, size[1] // 3)
        draw.rectangle((x, y, x + w, y + h), fill=tuple(rng.randint(0, 255) for _ in range(3)))
    return frame


def _tilt(label: Image.Image, amount: float, rng: random.Random) -> Image.Image:
    """The label seen at an angle: its right (or left) edge shorter by ``amount``."""
    w, h = label.size
    inset = h * amount / 2
    if rng.random() < 0.5:
        corners = [(0, 0), (w, inset), (w, h - inset), (0, h)]
    else:
        corners = [(0, inset), (w, 0), (w, h), (0, h - inset)]
    source = [(0.0, 0.0), (float(w), 0.0), (float(w), float(h)), (0.0, float(h))]
    coefficients = _perspective_coefficients(corners, source)
    return label.transform(
        (w, h), Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC
    )


def _perspective_coefficients(out: Sequence[Point], src: Sequence[Point]) -> tuple[float, ...]:
    """The 8 coefficients Pillow wants to map output points ``out`` onto ``src``."""
    rows: list[list[float]] = []
    for (x, y), (u, v) in zip(out, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y, u])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y, v])
    for col in range(8):  # Gauss-Jordan elimination with partial pivoting
        pivot = max(range(col, 8), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(8):
            if r != col:
                factor = rows[r][col] / rows[col][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    return tuple(rows[i][8] / rows[i][i] for i in range(8))


def _add_glare(
    frame: Image.Image,
    spot: tuple[int, int],
    size: tuple[int, int],
    strength: float,
    rng: random.Random,
) -> None:
    """A bright elliptical reflection over part of the label, in place."""
    w, h = int(size[0] * rng.uniform(0.35, 0.6)), int(size[1] * rng.uniform(0.5, 0.9))
    # radial_gradient is 0 at the centre and 181 on the inscribed circle: fade out there.
    mask = Image.radial_gradient("L").point(lambda v: int(max(0, 181 - v) * 255 / 181 * strength))
    mask = mask.resize((w, h), Image.Resampling.BILINEAR)
    x = spot[0] + rng.randint(0, max(0, size[0] - w))
    y = spot[1] + rng.randint(0, max(0, size[1] - h))
    frame.paste((255, 255, 250), (x, y), mask)


def _add_noise(frame: Image.Image, amplitude: float, rng: random.Random) -> Image.Image:
    """Sensor-like noise: seeded uniform noise of ±``amplitude`` on every pixel."""
    raw = Image.frombytes("L", frame.size, rng.randbytes(frame.width * frame.height))
    spread = raw.point(lambda v: int(v * 2 * amplitude / 255))
    grain = Image.merge("RGB", (spread, spread, spread))
    return ImageChops.subtract(
        ImageChops.add(frame, grain), Image.new("RGB", frame.size, (int(amplitude),) * 3)
    )


_EXIF_STORED = {
    3: Image.Transpose.ROTATE_180,
    6: Image.Transpose.ROTATE_90,
    8: Image.Transpose.ROTATE_270,
}


def to_jpeg_bytes(
    image: Image.Image, *, quality: int = 90, exif_orientation: int | None = None
) -> bytes:
    """JPEG bytes of ``image``. With ``exif_orientation`` (3, 6 or 8) the pixels are
    stored turned the way a phone stores them, and the tag says how to turn them back.
    """
    buffer = io.BytesIO()
    rgb = image.convert("RGB")
    if exif_orientation is None:
        rgb.save(buffer, "JPEG", quality=quality)
    else:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        rgb.transpose(_EXIF_STORED[exif_orientation]).save(
            buffer, "JPEG", quality=quality, exif=exif
        )
    return buffer.getvalue()


def to_png_bytes(image: Image.Image) -> bytes:
    """PNG bytes of ``image``."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
