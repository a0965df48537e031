"""Redaction as the renderer of every picture a person is shown.

Footage reaches a person's eyes only through `redact_footage` (recorded video) or
`redact_still` (a live picture). Both mask by default; there is no switch that turns masking
off. The persons of a case are left visible only by naming their track ids with a reason, and
the record that comes back says which tracks were visible and why, for the audit entry the
caller writes with the view.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import cv2

from custos.redaction import choices
from custos.redaction.cache import DetectorCache
from custos.redaction.detectors import Frame
from custos.redaction.pipeline import Options, Result, check_revealed, redact_image, redact_video
from custos.redaction.tracking import TrackedBox
from custos.redaction.zones import ZoneMask


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
    prepared: Sequence[Sequence[TrackedBox]] | None = None,
) -> Rendered:
    """A decrypted segment (MP4 in memory) masked for viewing; nothing touches a file.

    `keep` limits it to a part, in seconds from its start; the detectors come from `detectors`,
    unless the boxes of every frame of that part were `prepared` ahead.
    """
    options = options or viewing_options()
    target = io.BytesIO()
    result = redact_video(
        io.BytesIO(plaintext),
        target,
        options,
        output_format="mp4",
        streamable=True,
        detectors=None if prepared is not None else detectors.get(options, choices.DETECT_THREADS),
        keep=keep,
        prepared=prepared,
    )
    check_revealed(result)
    return Rendered(target.getvalue(), "video/mp4", result.record())


def redact_still(
    picture: Frame,
    options: Options | None = None,
    *,
    detectors: DetectorCache,
    zones: ZoneMask | None = None,
) -> tuple[Result, bytes]:
    """A BGR picture masked in place and encoded as JPEG, with the result of the masking.

    `zones` (already blacked out before detection) are blacked out again after masking, so
    that no mask's blur reaches into them.
    """
    options = options or viewing_options()
    result = redact_image(picture, options, detectors.get(options, threads=0))
    check_revealed(result)
    if zones is not None:
        zones.apply_bgr(picture)
    ok, encoded = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:  # pragma: no cover - OpenCV encodes any BGR array as JPEG
        raise RuntimeError("JPEG encoding failed")
    return result, encoded.tobytes()
