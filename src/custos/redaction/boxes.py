"""What a detector finds, as plain numbers: boxes, kinds, detections and their overlap.

No image library is imported here, so pure rules (tracking, the stitching of prepared tracks)
can reason about boxes without loading OpenCV or onnxruntime.
"""

from __future__ import annotations

from dataclasses import dataclass

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels, x1 > x0, y1 > y0

FACE, PLATE, PERSON = "face", "plate", "person"


@dataclass(frozen=True)
class Detection:
    """One object found in a frame."""

    kind: str
    box: Box
    score: float


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    overlap = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - overlap
    return overlap / union if union > 0 else 0.0
