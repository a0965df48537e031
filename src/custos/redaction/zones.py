"""Privacy zones as pixel masks: the parts of a camera's picture that are never kept or shown.

A zone is a polygon whose corners are fractions of the picture's width and height, so it
survives a change of the camera's resolution. Masked pixels become black (Y 16, neutral
chroma): a constant, so nothing of what was there can be recovered from a stored frame.

The mask is the polygon grown by `SPARE` pixels and rounded outwards to whole 16 x 16 blocks.
H.264 codes a picture in such blocks, predicting each from its neighbours and smoothing
across block edges; a zone that cuts through blocks comes back from the encoder with the
scene bleeding into its edge. In whole blocks with a block to spare, the stored luma of every
zone pixel is exactly the fill and the chroma within one level of it (tests/recording/
test_zones.py checks this on segments recorded from a live camera).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from numpy.typing import NDArray

from custos.redaction.render import yuv420_planes

Point = tuple[float, float]

# Corners are placed with 8 bits of sub-pixel precision, then rounded outward by the fill.
_SHIFT = 8
BLOCK = 16  # the H.264 macroblock
SPARE = 16  # pixels added around the polygon before rounding to blocks


class ZoneMask:
    """The zones of one camera for pictures of one size (even width and height)."""

    def __init__(self, zones: Sequence[Sequence[Point]], width: int, height: int) -> None:
        if width % 2 or height % 2:
            raise ValueError(f"zones are applied to pictures of even size, not {width}x{height}")
        self.width, self.height = width, height
        luma = np.zeros((height, width), dtype=np.uint8)
        scale = 1 << _SHIFT
        for points in zones:
            corners = np.array(
                [[round(x * width * scale), round(y * height * scale)] for x, y in points],
                dtype=np.int32,
            )
            cv2.fillPoly(luma, [corners], 1, lineType=cv2.LINE_8, shift=_SHIFT)
        self.polygons: NDArray[np.bool_] = luma.astype(bool)  # the zones as drawn
        grown = cv2.dilate(luma, np.ones((2 * SPARE + 1, 2 * SPARE + 1), dtype=np.uint8))
        rows, cols = -(-height // BLOCK), -(-width // BLOCK)
        padded = np.zeros((rows * BLOCK, cols * BLOCK), dtype=np.uint8)
        padded[:height, :width] = grown
        blocks = padded.reshape(rows, BLOCK, cols, BLOCK).max(axis=(1, 3))
        whole = np.repeat(np.repeat(blocks, BLOCK, axis=0), BLOCK, axis=1)[:height, :width]
        self.luma: NDArray[np.bool_] = whole.astype(bool)  # what is masked
        # Whole blocks cover whole chroma samples: each colours 2 x 2 masked pixels.
        self.chroma: NDArray[np.bool_] = self.luma[::2, ::2].copy()

    @property
    def empty(self) -> bool:
        """Whether the zones cover no pixel at all at this size."""
        return not self.luma.any()

    def apply_yuv420(self, frame: NDArray[np.uint8]) -> None:
        """Blacken the zones in a yuv420p array (PyAV's layout), in place."""
        luma, blue, red = yuv420_planes(frame, self.width, self.height)
        luma.pixels[self.luma] = 16
        blue.pixels[self.chroma] = 128
        red.pixels[self.chroma] = 128

    def apply_bgr(self, picture: NDArray[np.uint8]) -> None:
        """Blacken the zones in a BGR picture, in place."""
        picture[self.luma] = 0
