"""Renderers: make the pixels of a region unrecognisable by blur, pixelation or solid fill.

A renderer works on image planes: one BGR array for a photo, or the Y, U and V planes of a
decoded video frame (so video is never converted to RGB and back). Each plane says how much
smaller it is than the frame, so that one list of boxes in frame pixels serves all of them.

How strong: the region is first averaged down to at most `BLUR_CELLS` samples along its longer
side. With the default margin a face fills about 70 % of the region, so under six samples
remain across it, and the Gaussian of one sample that follows smooths even those together.
Sinha et al. (Proc. IEEE, 2006) report that people still recognise familiar faces from about
7 x 10 pixels; we stay below that. Pixelation keeps `PIXEL_CELLS` blocks along the longer side;
solid fill keeps nothing. Averaging down is not invertible: two faces that differ only in
detail finer than a sample come out identical (tests/redaction/test_render.py checks this).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from custos.redaction import choices
from custos.redaction.choices import Shape as Shape
from custos.redaction.choices import Style as Style
from custos.redaction.detectors import FACE, PLATE, Box, as_frame

Masked = tuple[str, Box]  # the kind of object and its box in frame pixels

BLUR_CELLS = 8
PIXEL_CELLS = 6
HEAD_RISE = choices.HEAD_RISE
PLATE_HEIGHTEN = choices.PLATE_HEIGHTEN


@dataclass(frozen=True)
class Look:
    """Everything that decides how a detection is masked."""

    style: Style = Style.BLUR
    shape: Shape = Shape.AUTO
    margin: float = choices.MARGIN  # on each side, a fraction of the box's width and height

    def __post_init__(self) -> None:
        if not 0 <= self.margin <= 2:
            raise ValueError(f"margin must be between 0 and 2, not {self.margin}")

    def shape_for(self, kind: str) -> Shape:
        """The outline used for objects of `kind`."""
        if self.shape is not Shape.AUTO:
            return self.shape
        return Shape.ELLIPSE if kind == FACE else Shape.BOX


@dataclass(frozen=True)
class Plane:
    """One image plane to mask: `pixels` is a view written in place."""

    pixels: NDArray[np.uint8]
    subsampling: int  # 1 for full resolution, 2 for the chroma planes of 4:2:0 video
    fill: tuple[int, ...]  # the solid colour in this plane's values


def bgr_planes(frame: NDArray[np.uint8]) -> list[Plane]:
    """A BGR picture as one plane; solid fill is black."""
    return [Plane(frame, 1, (0, 0, 0))]


def yuv420_planes(frame: NDArray[np.uint8], width: int, height: int) -> list[Plane]:
    """The Y, U and V planes of a yuv420p array as PyAV lays it out (height * 3/2 rows)."""
    luma = frame[:height]
    chroma = frame[height:].reshape(2, height // 2, width // 2)
    return [Plane(luma, 1, (16,)), Plane(chroma[0], 2, (128,)), Plane(chroma[1], 2, (128,))]


Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 in whole pixels


def _widened(box: Box, margin: float, kind: str = "") -> Rect:
    """`box` with its margin, in whole pixels (rounded outwards), not yet clipped.

    A face's box runs from the brows to the chin; the head goes on above it. So of a face's
    vertical margin, HEAD_RISE goes above the box and the rest below: the region covers the
    forehead, hair and crown rather than the neck, and is as large as with an even split. A
    plate is found by its row of characters, and the plate goes on above and below it (a
    country band, a town's name, the frame): its vertical margin is PLATE_HEIGHTEN times more.
    """
    x_margin = (box[2] - box[0]) * margin
    y_margin = (box[3] - box[1]) * margin
    above = below = 1.0
    if kind == FACE:
        above, below = HEAD_RISE, 2 - HEAD_RISE
    elif kind == PLATE:
        above = below = PLATE_HEIGHTEN
    return (
        int(np.floor(box[0] - x_margin)),
        int(np.floor(box[1] - y_margin * above)),
        int(np.ceil(box[2] + x_margin)),
        int(np.ceil(box[3] + y_margin * below)),
    )


def region(box: Box, margin: float, width: int, height: int, kind: str = "") -> Rect | None:
    """The masked rectangle of `box` in a frame of the given size, whole pixels, clipped."""
    x0, y0, x1, y1 = _widened(box, margin, kind)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def mask_of(objects: Sequence[Masked], look: Look, width: int, height: int) -> NDArray[np.bool_]:
    """Which pixels of a frame the objects mask (for checks and for the record)."""
    mask = np.zeros((height, width), dtype=np.uint8)
    for kind, box in objects:
        rect = region(box, look.margin, width, height, kind)
        if rect is not None:
            x0, y0, x1, y1 = rect
            whole = _widened(box, look.margin, kind)
            mask[y0:y1, x0:x1] |= _outline(rect, whole, 1, look.shape_for(kind))
    return mask.astype(bool)


def render(planes: Sequence[Plane], objects: Sequence[Masked], look: Look) -> None:
    """Mask every object in every plane, in place."""
    if not objects:
        return
    height, width = planes[0].pixels.shape[:2]
    for kind, box in objects:
        rect = region(box, look.margin, width, height, kind)
        if rect is None:
            continue
        whole = _widened(box, look.margin, kind)
        shape = look.shape_for(kind)
        for plane in planes:
            step = plane.subsampling
            # Chroma rectangles round outwards, so they never fall short of the luma mask.
            part = (rect[0] // step, rect[1] // step, -(-rect[2] // step), -(-rect[3] // step))
            pixels = plane.pixels[part[1] : part[3], part[0] : part[2]]
            if pixels.size == 0:
                continue
            hidden = _obscured(pixels, look.style, plane.fill)
            keep = _outline(part, whole, step, shape).astype(bool)
            if pixels.ndim == 3:
                keep = keep[:, :, None]
            np.copyto(pixels, hidden, where=keep)


def _outline(part: Rect, whole: Rect, step: int, shape: Shape) -> NDArray[np.uint8]:
    """Ones inside the shape of the `whole` region, over the (clipped) rectangle `part`.

    The shape is drawn for the whole region, so a face cut by the frame's edge is masked up to
    that edge, not by a smaller ellipse fitted into what is visible. `step` is the plane's
    subsampling; on subsampled planes the ellipse is drawn half a sample larger all round, so
    no chroma sample whose luma pixels are masked is left out by rounding.
    """
    width, height = part[2] - part[0], part[3] - part[1]
    if shape is Shape.BOX:
        return np.ones((height, width), dtype=np.uint8)
    mask = np.zeros((height, width), dtype=np.uint8)
    centre = (
        (whole[0] + whole[2]) / (2 * step) - part[0] - 0.5,
        (whole[1] + whole[3]) / (2 * step) - part[1] - 0.5,
    )
    grow = 0 if step == 1 else 1
    axes = ((whole[2] - whole[0]) / step + grow, (whole[3] - whole[1]) / step + grow)
    cv2.ellipse(mask, (centre, axes, 0), 1, thickness=-1)
    return mask


def _obscured(pixels: NDArray[np.uint8], style: Style, fill: tuple[int, ...]) -> NDArray[np.uint8]:
    """`pixels` with all recognisable detail removed."""
    height, width = pixels.shape[:2]
    if style is Style.SOLID:
        solid = np.empty_like(pixels)
        solid[...] = fill if pixels.ndim == 3 else fill[0]
        return solid
    cells = BLUR_CELLS if style is Style.BLUR else PIXEL_CELLS
    longer = max(width, height)
    small_width = max(1, round(cells * width / longer))
    small_height = max(1, round(cells * height / longer))
    small = cv2.resize(pixels, (small_width, small_height), interpolation=cv2.INTER_AREA)
    if style is Style.PIXELATE:
        blocks = cv2.resize(small, (width, height), interpolation=cv2.INTER_NEAREST)
        return as_frame(blocks).reshape(pixels.shape)
    small = cv2.GaussianBlur(small, (0, 0), 1.0, borderType=cv2.BORDER_REPLICATE)
    smooth = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    return as_frame(smooth).reshape(pixels.shape)
