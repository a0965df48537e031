"""What a masking can be asked for, and its defaults, named without loading any image library.

The renderer and the pipeline use these; the command line reads them to offer its options.
docs/redaction.md gives the measurements behind the numbers.
"""

from __future__ import annotations

from enum import StrEnum

MARGIN = 0.35  # added on each side of a box, as a fraction of its width and height
HEAD_RISE = 1.4  # faces: this much of the vertical margin above the box, 2 - it below
PLATE_HEIGHTEN = 2.0  # plates: the vertical margin, above and below, times this
FACE_THRESHOLD = 0.3  # the face detector's confidence threshold
DETECT_EVERY = 2  # video: detect on every N-th frame, track between
DETECT_SIZE = 640  # video: longer side of the picture searched
DETECT_THREADS = 2  # video: threads of one detector (they sleep, not spin, while they wait)
# Video: when a frame is more than twice DETECT_SIZE on its longer side, every round also
# searches one tile of the frame at twice DETECT_SIZE, in turn, for faces too small for the
# whole-frame search.
SWEEP = True
SWEEP_OVERLAP = 48  # pixels two neighbouring tiles share, at the tiles' scale


class Style(StrEnum):
    """How a masked region looks."""

    BLUR = "blur"
    PIXELATE = "pixelate"
    SOLID = "solid"


class Shape(StrEnum):
    """The outline of a masked region; `auto` is an ellipse for faces and a box otherwise."""

    AUTO = "auto"
    ELLIPSE = "ellipse"
    BOX = "box"
