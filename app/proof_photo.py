"""Delivery proof photos: checked for size, shrunk, and stripped of EXIF and GPS.

The saved JPEG is re-encoded from pixels only (at most 1280 px on the long side,
quality 80), so no metadata of the phone's original survives. Decoding goes through
``app.upload_image`` (memory budget, one limiter per process shared with the barcode
photos); the file is written only once the delivery itself has been accepted, and
only inside the data folder.
"""

from __future__ import annotations

import functools
import io
import secrets
from pathlib import Path

import anyio.to_thread
from PIL import Image

from app.upload_image import ImageRejected, open_small, run_decode

MAX_PROOF_BYTES = 12 * 1024 * 1024
MAX_PROOF_PIXELS = 40_000_000
LONG_SIDE = 1280
QUALITY = 80
_FORMATS = ("JPEG", "PNG", "WEBP")
PROOFS = "proofs"

ProofRejected = ImageRejected
"""``status`` is 413 (too many bytes or pixels) or 422 (not a photo); ``problem`` says which."""


def clean_photo(data: bytes, *, max_bytes: int = MAX_PROOF_BYTES,
                max_pixels: int = MAX_PROOF_PIXELS) -> bytes:
    """The photo upright, shrunk and re-encoded as a metadata-free JPEG.

    The size is checked from the header before any pixel is decoded. Raises
    ProofRejected.
    """
    upright = open_small(data, formats=_FORMATS, max_bytes=max_bytes, max_pixels=max_pixels,
                         long_side=LONG_SIDE, mode="RGB")
    upright.thumbnail((LONG_SIDE, LONG_SIDE))
    clean = Image.frombytes("RGB", upright.size, upright.tobytes())  # pixels only, no EXIF
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()


async def clean_photo_async(data: bytes) -> bytes:
    """``clean_photo`` behind the process's decode limiter. Raises ProofRejected."""
    return await run_decode(functools.partial(clean_photo, data))


async def store_proof(cleaned: bytes, data_dir: Path, order_id: int) -> str:
    """Write a cleaned photo under ``data_dir/proofs``; returns its path relative to
    ``data_dir``."""
    relative = Path(PROOFS) / f"order-{int(order_id)}-{secrets.token_hex(8)}.jpg"
    target = _inside(data_dir, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    await anyio.to_thread.run_sync(target.write_bytes, cleaned)
    return str(relative)


async def read_proof(data_dir: Path, relative: str) -> bytes:
    """The bytes of a stored photo (a delivery proof or a proposal's shelf photo)."""
    target = _inside(data_dir, Path(relative))
    return await anyio.to_thread.run_sync(target.read_bytes)


async def remove_proof(data_dir: Path, relative: str) -> None:
    """Delete a stored proof whose delivery was then refused."""
    target = _inside(data_dir, Path(relative))
    await anyio.to_thread.run_sync(functools.partial(target.unlink, missing_ok=True))



def _inside(data_dir: Path, relative: Path) -> Path:
    root = data_dir.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root / PROOFS):
        raise ValueError(f"{relative} is not inside {root / PROOFS}")
    return target
