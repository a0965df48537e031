"""How well a masked picture hides what it must, measured as an outsider would. Pure arithmetic.

A region counts as *left* (still recognisable) when the output's sharpness inside it, the
variance of the Laplacian of the grey picture, has not dropped to a quarter of the input's.
Over-masking is the share of pixels changed by more than 40 grey levels outside the regions
grown by their own size on every side. `benchmarks/masking.py` and the recall tests use these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

Image = NDArray[np.uint8]
Rect = tuple[int, int, int, int]  # left, top, right, bottom, in whole pixels

SHARPNESS_KEPT = 0.25  # left: the output kept more than a quarter of the input's sharpness
CHANGED = 40  # grey levels


@dataclass
class Comparison:
    """One frame's input and output compared over the regions that had to be hidden."""

    regions: int
    left: int
    changed_outside: int
    pixels_outside: int


def sharpness(grey: Image, rect: Rect) -> float:
    """Variance of the Laplacian inside `rect` (0 for an empty one)."""
    left, top, right, bottom = rect
    crop = grey[top:bottom, left:right]
    if crop.size < 4:
        return 0.0
    return float(cv2.Laplacian(crop, cv2.CV_64F).var())


def clipped(box: Sequence[float], width: int, height: int) -> Rect:
    """`box` in whole pixels inside a `width` x `height` picture."""
    left, top, right, bottom = box
    return (
        max(0, int(left)),
        max(0, int(top)),
        min(width, round(right)),
        min(height, round(bottom)),
    )


def grown(rect: Rect, width: int, height: int) -> Rect:
    """`rect` grown by its own size on every side."""
    left, top, right, bottom = rect
    w, h = right - left, bottom - top
    return clipped((left - w, top - h, right + w, bottom + h), width, height)


def compare(before: Image, after: Image, regions: Sequence[Rect]) -> Comparison:
    """Compare an input picture (BGR) with its masked output over `regions`."""
    if after.shape != before.shape:
        after = np.asarray(cv2.resize(after, (before.shape[1], before.shape[0])), np.uint8)
    grey_in = np.asarray(cv2.cvtColor(before, cv2.COLOR_BGR2GRAY), np.uint8)
    grey_out = np.asarray(cv2.cvtColor(after, cv2.COLOR_BGR2GRAY), np.uint8)
    height, width = grey_in.shape
    outside = np.ones((height, width), dtype=bool)
    left = 0
    for rect in regions:
        sharp_in = sharpness(grey_in, rect)
        left += sharp_in > 0 and sharpness(grey_out, rect) > SHARPNESS_KEPT * sharp_in
        x0, y0, x1, y1 = grown(rect, width, height)
        outside[y0:y1, x0:x1] = False
    changed = np.abs(grey_in.astype(np.int16) - grey_out.astype(np.int16)) > CHANGED
    return Comparison(
        len(regions),
        left,
        int(np.count_nonzero(changed & outside)),
        int(np.count_nonzero(outside)),
    )
