"""app.photo_restore: where the code is, which way its bars stand, and blur undone."""

from __future__ import annotations

import numpy as np
from PIL import Image

from app import photo_restore
from tests.support import barcode_images as bi


def test_the_region_of_a_turned_barcode_is_found_with_its_bars_normal() -> None:
    frame = bi.degrade(bi.ean13_image("4601234567893"), rotation=12, noise=4,
                       place_in=(1280, 960), seed=3).convert("L")
    small = frame.resize((640, 480), Image.Resampling.BOX)
    region = photo_restore.find_regions(small, 2.0)[0]
    assert abs(region.normal - 12) < 10  # counter-clockwise, as Pillow turns it; coarse
    assert region.coherence > 0.5
    left, top, right, bottom = region.box
    assert right - left < 1000 and bottom - top < 800  # a crop, not the frame


def test_the_bars_are_stood_upright_on_the_crop_to_within_a_degree() -> None:
    """The small view aliases fine bars and gets their angle wrong by several degrees;
    the crop refines it, so a tall average of rows keeps every bar apart."""
    frame = bi.degrade(bi.ean13_image("4601234567893"), rotation=12, noise=4,
                       place_in=(1280, 960), seed=3).convert("L")
    region = photo_restore.find_regions(frame.resize((640, 480), Image.Resampling.BOX), 2.0)[0]
    whole = photo_restore.bar_profiles(frame.crop(region.box), region.normal)[0]
    assert photo_restore.bar_count(whole) >= 28  # EAN-13: 30 bars


def test_a_flat_picture_has_no_regions() -> None:
    assert photo_restore.find_regions(Image.new("L", (640, 480), 128), 1.0) == []


def test_a_box_blur_is_undone_along_the_profile() -> None:
    bars = np.asarray(bi.ean13_image("4601234567893"), dtype=np.float32)
    sharp = bars[bars.shape[0] // 3]
    blurred = np.convolve(np.pad(sharp, 20, mode="edge"), np.ones(7) / 7, mode="same")[20:-20]
    restored = photo_restore.restore(blurred, "box", 7, damping=0.001)
    assert np.abs(restored - sharp).mean() < 0.5 * np.abs(blurred - sharp).mean()


def test_a_barcode_profile_crosses_many_bars_and_a_box_edge_few() -> None:
    bars = np.asarray(bi.ean13_image("4601234567893"), dtype=np.float32)
    assert photo_restore.bar_count(bars[bars.shape[0] // 3]) >= 25
    edge = np.concatenate((np.full(200, 200.0), np.full(200, 60.0)))
    assert photo_restore.bar_count(edge) <= 2
