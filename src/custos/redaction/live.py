"""Masking live pictures one after another: the same engine as recorded footage, tracked.

Each picture is searched at `Options.detect_size` (as video is, not at full size as a still
picture), and the tracker carries every face from one picture to the next: a face the
detector misses for a moment stays masked where its motion would take it, its mask grown
with its speed. Privacy zones, already black when the picture comes, are blacked out again
after masking, so no blur reaches into them.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2

from custos.redaction.detectors import Detector, Frame, as_frame
from custos.redaction.pipeline import Options, _detect
from custos.redaction.render import bgr_planes, render
from custos.redaction.tracking import Tracker, grown
from custos.redaction.zones import ZoneMask


class LiveMasker:
    """Masks the pictures of one live camera, in order, in place."""

    def __init__(self, options: Options, detectors: Sequence[Detector]) -> None:
        self._options = options
        self._detectors = detectors
        self._tracker = Tracker()

    def mask(self, picture: Frame, zones: ZoneMask | None = None) -> int:
        """Mask a BGR picture in place; how many objects it masked."""
        height, width = picture.shape[:2]
        size = self._options.detect_size
        searched, scale = picture, 1.0
        if size is not None and max(width, height) > size:
            scale = size / max(width, height)
            small = (max(32, round(width * scale)), max(32, round(height * scale)))
            searched = as_frame(cv2.resize(picture, small, interpolation=cv2.INTER_AREA))
        x_scale = searched.shape[1] / width
        y_scale = searched.shape[0] / height
        tracked = self._tracker.update(_detect(self._detectors, searched, x_scale, y_scale))
        render(
            bgr_planes(picture),
            [(t.kind, grown(t.box, t.spread)) for t in tracked],
            self._options.look,
        )
        if zones is not None:
            zones.apply_bgr(picture)
        return len(tracked)
