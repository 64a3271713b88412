"""Images from untrusted uploads, opened within a fixed memory budget.

Every upload route (the picker's barcode photo, the courier's proof photo) goes
through here, so one process holds at most ``DECODE_CONCURRENCY`` decoded images at
a time, each at most ``DECODE_BUDGET_BYTES``:

- the header is read first: too many bytes, too many pixels, a format or a pixel
  mode no phone photo needs, and nothing is decoded;
- a JPEG is decoded already shrunk (``Image.draft``: the DCT scales by 1/2, 1/4 or
  1/8 while decoding), so even a 50 MP photo costs a few MB;
- any other format is decoded whole, so its measured peak per pixel must fit the
  budget (PNG 8 MP, WebP 4 MP); it is reduced at once and only the small copy is
  turned and converted;
- ``run_decode`` runs the work in a worker thread behind one limiter per process
  (shared by every route), and gives freed memory back to the system afterwards.

``UploadGate`` (ASGI) lets at most ``UPLOAD_CONCURRENCY`` multipart requests at a
time be read at all: the bodies of the others wait unread in their sockets.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import io
import warnings
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar
from PIL import Image, UnidentifiedImageError

Problem = Literal["too_large", "too_many_pixels", "not_an_image"]
T = TypeVar("T")

DECODE_CONCURRENCY = 2
"""Decodes at once per process: both cores, and a known ceiling on memory."""
UPLOAD_CONCURRENCY = 3
"""Multipart requests read at once per process (their bodies are held in memory)."""
DECODE_BUDGET_BYTES = 64 * 2**20
"""The most memory one decode may take at its peak: a JPEG of any size up to the pixel
limit (drafted), a PNG up to 8 MP, a WebP up to 4 MP."""
_PEAK_BYTES_PER_PIXEL = {"PNG": 8, "WEBP": 16}
"""Measured with Pillow 13: a PNG decodes into one 4-byte-a-pixel frame and reducing it
copies much of it again; libwebp decodes into its own buffer and Pillow copies it out."""
ALLOWED_MODES = frozenset({"1", "L", "LA", "P", "PA", "RGB", "RGBA"})
"""Pixel modes of phone photos and screenshots; CMYK, 16-bit and float images are refused."""

_ORIENTATION = 0x0112
_TURNS = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
          4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
          6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
          8: Image.Transpose.ROTATE_90}


class ImageRejected(ValueError):
    """``status`` 413 (too many bytes or pixels) or 422 (not a photo we read)."""

    def __init__(self, status: int, problem: Problem) -> None:
        super().__init__(problem)
        self.status = status
        self.problem: Problem = problem


def open_small(data: bytes, *, formats: tuple[str, ...], max_bytes: int, max_pixels: int,
               long_side: int, mode: Literal["L", "RGB"]) -> Image.Image:
    """The photo upright, in ``mode``, with its long side between ``long_side`` and twice
    that (never enlarged); transparent parts become white.

    Raises ImageRejected before decoding anything the budget cannot take.
    """
    if len(data) > max_bytes:
        raise ImageRejected(413, "too_large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=formats)  # the header only
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(413, "too_many_pixels") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageRejected(422, "not_an_image") from exc
    if image.mode not in ALLOWED_MODES:
        raise ImageRejected(422, "not_an_image")
    width, height = image.size
    if width * height > max_pixels:
        raise ImageRejected(413, "too_many_pixels")
    try:
        if image.format == "JPEG":
            scale = long_side / max(width, height)
            image.draft(mode, (int(width * scale) or 1, int(height * scale) or 1))
            cost = image.size[0] * image.size[1] * len(image.getbands()) * 2
        else:
            cost = width * height * _PEAK_BYTES_PER_PIXEL.get(image.format or "", 16)
        if cost > DECODE_BUDGET_BYTES:
            raise ImageRejected(413, "too_many_pixels")
        turn = _TURNS.get(image.getexif().get(_ORIENTATION, 1))
        image.load()
        small = _reduced(image, long_side)
        del image
        if turn is not None:
            small = small.transpose(turn)
        return _in_mode(small, mode)
    except ImageRejected:
        raise
    except (OSError, ValueError, SyntaxError, EOFError) as exc:  # truncated or corrupt
        raise ImageRejected(422, "not_an_image") from exc


def _reduced(image: Image.Image, long_side: int) -> Image.Image:
    """A copy at most ~2x ``long_side``; palette and 1-bit images are widened first."""
    if image.mode in ("P", "PA"):
        has_alpha = image.mode == "PA" or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
    elif image.mode == "1":
        image = image.convert("L")
    factor = max(image.size) // long_side
    return image.reduce(factor) if factor >= 2 else image


def _in_mode(image: Image.Image, mode: str) -> Image.Image:
    """``image`` in ``mode``, transparent parts on white paper, with no full-size RGBA
    intermediate: the colour drawn through the alpha channel onto the paper."""
    if image.mode == mode:
        return image
    if image.mode in ("RGBA", "LA"):
        alpha = image.getchannel("A")
        solid = image.convert(mode)
        paper = Image.new(mode, image.size, "white")
        paper.paste(solid, mask=alpha)
        return paper
    return image.convert(mode)


# --- one limiter per process ---------------------------------------------------------------

_DECODES: RunVar[CapacityLimiter] = RunVar("storepick_image_decodes")
_UPLOADS: RunVar[CapacityLimiter] = RunVar("storepick_multipart_uploads")


def _limiter(var: RunVar[CapacityLimiter], capacity: int) -> CapacityLimiter:
    """The limiter of the running event loop (one loop per process; a limiter is bound
    to its loop, and tests run several)."""
    try:
        return var.get()
    except LookupError:
        limiter = CapacityLimiter(capacity)
        var.set(limiter)
        return limiter


def decode_limiter() -> CapacityLimiter:
    return _limiter(_DECODES, DECODE_CONCURRENCY)


async def run_decode(job: Callable[[], T]) -> T:
    """``job`` in a worker thread, at most ``DECODE_CONCURRENCY`` at once per process;
    when the last decode ends, freed memory goes back to the system."""
    limiter = decode_limiter()

    def work() -> T:
        try:
            return job()
        finally:
            if limiter.borrowed_tokens <= 1:  # the last decode running (a hint, not a lock)
                _give_back_memory()  # in the worker: malloc_trim walks the heap

    return await anyio.to_thread.run_sync(work, limiter=limiter)


class UploadGate:
    """ASGI middleware: at most ``UPLOAD_CONCURRENCY`` multipart requests are served at
    once; the others wait before a byte of their body is read (so before the CSRF check
    reads a form field, and before any handler)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not _is_multipart(scope):
            await self.app(scope, receive, send)
            return
        async with _limiter(_UPLOADS, UPLOAD_CONCURRENCY):
            await self.app(scope, receive, send)


def _is_multipart(scope: Any) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return bool(value[:19].lower() == b"multipart/form-data")
    return False


# --- giving memory back ---------------------------------------------------------------------

def _libc() -> Any:
    with contextlib.suppress(OSError, TypeError):
        name = ctypes.util.find_library("c")
        if name:
            libc = ctypes.CDLL(name)
            if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim"):
                return libc
    return None


_LIBC = _libc()
_M_MMAP_THRESHOLD = -3
if _LIBC is not None:
    # glibc raises its mmap threshold after a big block is freed, so the next decoded
    # image lands on the heap and stays there. Fixed at 1 MB, image blocks are mapped
    # and unmapped whole: the memory of a decode is given back when it ends.
    _LIBC.mallopt(_M_MMAP_THRESHOLD, 1024 * 1024)


def _give_back_memory() -> None:
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
