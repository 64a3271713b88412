"""Delivery proof photos: checked for size, shrunk, and stripped of EXIF and GPS.

The saved JPEG is re-encoded from pixels only (at most 1280 px on the long side,
quality 80), so no metadata of the phone's original survives.
"""

from __future__ import annotations

import io
import secrets
import warnings
from pathlib import Path

import anyio.to_thread
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PROOF_BYTES = 12 * 1024 * 1024
MAX_PROOF_PIXELS = 40_000_000
LONG_SIDE = 1280
QUALITY = 80
_FORMATS = ("JPEG", "PNG", "WEBP")


class ProofRejected(ValueError):
    """``status`` is 413 (too many bytes or pixels) or 422 (not a photo)."""

    def __init__(self, status: int, problem: str) -> None:
        super().__init__(problem)
        self.status = status
        self.problem = problem  # "too_large" | "too_many_pixels" | "not_an_image"


def clean_photo(data: bytes, *, max_bytes: int = MAX_PROOF_BYTES,
                max_pixels: int = MAX_PROOF_PIXELS) -> bytes:
    """The photo upright, shrunk and re-encoded as a metadata-free JPEG.

    The size is checked from the header before any pixel is decoded. Raises
    ProofRejected.
    """
    if len(data) > max_bytes:
        raise ProofRejected(413, "too_large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ProofRejected(413, "too_many_pixels") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ProofRejected(422, "not_an_image") from exc
    width, height = image.size
    if width * height > max_pixels:
        raise ProofRejected(413, "too_many_pixels")
    try:
        image.draft("RGB", (LONG_SIDE, LONG_SIDE))
        upright = ImageOps.exif_transpose(image).convert("RGB")
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ProofRejected(422, "not_an_image") from exc
    upright.thumbnail((LONG_SIDE, LONG_SIDE))
    clean = Image.frombytes("RGB", upright.size, upright.tobytes())  # pixels only, no EXIF
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()


async def save_proof(data: bytes, data_dir: Path, order_id: int) -> str:
    """Clean the photo in a worker thread and store it; returns its path under data_dir."""
    cleaned = await anyio.to_thread.run_sync(clean_photo, data)
    relative = Path("proofs") / f"order-{order_id}-{secrets.token_hex(8)}.jpg"
    target = data_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    await anyio.to_thread.run_sync(target.write_bytes, cleaned)
    return str(relative)
