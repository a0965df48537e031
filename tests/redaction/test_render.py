"""Masking pixels: only the masked region changes, and what is inside it cannot be recovered."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custos.redaction.detectors import FACE, PERSON, PLATE
from custos.redaction.render import (
    BLUR_CELLS,
    PIXEL_CELLS,
    Look,
    Shape,
    Style,
    bgr_planes,
    mask_of,
    region,
    render,
    yuv420_planes,
)

KINDS = (FACE, PLATE, PERSON)
STYLES = list(Style)
SHAPES = list(Shape)


def noise(seed, height, width, low=0):
    """A detailed BGR picture: every pixel independent."""
    rng = np.random.default_rng(seed)
    return rng.integers(low, 256, (height, width, 3), dtype=np.uint8)


def rect_mask(objects, margin, width, height):
    """The union of the objects' masked rectangles, whatever their shape."""
    mask = np.zeros((height, width), dtype=bool)
    for kind, box in objects:
        rect = region(box, margin, width, height, kind)
        if rect is not None:
            x0, y0, x1, y1 = rect
            mask[y0:y1, x0:x1] = True
    return mask


def halved(mask, how):
    """A frame-sized mask brought to 4:2:0 chroma size: `how` (any/all) of each 2x2 block."""
    height, width = mask.shape
    return how(mask.reshape(height // 2, 2, width // 2, 2), axis=(1, 3))


def chroma(yuv, height, width):
    """The U and V planes of an I420 array, as a 2 x height/2 x width/2 array."""
    return yuv[height:].reshape(2, height // 2, width // 2)


def to_i420(bgr):
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420)


@st.composite
def scenes(draw, even=False):
    """A frame size and objects in or near it, some partly or wholly outside."""
    if even:
        width = 2 * draw(st.integers(min_value=2, max_value=40))
        height = 2 * draw(st.integers(min_value=2, max_value=40))
    else:
        width = draw(st.integers(min_value=1, max_value=80))
        height = draw(st.integers(min_value=1, max_value=80))
    objects = []
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        x0 = draw(st.floats(min_value=-30, max_value=width + 10))
        y0 = draw(st.floats(min_value=-30, max_value=height + 10))
        w = draw(st.floats(min_value=0.5, max_value=60))
        h = draw(st.floats(min_value=0.5, max_value=60))
        objects.append((draw(st.sampled_from(KINDS)), (x0, y0, x0 + w, y0 + h)))
    return width, height, objects


margins = st.floats(min_value=0, max_value=2)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


# --- where pixels change --------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("style", STYLES)
@settings(max_examples=40, deadline=None)
@given(scene=scenes(), margin=margins, seed=seeds)
def test_pixels_outside_the_mask_are_unchanged(style, shape, scene, margin, seed):
    width, height, objects = scene
    look = Look(style, shape, margin)
    frame = noise(seed, height, width)
    original = frame.copy()
    render(bgr_planes(frame), objects, look)
    outside = ~mask_of(objects, look, width, height)
    assert np.array_equal(frame[outside], original[outside])


@pytest.mark.parametrize("shape", SHAPES)
@settings(max_examples=50, deadline=None)
@given(scene=scenes(), margin=margins, seed=seeds)
def test_solid_paints_the_whole_mask_black(shape, scene, margin, seed):
    width, height, objects = scene
    look = Look(Style.SOLID, shape, margin)
    frame = noise(seed, height, width)
    render(bgr_planes(frame), objects, look)
    inside = mask_of(objects, look, width, height)
    assert (frame[inside] == 0).all()


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("style", STYLES)
@settings(max_examples=30, deadline=None)
@given(scene=scenes(even=True), margin=margins, seed=seeds)
def test_yuv_changes_stay_within_the_subsampled_region(style, shape, scene, margin, seed):
    width, height, objects = scene
    look = Look(style, shape, margin)
    yuv = to_i420(noise(seed, height, width))
    original = yuv.copy()
    render(yuv420_planes(yuv, width, height), objects, look)
    outside = ~mask_of(objects, look, width, height)
    assert np.array_equal(yuv[:height][outside], original[:height][outside])
    # A chroma sample may change only if its 2x2 block of luma touches a masked rectangle.
    allowed = halved(rect_mask(objects, margin, width, height), np.any)
    changed = chroma(yuv, height, width) != chroma(original, height, width)
    assert not (changed & ~allowed).any()


@pytest.mark.parametrize("shape", SHAPES)
@settings(max_examples=50, deadline=None)
@given(scene=scenes(even=True), margin=margins, seed=seeds)
def test_yuv_solid_is_black_in_luma_and_grey_in_chroma(shape, scene, margin, seed):
    width, height, objects = scene
    look = Look(Style.SOLID, shape, margin)
    yuv = to_i420(noise(seed, height, width))
    original = yuv.copy()
    render(yuv420_planes(yuv, width, height), objects, look)
    inside = mask_of(objects, look, width, height)
    assert (yuv[:height][inside] == 16).all()
    now, before = chroma(yuv, height, width), chroma(original, height, width)
    assert ((now == before) | (now == 128)).all(), "chroma is either kept or filled"
    if shape is Shape.BOX:
        # Boxes: the whole subsampled rectangle, rounded outwards, is filled.
        touched = halved(rect_mask(objects, margin, width, height), np.any)
        assert (now[:, touched] == 128).all()


def test_yuv_solid_box_converts_back_to_black():
    """The planes are the right ones: a filled box is black once converted back to BGR."""
    yuv = to_i420(noise(7, 60, 80))
    untouched = cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR_I420)
    render(yuv420_planes(yuv, 80, 60), [(PLATE, (10, 20, 40, 50))], Look(Style.SOLID, margin=0))
    bgr = cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR_I420)
    assert bgr[20:50, 10:40].max() <= 2
    assert untouched[20:50, 10:40].mean() > 60
    # Rows above and below share no chroma sample with the box: exactly as they were.
    assert np.array_equal(bgr[:20], untouched[:20])
    assert np.array_equal(bgr[50:], untouched[50:])


def test_yuv_planes_are_views_of_the_frame():
    frame = np.zeros((12 * 3 // 2, 8), dtype=np.uint8)
    luma, u, v = yuv420_planes(frame, 8, 12)
    assert (luma.pixels.shape, u.pixels.shape, v.pixels.shape) == ((12, 8), (6, 4), (6, 4))
    assert (luma.subsampling, u.subsampling, v.subsampling) == (1, 2, 2)
    u.pixels[...] = 1
    v.pixels[...] = 2
    # I420: all of U (6 x 4 = 24 bytes = 3 rows of 8), then all of V.
    assert (frame[:12] == 0).all()
    assert (frame[12:15] == 1).all()
    assert (frame[15:18] == 2).all()


@pytest.mark.parametrize("style", STYLES)
def test_nothing_to_mask_changes_nothing(style):
    frame = noise(1, 40, 50)
    original = frame.copy()
    render(bgr_planes(frame), [], Look(style))
    outside = [(FACE, (-80, -80, -50, -50)), (PLATE, (90, 0, 120, 20))]  # margins included
    render(bgr_planes(frame), outside, Look(style))
    assert np.array_equal(frame, original)


# --- how strong the mask is -----------------------------------------------------------------


def permuted_within_blocks(pixels, block, rng):
    """`pixels` with the pixels of each block x block cell shuffled among themselves."""
    rows, cols = pixels.shape[0] // block, pixels.shape[1] // block
    cells = pixels.reshape(rows, block, cols, block, 3).transpose(0, 2, 1, 3, 4)
    cells = cells.reshape(rows * cols, block * block, 3).copy()
    for cell in cells:
        order = rng.permutation(block * block)
        if (order == np.arange(block * block)).all():
            order = np.roll(order, 1)  # always move something
        cell[...] = cell[order]
    cells = cells.reshape(rows, cols, block, block, 3).transpose(0, 2, 1, 3, 4)
    return cells.reshape(pixels.shape)


@pytest.mark.parametrize("cells", [BLUR_CELLS, PIXEL_CELLS])
def test_a_face_keeps_fewer_samples_across_than_people_recognise(cells):
    # The module's promise: with the default margin a face, about 70 % of its region, is left
    # with under six samples across, below the ~7 x 10 pixels at which faces are recognised.
    margin = Look().margin
    assert margin >= 0.2
    assert cells / (1 + 2 * margin) < 6


@pytest.mark.parametrize(
    ("style", "cells"), [(Style.BLUR, BLUR_CELLS), (Style.PIXELATE, PIXEL_CELLS)]
)
@settings(max_examples=50, deadline=None)
@given(data=st.data(), seed=seeds)
def test_detail_finer_than_a_cell_cannot_be_recovered(style, cells, data, seed):
    rng = np.random.default_rng(seed)
    block = data.draw(st.integers(min_value=2, max_value=9), label="block")
    shorter = data.draw(st.integers(min_value=1, max_value=cells), label="shorter")
    width, height = cells * block, shorter * block
    if data.draw(st.booleans(), label="tall"):
        width, height = height, width
    x0 = data.draw(st.integers(min_value=0, max_value=20), label="x0")
    y0 = data.draw(st.integers(min_value=0, max_value=20), label="y0")
    frame_width = x0 + width + data.draw(st.integers(min_value=0, max_value=20))
    frame_height = y0 + height + data.draw(st.integers(min_value=0, max_value=20))
    kind = data.draw(st.sampled_from(KINDS), label="kind")

    first = noise(seed, frame_height, frame_width)
    second = first.copy()
    inside = (slice(y0, y0 + height), slice(x0, x0 + width))
    second[inside] = permuted_within_blocks(first[inside], block, rng)
    assert not np.array_equal(first, second)

    look = Look(style, Shape.BOX, margin=0)
    box = (float(x0), float(y0), float(x0 + width), float(y0 + height))
    assert region(box, 0, frame_width, frame_height) == (x0, y0, x0 + width, y0 + height)
    render(bgr_planes(first), [(kind, box)], look)
    render(bgr_planes(second), [(kind, box)], look)
    assert np.array_equal(first[inside], second[inside])


@pytest.mark.parametrize("style", [Style.BLUR, Style.PIXELATE])
def test_detail_moved_to_another_cell_does_show(style):
    """The check above can fail: moving a bright pixel into the next cell changes the output."""
    cells = BLUR_CELLS if style is Style.BLUR else PIXEL_CELLS
    block = 4
    size = cells * block
    first = np.zeros((size, size, 3), dtype=np.uint8)
    second = first.copy()
    first[1, 1] = 255  # cell (0, 0)
    second[1, block + 1] = 255  # cell (0, 1)
    look = Look(style, Shape.BOX, margin=0)
    box = (0.0, 0.0, float(size), float(size))
    render(bgr_planes(first), [(FACE, box)], look)
    render(bgr_planes(second), [(FACE, box)], look)
    assert not np.array_equal(first, second)


def laplacian_std(bgr, where):
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).astype(np.float64)
    return float(cv2.Laplacian(grey, cv2.CV_64F)[where].std())


@settings(max_examples=20, deadline=None)
@given(
    seed=seeds,
    x0=st.integers(min_value=0, max_value=100),
    y0=st.integers(min_value=0, max_value=100),
    side=st.integers(min_value=40, max_value=160),
)
def test_blur_wipes_out_the_detail_of_a_face(seed, x0, y0, side):
    frame = noise(seed, 320, 320)
    original = frame.copy()
    faces = [(FACE, (float(x0), float(y0), float(x0 + side), float(y0 + side * 1.25)))]
    look = Look(Style.BLUR)
    render(bgr_planes(frame), faces, look)
    mask = mask_of(faces, look, 320, 320).astype(np.uint8)
    # Away from the mask's edge, where the Laplacian also sees untouched neighbours.
    deep = cv2.erode(mask, np.ones((5, 5), np.uint8)).astype(bool)
    assert deep.sum() > 500
    assert laplacian_std(frame, deep) * 20 < laplacian_std(original, deep)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("kind", KINDS)
def test_the_masked_region_no_longer_looks_like_the_original(style, kind):
    frame = noise(3, 200, 240)
    original = frame.copy()
    objects = [(kind, (60.0, 50.0, 160.0, 170.0))]
    look = Look(style)
    render(bgr_planes(frame), objects, look)
    inside = mask_of(objects, look, 240, 200)
    difference = np.abs(frame.astype(int) - original.astype(int))[inside]
    # Uniform noise against its local mean differs by about 64 on average; solid by about 128.
    assert difference.mean() > 40
    assert np.mean(difference > 8) > 0.8


# --- shapes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("look", "kind", "expected"),
    [
        (Look(), FACE, Shape.ELLIPSE),
        (Look(), PLATE, Shape.BOX),
        (Look(), PERSON, Shape.BOX),
        (Look(shape=Shape.BOX), FACE, Shape.BOX),
        (Look(shape=Shape.ELLIPSE), PLATE, Shape.ELLIPSE),
        (Look(shape=Shape.ELLIPSE), FACE, Shape.ELLIPSE),
    ],
)
def test_shape_for(look, kind, expected):
    assert look.shape_for(kind) is expected


@pytest.mark.parametrize(
    ("shape", "kind", "corners_masked"),
    [
        (Shape.ELLIPSE, FACE, False),
        (Shape.ELLIPSE, PLATE, False),
        (Shape.BOX, FACE, True),
        (Shape.BOX, PLATE, True),
        (Shape.AUTO, FACE, False),
        (Shape.AUTO, PLATE, True),
        (Shape.AUTO, PERSON, True),
    ],
)
def test_an_ellipse_spares_the_corners_and_a_box_does_not(shape, kind, corners_masked):
    frame = noise(5, 100, 120, low=1)  # never black, so any solid pixel shows
    original = frame.copy()
    look = Look(Style.SOLID, shape, margin=0)
    objects = [(kind, (30.0, 20.0, 70.0, 50.0))]
    render(bgr_planes(frame), objects, look)
    mask = mask_of(objects, look, 120, 100)
    corners = [(20, 30), (20, 69), (49, 30), (49, 69)]  # (row, column), inside the region
    for row, column in corners:
        assert mask[row, column] == corners_masked
        assert (frame[row, column] == 0).all() == corners_masked
        if not corners_masked:
            assert np.array_equal(frame[row, column], original[row, column])
    for row, column in [(35, 50), (21, 50), (48, 50), (35, 31), (35, 68)]:  # centre, edge middles
        assert mask[row, column]
        assert (frame[row, column] == 0).all()
    # Outside the region nothing is masked at all.
    assert not mask[:20].any()
    assert not mask[50:].any()
    assert not mask[:, :30].any()
    assert not mask[:, 70:].any()


# --- regions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("box", "margin", "expected"),
    [
        ((10, 20, 30, 40), 0, (10, 20, 30, 40)),
        ((10.2, 20.7, 30.5, 40.1), 0, (10, 20, 31, 41)),  # whole pixels, rounded outwards
        ((40, 40, 80, 60), 0.25, (30, 35, 90, 65)),  # 10 px and 5 px more on each side
        ((40, 40, 80, 60), 1, (0, 20, 100, 80)),
        ((-10, -5, 30, 20), 0, (0, 0, 30, 20)),  # clipped at the top left
        ((90, 90, 130, 120), 0, (90, 90, 100, 100)),  # clipped at the bottom right
        ((-50, 10, -5, 30), 0.25, (0, 5, 7, 35)),  # outside, but its margin reaches in
        ((-50, -50, -10, -10), 0, None),
        ((110, 0, 150, 40), 0, None),
        ((0, 100, 20, 140), 0, None),
        ((-20, 10, 0, 30), 0, None),  # touching the left edge from outside
        ((-50, 10, -5, 30), 0.1, None),  # margin of 4.5 px falls short
    ],
)
def test_region(box, margin, expected):
    assert region(tuple(float(v) for v in box), margin, 100, 100) == expected


@settings(max_examples=100)
@given(scene=scenes(), margin=margins)
def test_region_is_the_widened_box_in_whole_pixels_within_the_frame(scene, margin):
    width, height, objects = scene
    for _, (x0, y0, x1, y1) in objects:
        dx, dy = (x1 - x0) * margin, (y1 - y0) * margin
        left, top, right, bottom = x0 - dx, y0 - dy, x1 + dx, y1 + dy
        rect = region((x0, y0, x1, y1), margin, width, height)
        overlaps = right > 0 and bottom > 0 and left < width and top < height
        assert (rect is not None) == overlaps
        if rect is None:
            continue
        rx0, ry0, rx1, ry1 = rect
        assert all(isinstance(v, int) for v in rect)
        assert 0 <= rx0 < rx1 <= width
        assert 0 <= ry0 < ry1 <= height
        # Covers the widened box's part inside the frame, by less than a pixel more.
        assert rx0 == max(0, math.floor(left))
        assert ry0 == max(0, math.floor(top))
        assert rx1 == min(width, math.ceil(right))
        assert ry1 == min(height, math.ceil(bottom))


@pytest.mark.parametrize("margin", [-0.1, -1e-9, 2.01, math.nan, math.inf])
def test_look_refuses_a_bad_margin(margin):
    with pytest.raises(ValueError, match="margin"):
        Look(margin=margin)


@pytest.mark.parametrize("margin", [0, 0.2, 2])
def test_look_accepts_margins_from_none_to_twice(margin):
    assert Look(margin=margin).margin == margin


@pytest.mark.parametrize(
    "box",
    [(-50.0, 0.0, 50.0, 100.0), (150.0, 120.0, 260.0, 240.0), (-30.0, -40.0, 90.0, 60.0)],
)
def test_a_face_cut_by_the_frame_edge_is_masked_up_to_the_edge(box):
    # The ellipse belongs to the whole face, not to the part that happens to be in the frame.
    look = Look(margin=0)
    mask = mask_of([(FACE, box)], look, 200, 200)
    rows, cols = np.mgrid[0:200, 0:200]
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    rx, ry = (box[2] - box[0]) / 2, (box[3] - box[1]) / 2
    inside = ((cols + 0.5 - cx) / rx) ** 2 + ((rows + 0.5 - cy) / ry) ** 2 <= 0.9
    assert inside.any()
    assert mask[inside].all()


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        # A face's region reaches further up (forehead, hair, crown) than down; as tall in all.
        ("face", (65, 51, 235, 221)),
        # A plate's region reaches further above and below its row of characters.
        ("plate", (65, 30, 235, 270)),
        ("person", (65, 65, 235, 235)),
    ],
)
def test_faces_are_masked_as_heads_and_plates_with_their_frame(kind, expected):
    assert region((100.0, 100.0, 200.0, 200.0), 0.35, 1000, 1000, kind) == expected
