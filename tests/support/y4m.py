"""Y4M videos for Chromium's fake camera (``--use-file-for-fake-video-capture``).

A Y4M file is a one-line header and then, per frame, ``FRAME\\n`` and the raw planes
in I420 (4:2:0): full-size luma, then quarter-size U and V. Chromium loops the file.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps


def i420(frame: Image.Image) -> bytes:
    """One frame in I420: Y, then U and V at half width and height (even sizes only)."""
    width, height = frame.size
    if width % 2 or height % 2:
        raise ValueError(f"I420 needs an even frame size, got {frame.size}")
    y, u, v = frame.convert("YCbCr").split()
    half = (width // 2, height // 2)
    return (y.tobytes() + u.resize(half, Image.Resampling.BOX).tobytes()
            + v.resize(half, Image.Resampling.BOX).tobytes())


def still_video(picture: Image.Image, path: Path, *, seconds: float = 3.0, fps: int = 10,
                size: tuple[int, int] = (640, 480)) -> Path:
    """Write ``seconds`` of ``picture`` (centred on white, shrunk to fit) as a Y4M file."""
    frame = Image.new("RGB", size, "white")
    fitted = ImageOps.contain(picture.convert("RGB"), (size[0] - 40, size[1] - 40))
    frame.paste(fitted, ((size[0] - fitted.width) // 2, (size[1] - fitted.height) // 2))
    data = i420(frame)
    header = f"YUV4MPEG2 W{size[0]} H{size[1]} F{fps}:1 Ip A1:1 C420jpeg\n".encode()
    with path.open("wb") as out:
        out.write(header)
        for _ in range(max(1, round(seconds * fps))):
            out.write(b"FRAME\n")
            out.write(data)
    return path
