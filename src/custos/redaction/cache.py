"""The detectors of every render, built once: loading a network costs more than a frame.

Kept apart from the engine so that the long-lived parts can hold a cache without importing
OpenCV, PyAV or onnxruntime: the detectors are built, and their modules loaded, on first use.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from custos.redaction.detectors import Detection, Detector, Frame
    from custos.redaction.pipeline import Options


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
                from custos.redaction.detectors import PlateCascade, PlateFinder

                self._built[key] = [
                    _OneAtATime(detector)
                    if isinstance(detector, PlateCascade | PlateFinder)
                    else detector
                    for detector in options.detectors(threads)
                ]
            return self._built[key]
