"""Regenerate the PWA icons in static/icons/ (the PNGs are committed).

    .venv/bin/python scripts/make_icons.py

The mark is a solid white basket with a green check knocked out of it, on the
brand green: few shapes and thick strokes so it still reads at 48 px on a
launcher. Shapes are drawn at 4x and downsampled for smooth edges.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

GREEN = (11, 122, 62)  # #0b7a3e, the manifest's theme_color
WHITE = (255, 255, 255)
SUPERSAMPLE = 4
PALETTE = 32
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"


def draw_mark(draw: ImageDraw.ImageDraw, x0: float, y0: float, s: float) -> None:
    """Basket + check inside the square (x0, y0, s x s); coordinates are fractions of s."""

    def p(x: float, y: float) -> tuple[float, float]:
        return (x0 + x * s, y0 + y * s)

    w = lambda f: max(1, round(f * s))  # noqa: E731 - stroke width in px

    # Handle: upper half of an ellipse whose ends disappear into the rim.
    draw.arc([p(0.20, 0.04), p(0.80, 0.76)], start=180, end=360, fill=WHITE, width=w(0.10))
    # Rim, slightly wider than the body, with rounded ends.
    draw.rounded_rectangle([p(0.0, 0.36), p(1.0, 0.49)], radius=w(0.05), fill=WHITE)
    # Body: a trapezoid narrowing towards the bottom.
    draw.polygon([p(0.07, 0.47), p(0.93, 0.47), p(0.83, 0.96), p(0.17, 0.96)], fill=WHITE)
    # Check mark knocked out in green, with round caps and joint.
    pts = [p(0.31, 0.69), p(0.45, 0.83), p(0.70, 0.58)]
    width = w(0.12)
    draw.line(pts, fill=GREEN, width=width, joint="curve")
    r = width / 2
    for cx, cy in (pts[0], pts[-1]):
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=GREEN)


def make(size: int, *, mark: float, rounded: bool, opaque: bool) -> Image.Image:
    """mark: share of the icon's width taken by the basket.
    rounded: green rounded square on transparency (purpose "any");
    otherwise full bleed, for maskable and Apple icons that the OS crops itself."""
    big = size * SUPERSAMPLE
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if rounded:
        d.rounded_rectangle([0, 0, big - 1, big - 1], radius=round(big * 0.22), fill=GREEN)
    else:
        d.rectangle([0, 0, big, big], fill=GREEN)
    s = big * mark
    # The mark's box is square but the basket is a little shorter than wide:
    # nudge it down so it looks centred.
    draw_mark(d, (big - s) / 2, (big - s) / 2 + s * 0.01, s)
    img = img.resize((size, size), Image.Resampling.LANCZOS)
    return img.convert("RGB") if opaque else img


def exact_brand_colours(img: Image.Image) -> Image.Image:
    """The quantizer averages colours (#0b7a3e came out #0a793d): snap the opaque
    (or nearly) palette entries nearest to green and white back to the exact values."""
    mode = img.palette.mode if img.palette else "RGB"  # "RGBA" when the source had alpha
    n = len(mode)
    pal = img.getpalette(mode) or []
    entries = [tuple(pal[i : i + n]) for i in range(0, len(pal), n)]
    opaque = [k for k, e in enumerate(entries) if n == 3 or e[3] >= 250]
    for target in (GREEN, WHITE):
        i = min(opaque, key=lambda k: sum((a - b) ** 2 for a, b in zip(entries[k], target)))
        pal[n * i : n * i + n] = (*target, 255)[:n]
    img.putpalette(pal, mode)
    return img


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    icons = {
        "icon-192.png": make(192, mark=0.62, rounded=True, opaque=False),
        "icon-512.png": make(512, mark=0.62, rounded=True, opaque=False),
        # Maskable: everything inside the central circle of 80 % diameter
        # (the safe zone); a 0.52 square has a 0.735 diagonal, so it fits.
        "icon-maskable-512.png": make(512, mark=0.52, rounded=False, opaque=True),
        # iOS ignores transparency (it would turn black) and rounds corners itself.
        "apple-touch-icon.png": make(180, mark=0.60, rounded=False, opaque=True),
    }
    for name, img in icons.items():
        path = OUT / name
        # Two flat colours plus anti-aliased edges: a 32-colour palette looks the
        # same and is 4x smaller than truecolour.
        img = exact_brand_colours(img.quantize(PALETTE, method=Image.Quantize.FASTOCTREE))
        img.save(path, optimize=True)
        print(f"{path.relative_to(OUT.parent.parent)}  {img.size[0]}x{img.size[1]}  {path.stat().st_size} B")


if __name__ == "__main__":
    main()
