"""What a masking can be asked for, and its defaults, named without loading any image library.

The renderer and the pipeline use these; the command line reads them to offer its options.
docs/redaction.md gives the measurements behind the numbers.
"""

from __future__ import annotations

from enum import StrEnum

MARGIN = 0.35  # added on each side of a box, as a fraction of its width and height
FACE_THRESHOLD = 0.3  # the face detector's confidence threshold
DETECT_EVERY = 2  # video: detect on every N-th frame, track between
DETECT_SIZE = 640  # video: longer side of the picture searched


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
