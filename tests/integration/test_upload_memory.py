"""Uploads cannot exhaust memory (issue #18: one 190 KB PNG under the pixel cap took
the server from 111 MB to 1.09 GB; eight proof photos at once peaked at 3.9 GB).

Peaks are measured in a fresh Python process (``ru_maxrss``), so earlier tests do not
hide them. ``benchmarks/uploads.py`` measures 20 such uploads at once on a real server.
"""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from PIL import Image

from app import photo_decode, proof_photo, upload_image
from app.photo_decode import PhotoRejected, decode_photo
from app.proof_photo import ProofRejected, clean_photo

ROOT = Path(__file__).resolve().parents[2]
PEAK_SCRIPT = """
import resource, sys
sys.path.insert(0, {root!r})
from app.photo_decode import decode_photo
from app.proof_photo import clean_photo
data = open(sys.argv[2], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    (decode_photo if sys.argv[1] == "decode" else clean_photo)(data)
    outcome = "ok"
except Exception as exc:
    outcome = getattr(exc, "code", None) or getattr(exc, "problem", None) or repr(exc)
print(outcome, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def peak(route: str, data: bytes, tmp_path: Path) -> tuple[str, int]:
    """(outcome, MB the process grew by) for one upload decoded in a fresh process."""
    upload = tmp_path / "upload"
    upload.write_bytes(data)
    script = PEAK_SCRIPT.format(root=str(ROOT))
    result = subprocess.run([sys.executable, "-c", script, route, str(upload)],
                            capture_output=True, text=True, timeout=60, check=True)
    outcome, grown = result.stdout.split()
    return outcome, int(grown)


WORST = {
    # A few hundred KB each, and each far past what a phone photo needs in memory.
    "png 49 MP (the report's)": lambda: encoded(Image.new("RGBA", (7000, 7000)), "PNG"),
    "png 8 MP rgba": lambda: encoded(Image.new("RGBA", (2890, 2890)), "PNG"),
    "png 8 MP palette": lambda: encoded(Image.new("P", (2890, 2890)), "PNG", transparency=0),
    "webp 16 MP": lambda: encoded(Image.new("RGB", (4096, 4096), "white"), "WEBP", quality=5),
    "jpeg 40 MP": lambda: encoded(Image.new("RGB", (6320, 6320), "white"), "JPEG", quality=20),
}


@pytest.mark.parametrize("route", ["decode", "proof"])
@pytest.mark.parametrize("kind", list(WORST))
def test_one_hostile_upload_costs_at_most_a_hundred_megabytes(
        tmp_path: Path, route: str, kind: str) -> None:
    outcome, grown = peak(route, WORST[kind](), tmp_path)
    assert outcome in ("ok", "too_many_pixels"), outcome
    assert grown < 100, f"{kind} via {route}: +{grown} MB ({outcome})"


@pytest.mark.parametrize(("image", "fmt"), [
    (Image.new("CMYK", (64, 64)), "JPEG"),
    (Image.new("I;16", (64, 64)), "PNG"),
    (Image.new("RGB", (64, 64)), "GIF"),
    (Image.new("RGB", (64, 64)), "BMP"),
    (Image.new("RGB", (64, 64)), "TIFF"),
])
def test_formats_and_modes_no_phone_photo_needs_are_refused(image: Image.Image,
                                                            fmt: str) -> None:
    data = encoded(image, fmt)
    with pytest.raises(PhotoRejected) as scan:
        decode_photo(data)
    assert (scan.value.status, scan.value.code) == (422, "not_an_image")
    with pytest.raises(ProofRejected) as proof:
        clean_photo(data)
    assert (proof.value.status, proof.value.problem) == (422, "not_an_image")


def test_barcode_photos_and_proofs_share_one_limit_of_two_decodes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    running, most, lock = 0, 0, threading.Lock()

    def slow(*_: Any, **__: Any) -> Any:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return []

    monkeypatch.setattr(photo_decode, "decode_photo", slow)
    monkeypatch.setattr(proof_photo, "clean_photo", slow)

    async def both_routes_at_once() -> None:
        async with anyio.create_task_group() as group:
            for _ in range(4):
                group.start_soon(photo_decode.decode_photo_async, b"")
                group.start_soon(proof_photo.clean_photo_async, b"")

    anyio.run(both_routes_at_once)
    assert most == upload_image.DECODE_CONCURRENCY == 2


def test_at_most_three_multipart_requests_are_read_at_once() -> None:
    inside, most = 0, 0

    async def app(scope: Any, receive: Any, send: Any) -> None:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await anyio.sleep(0.02)
        inside -= 1

    gate = upload_image.UploadGate(app)
    multipart = {"type": "http", "headers": [(b"content-type",
                                              b"multipart/form-data; boundary=x")]}
    plain = {"type": "http", "headers": [(b"content-type", b"application/json")]}

    async def burst(scope: dict[str, Any]) -> int:
        nonlocal most
        most = 0
        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(gate, scope, None, None)
        return most

    assert anyio.run(burst, multipart) == upload_image.UPLOAD_CONCURRENCY == 3
    assert anyio.run(burst, plain) == 10  # everything else is not held up
