"""Redaction as the renderer of every picture a person is shown.

Footage reaches a person's eyes only through `redact_footage` (recorded video) or
`redact_still` (a live picture). Both mask by default; there is no switch that turns masking
off. The persons of a case are left visible only by naming their track ids with a reason, and
the record that comes back says which tracks were visible and why, for the audit entry the
caller writes with the view.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import cv2

from custos.redaction.detectors import Detection, Detector, Frame, PlateCascade
from custos.redaction.pipeline import Options, Result, check_revealed, redact_image, redact_video


class _OneAtATime:
    """A shared detector whose OpenCV object keeps state while it searches: one caller at once."""

    def __init__(self, detector: Detector) -> None:
        self.kind = detector.kind
        self._detector = detector
        self._lock = threading.Lock()

    def detect(self, frame: Frame) -> list[Detection]:
        """The wrapped detector's findings, taken under its lock."""
        with self._lock:
            return self._detector.detect(frame)


class DetectorCache:
    """Detectors built once per set of options and thread count, shared by every render.

    Loading a network costs more than a frame, so one cache is made with the other long-lived
    parts (`Runtime.detectors`) and handed to every render. Safe to use from several threads:
    onnxruntime sessions may run in several at once, OpenCV's cascade may not, so that one is
    used by one caller at a time.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._built: dict[tuple[Options, int], list[Detector]] = {}

    def get(self, options: Options, threads: int) -> list[Detector]:
        """The detectors for `options` (which tracks are revealed does not matter)."""
        key = (replace(options, reveal=frozenset(), reveal_reason=None), threads)
        with self._lock:
            if key not in self._built:
                self._built[key] = [
                    _OneAtATime(detector) if isinstance(detector, PlateCascade) else detector
                    for detector in options.detectors(threads)
                ]
            return self._built[key]


@dataclass(frozen=True)
class Rendered:
    """Footage as it may be shown: the masked MP4 or JPEG, and what was masked or left visible."""

    data: bytes
    media_type: str
    record: dict[str, Any]


def viewing_options(
    visible_tracks: Sequence[int] = (), reason: str | None = None, base: Options | None = None
) -> Options:
    """The options footage is shown with: faces masked, the named tracks visible for `reason`."""
    return replace(base or Options(), reveal=frozenset(visible_tracks), reveal_reason=reason)


def redact_footage(
    plaintext: bytes,
    options: Options | None = None,
    keep: tuple[float, float] | None = None,
    *,
    detectors: DetectorCache,
) -> Rendered:
    """A decrypted segment (MP4 in memory) masked for viewing; nothing touches a file.

    `keep` limits it to a part, in seconds from its start; the detectors come from `detectors`.
    """
    options = options or viewing_options()
    target = io.BytesIO()
    result = redact_video(
        io.BytesIO(plaintext),
        target,
        options,
        output_format="mp4",
        streamable=True,
        detectors=detectors.get(options, threads=1),
        keep=keep,
    )
    check_revealed(result)
    return Rendered(target.getvalue(), "video/mp4", result.record())


def redact_still(
    picture: Frame, options: Options | None = None, *, detectors: DetectorCache
) -> tuple[Result, bytes]:
    """A BGR picture masked in place and encoded as JPEG, with the result of the masking."""
    options = options or viewing_options()
    result = redact_image(picture, options, detectors.get(options, threads=0))
    check_revealed(result)
    ok, encoded = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:  # pragma: no cover - OpenCV encodes any BGR array as JPEG
        raise RuntimeError("JPEG encoding failed")
    return result, encoded.tobytes()
