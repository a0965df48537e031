"""Zone masks: whole blocks around the polygon, and nothing outside them touched."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custos.redaction.zones import BLOCK, SPARE, ZoneMask

fractions = st.floats(min_value=0, max_value=1, allow_nan=False)
polygons = st.lists(st.tuples(fractions, fractions), min_size=3, max_size=8)
sizes = st.tuples(st.integers(8, 200), st.integers(8, 200)).map(lambda s: (2 * s[0], 2 * s[1]))


@settings(max_examples=80, deadline=None)
@given(st.lists(polygons, min_size=1, max_size=3), sizes)
def test_the_mask_is_whole_blocks_holding_the_polygon_with_room_to_spare(zones, size) -> None:
    width, height = size
    mask = ZoneMask(zones, width, height)
    assert not (mask.polygons & ~mask.luma).any()
    # Whole blocks: every block is either fully masked or not at all.
    for top in range(0, height, BLOCK):
        for left in range(0, width, BLOCK):
            block = mask.luma[top : top + BLOCK, left : left + BLOCK]
            assert block.all() or not block.any()
    # Room to spare: each polygon pixel has SPARE masked pixels on every side (within frame).
    rows, cols = np.nonzero(mask.polygons)
    for row, col in list(zip(rows, cols, strict=True))[:: max(1, len(rows) // 50)]:
        window = mask.luma[
            max(0, row - SPARE) : row + SPARE + 1, max(0, col - SPARE) : col + SPARE + 1
        ]
        assert window.all()
    assert mask.chroma.shape == (height // 2, width // 2)
    assert (mask.chroma == mask.luma[::2, ::2]).all()


def test_applied_masks_change_only_the_mask() -> None:
    rng = np.random.default_rng(7)
    width, height = 320, 240
    zone = ZoneMask([[(0.1, 0.1), (0.4, 0.1), (0.3, 0.5)]], width, height)
    frame = rng.integers(0, 256, (height * 3 // 2, width), dtype=np.uint8)
    before = frame.copy()
    zone.apply_yuv420(frame)
    luma, chroma = frame[:height], frame[height:].reshape(2, height // 2, width // 2)
    assert (luma[zone.luma] == 16).all()
    assert (chroma[:, zone.chroma] == 128).all()
    assert (luma[~zone.luma] == before[:height][~zone.luma]).all()
    picture = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    original = picture.copy()
    zone.apply_bgr(picture)
    assert (picture[zone.luma] == 0).all()
    assert (picture[~zone.luma] == original[~zone.luma]).all()


def test_a_zone_over_the_whole_picture_masks_all_of_it() -> None:
    zone = ZoneMask([[(0, 0), (1, 0), (1, 1), (0, 1)]], 100, 60)
    assert zone.polygons.all()
    assert zone.luma.all()


def test_odd_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="even size"):
        ZoneMask([[(0, 0), (1, 0), (1, 1)]], 101, 60)
