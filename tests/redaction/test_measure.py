"""The outside measure of masking: what counts as left, and what as masked needlessly."""

from __future__ import annotations

import cv2
import numpy as np

from custos.redaction.measure import clipped, compare, grown, sharpness


def _textured(seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (120, 160, 3), dtype=np.uint8)


def test_a_blurred_region_is_hidden_and_an_untouched_one_left() -> None:
    before = _textured()
    after = before.copy()
    after[20:60, 30:80] = cv2.blur(before[20:60, 30:80], (15, 15))
    found = compare(before, after, [(30, 20, 80, 60), (100, 70, 140, 110)])
    assert (found.regions, found.left) == (2, 1)


def test_changes_outside_the_grown_regions_are_over_masking() -> None:
    before = np.full((100, 100, 3), 100, dtype=np.uint8)
    after = before.copy()
    after[40:50, 40:50] = 255  # inside the region grown by its own size: not counted
    after[0:5, 90:100] = 0  # far from it: counted
    after[95:100, 0:10] = 120  # changed, but by less than 40 levels: not counted
    found = compare(before, after, [(40, 40, 50, 50)])
    assert found.changed_outside == 50
    assert found.pixels_outside == 100 * 100 - 30 * 30


def test_boxes_are_clipped_and_grown_inside_the_picture() -> None:
    assert clipped((-5.5, 2.2, 50.6, 300.0), 40, 30) == (0, 2, 40, 30)
    assert grown((10, 10, 20, 30), 100, 100) == (0, 0, 30, 50)
    assert sharpness(np.zeros((10, 10), dtype=np.uint8), (0, 0, 1, 1)) == 0.0
