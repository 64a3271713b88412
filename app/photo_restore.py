"""Where the barcodes are in a photo, and blurred bars made readable again (numpy).

``find_regions`` looks once at a small view for patches of strong, steady gradient (a
barcode's bars or a 2D code's modules), so the heavy steps of ``app.photo_decode`` run
on a crop of the photo instead of the whole frame. For each region it also gives the
bars' normal (the direction the gradient points) and how coherent that direction is:
near 1 for the bars of a linear code, lower for a 2D code or print.

``bar_profiles`` turns a linear code upright (bars vertical), averages bands of rows
into 1-D profiles (noise averages away, the bars do not), and ``restore`` undoes a
blur along the profile: a Wiener filter with a Gaussian (out of focus) or a box (the
camera moved; any straight shake, projected on the bars' normal, is a box) point
spread function of a given width. ``as_strip`` draws a profile as a short image a
decoder can read.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image

BLOCK = 8
"""Pixels of the small view summed into one cell of the gradient map."""


@dataclass(frozen=True)
class Region:
    """A box in photo pixels (left, top, right, bottom) that may hold a code."""

    box: tuple[int, int, int, int]
    normal: float
    """Direction of the bars' normal in degrees, counter-clockwise from the x axis
    as the photo is shown (y pointing down)."""
    coherence: float
    """0..1: how much of the gradient energy points along ``normal``."""


def _cells(m: np.ndarray, block: int) -> np.ndarray:
    """Sums over ``block`` x ``block`` cells (the ragged edge dropped)."""
    h, w = m.shape[0] // block * block, m.shape[1] // block * block
    rows = m[:h, :w].reshape(h, w // block, block).sum(axis=2)
    return np.asarray(rows.reshape(h // block, block, w // block).sum(axis=1))


def _box3(m: np.ndarray) -> np.ndarray:
    p = np.pad(m, 1, mode="edge")
    out = np.zeros_like(m)
    for dy in range(3):
        for dx in range(3):
            out += p[dy:dy + m.shape[0], dx:dx + m.shape[1]]
    return out / 9.0


def find_regions(small: Image.Image, scale: float, *, limit: int = 3) -> list[Region]:
    """Up to ``limit`` boxes (in photo pixels: small-view pixels times ``scale``) where
    a code may be, strongest first."""
    a = np.asarray(small, dtype=np.float32)
    if min(a.shape) < 4 * BLOCK:
        return []
    gx = (a[1:-1, 2:] - a[1:-1, :-2]) * 0.5
    gy = (a[2:, 1:-1] - a[:-2, 1:-1]) * 0.5
    area = float(BLOCK * BLOCK)
    jxx, jyy, jxy = (_box3(_cells(m, BLOCK) / area) for m in (gx * gx, gy * gy, gx * gy))
    energy = jxx + jyy
    # Anisotropy: the bars of a linear code put all their energy on one axis, noise and
    # smooth shading none; a 2D code has much energy in both.
    aniso = np.sqrt((jxx - jyy) ** 2 + 4 * jxy ** 2)
    score = 0.5 * energy + 0.5 * aniso
    top = float(np.percentile(score, 99.5))
    if top <= 4.0:  # a flat or nearly flat picture
        return []
    mask = score > 0.25 * top
    regions: list[tuple[float, Region]] = []
    seen = np.zeros_like(mask)
    rows, cols = mask.shape
    for start in zip(*np.nonzero(mask), strict=True):
        if seen[start]:
            continue
        stack = [start]
        seen[start] = True
        cells = []
        while stack:
            y, x = stack.pop()
            cells.append((y, x))
            for ny, nx in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
                if 0 <= ny < rows and 0 <= nx < cols and mask[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    stack.append((ny, nx))
        if len(cells) < 4:
            continue
        ys = np.array([c[0] for c in cells])
        xs = np.array([c[1] for c in cells])
        sxx, syy, sxy = float(jxx[ys, xs].sum()), float(jyy[ys, xs].sum()), float(jxy[ys, xs].sum())
        total = sxx + syy
        coherence = math.sqrt((sxx - syy) ** 2 + 4 * sxy ** 2) / total if total else 0.0
        # Gradient angle in image coordinates (y down); flip to the usual counter-clockwise.
        normal = -math.degrees(0.5 * math.atan2(2 * sxy, sxx - syy))
        pad_y = max(2, (ys.max() - ys.min() + 1) // 6)
        pad_x = max(2, (xs.max() - xs.min() + 1) // 6)
        box = (
            max(0, int((xs.min() - pad_x) * BLOCK * scale)),
            max(0, int((ys.min() - pad_y) * BLOCK * scale)),
            int((xs.max() + 1 + pad_x) * BLOCK * scale),
            int((ys.max() + 1 + pad_y) * BLOCK * scale),
        )
        region = Region(box, normal, coherence)
        regions.append((float(score[ys, xs].sum()), region))
    regions.sort(key=lambda pair: -pair[0])
    return [region for _, region in regions[:limit]]


def upright(crop: Image.Image, normal: float) -> Image.Image:
    """``crop`` turned so the bars (whose normal is ``normal`` degrees) stand vertical."""
    # Turning by -normal brings the normal onto the x axis; a half turn reads the same.
    return crop.rotate(-normal, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255)


def _bar_rows(a: np.ndarray) -> tuple[int, int] | None:
    """The rows (top, bottom) of an upright crop where the bars are: the longest run of
    rows with strong horizontal gradient (not a line of text beside them)."""
    row_energy = np.abs(a[:, 2:] - a[:, :-2]).mean(axis=1)
    idx = np.nonzero(row_energy > 0.4 * float(row_energy.max()))[0]
    if idx.size < 3:
        return None
    breaks = np.nonzero(np.diff(idx) > 2)[0]
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [idx.size - 1]))
    longest = int(np.argmax(idx[ends] - idx[starts]))
    return int(idx[starts[longest]]), int(idx[ends[longest]]) + 1


def _residual_angle(a: np.ndarray) -> float:
    """What is left of the bars' tilt in an upright crop's bar rows, in degrees (the
    small view's estimate is off by a degree or so, which smears a tall average)."""
    gx = a[1:-1, 2:] - a[1:-1, :-2]
    gy = a[2:, 1:-1] - a[:-2, 1:-1]
    sxx, syy, sxy = float((gx * gx).sum()), float((gy * gy).sum()), float((gx * gy).sum())
    return -math.degrees(0.5 * math.atan2(2 * sxy, sxx - syy))


def bar_profiles(crop: Image.Image, normal: float, bands: int = 3) -> list[np.ndarray]:
    """1-D profiles across the bars of ``crop`` (bars' normal ``normal`` degrees): the
    crop turned upright (the angle refined on the crop itself), the bar rows averaged
    whole and in ``bands`` overlapping bands (noise averages away, the bars do not)."""
    a = np.asarray(upright(crop, normal), dtype=np.float32)
    if a.shape[0] < 8 or a.shape[1] < 16:
        return []
    rows = _bar_rows(a)
    if rows is None:
        return []
    for _ in range(2):  # the small view's estimate can be off by several degrees (aliasing)
        residual = _residual_angle(a[rows[0]:rows[1]])
        if not 0.2 < abs(residual) < 30:
            break
        normal += residual
        a = np.asarray(upright(crop, normal), dtype=np.float32)
        rows = _bar_rows(a)
        if rows is None:
            return []
    top, bottom = rows
    height = bottom - top
    profiles = []
    if height >= 3:
        profiles.append(a[top + height // 8: bottom - height // 8 or bottom].mean(axis=0))
    if height >= 3 * bands:
        step = height / (bands + 1)
        for k in range(bands):
            profiles.append(a[int(top + k * step): int(top + (k + 2) * step)].mean(axis=0))
    return profiles


def restore(profile: np.ndarray, kind: str, width: float, *, damping: float = 0.02
            ) -> np.ndarray:
    """``profile`` with a blur of ``kind`` ('gauss': sigma, 'box': length, in pixels)
    undone by a Wiener filter; 'none' returns it as it is."""
    if kind == "none" or width <= 0:
        return profile
    pad = int(4 * width) + 16
    padded = np.pad(profile, pad, mode="edge")
    n = 1 << (padded.size - 1).bit_length()
    freqs = np.fft.rfftfreq(n)
    if kind == "gauss":
        transfer = np.exp(-2 * (math.pi * freqs * width) ** 2)
    else:  # a box of ``width`` pixels: a sinc, with its sign changes
        transfer = np.sinc(freqs * width)
    spectrum = np.fft.rfft(padded - padded.mean(), n)
    wiener = transfer / (transfer ** 2 + damping)
    restored = np.fft.irfft(spectrum * wiener, n)[: padded.size] + padded.mean()
    return np.asarray(restored[pad: pad + profile.size])


def as_strip(profile: np.ndarray, *, stretch: int = 2, height: int = 24) -> Image.Image:
    """The profile drawn as an image ``height`` rows tall, ``stretch`` times wider, grey
    levels stretched so the darkest bars are black and the paper white."""
    lo, hi = np.percentile(profile, (3, 97))
    if hi - lo < 1e-3:
        hi = lo + 1
    x = np.arange(profile.size * stretch) / stretch
    wide = np.interp(x, np.arange(profile.size), profile)
    levels = np.clip((wide - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)
    quiet = np.full(24 * stretch, 255, dtype=np.uint8)
    row = np.concatenate((quiet, levels, quiet))
    return Image.fromarray(np.repeat(row[None, :], height, axis=0), "L")


def binary_strips(profile: np.ndarray, windows: tuple[int, ...], *, stretch: int = 2,
                  height: int = 16) -> Iterator[Image.Image]:
    """The profile in black and white, thresholded at its local mean over each of
    ``windows`` pixels (a blurred narrow bar never gets as dark as a wide one), drawn
    as a strip with white quiet zones."""
    quiet = np.full(24 * stretch, 255, dtype=np.uint8)
    lo, hi = np.percentile(profile, (3, 97))
    margin = 0.06 * float(hi - lo)  # flat paper stays white, whatever its noise
    for window in windows:
        kernel = np.ones(window) / window
        mean = np.convolve(np.pad(profile, window, mode="edge"), kernel, mode="same")
        levels = np.where(profile < mean[window:-window] - margin, 0, 255).astype(np.uint8)
        row = np.concatenate((quiet, np.repeat(levels, stretch), quiet))
        yield Image.fromarray(np.repeat(row[None, :], height, axis=0), "L")


def bar_count(profile: np.ndarray, window: int = 25) -> int:
    """About how many dark bars a profile crosses (thresholded at its local mean): a
    linear code has 20 or more even when blurred, the edge of a box on a shelf one or two."""
    strip = next(binary_strips(profile, (window,), stretch=1, height=1))
    row = np.asarray(strip, dtype=np.int16)[0]
    return int(np.count_nonzero(np.diff(row) < 0))
