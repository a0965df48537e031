"""Footage as a person sees it: masked by default, a case's persons visible by track and reason."""

from __future__ import annotations

import io

import av
import cv2
import numpy as np
import pytest

from custos.errors import InvalidInput
from custos.redaction.cache import DetectorCache
from custos.redaction.detectors import CenterFace
from custos.redaction.render import mask_of
from custos.redaction.service import redact_footage, redact_still, viewing_options
from helpers import person_photo


@pytest.fixture(scope="module")
def detectors() -> DetectorCache:
    """One detector cache for the module, as a runtime holds one."""
    return DetectorCache()


@pytest.fixture(scope="module")
def face() -> np.ndarray:
    """A real photo of one person, scaled to a camera-like size (BGR)."""
    return person_photo(360, 640)  # a third of its 1080 x 1920


def clip_of(picture: np.ndarray, frames: int = 12) -> bytes:
    """An in-memory MP4 of `picture` held still, drifting a pixel per frame."""
    buffer = io.BytesIO()
    height, width = picture.shape[:2]
    with av.open(buffer, "w", format="mp4") as output:
        stream = output.add_stream("libx264", rate=12)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(frames):
            moved = np.roll(picture, index, axis=1)
            output.mux(stream.encode(av.VideoFrame.from_ndarray(moved, format="bgr24")))
        output.mux(stream.encode(None))
    return buffer.getvalue()


def decoded(data: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(data)) as container:
        return [frame.to_ndarray(format="bgr24") for frame in container.decode(video=0)]


def test_footage_is_masked_by_default(face: np.ndarray, detectors: DetectorCache) -> None:
    source = clip_of(face)
    rendered = redact_footage(source, detectors=detectors)
    assert rendered.media_type == "video/mp4"
    frames = decoded(rendered.data)
    assert len(frames) == 12
    tracks = rendered.record["tracks"]
    assert len(tracks) == 1
    assert tracks[0]["visible"] is False
    assert rendered.record["visible_tracks"] == []
    finder = CenterFace()
    for original, shown in zip(decoded(source), frames, strict=True):
        (person,) = finder.detect(original)
        assert finder.detect(shown) == []
        x0, y0, x1, y1 = (int(v) for v in person.box)
        assert np.abs(original[y0:y1, x0:x1].astype(int) - shown[y0:y1, x0:x1]).mean() > 10


def test_the_persons_of_a_case_are_visible_only_by_track_and_reason(
    face: np.ndarray, detectors: DetectorCache
) -> None:
    source = clip_of(face)
    with pytest.raises(InvalidInput, match="reason"):
        viewing_options([1])
    with pytest.raises(InvalidInput, match="no track 7"):
        redact_footage(source, viewing_options([7], "suspect in case 12/2026"), detectors=detectors)
    rendered = redact_footage(
        source, viewing_options([1], "suspect in case 12/2026"), detectors=detectors
    )
    assert rendered.record["visible_tracks"] == [1]
    assert rendered.record["visible_reason"] == "suspect in case 12/2026"
    assert rendered.record["tracks"][0]["visible"] is True
    finder = CenterFace()
    for original, shown in zip(decoded(source), decoded(rendered.data), strict=True):
        (person,) = finder.detect(original)
        x0, y0, x1, y1 = (int(v) for v in person.box)
        # Left visible: only the codec's loss separates the face from the original.
        assert np.abs(original[y0:y1, x0:x1].astype(int) - shown[y0:y1, x0:x1]).mean() < 6


def test_a_still_is_masked_and_encoded(face: np.ndarray, detectors: DetectorCache) -> None:
    picture = face.copy()
    result, jpeg = redact_still(picture, detectors=detectors)
    assert jpeg.startswith(b"\xff\xd8")
    (track,) = result.tracks.values()
    assert track.visible is False
    mask = mask_of(
        [(t.kind, t.box) for t in result.boxes[0]],
        viewing_options().look,
        result.width,
        result.height,
    )
    shown = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert (shown[~mask].astype(int) - face[~mask]).std() < 8  # the rest is the picture
    assert CenterFace().detect(shown) == []


def test_the_cache_loads_detectors_once_per_options_and_threads() -> None:
    cache = DetectorCache()
    shown = viewing_options()
    first = cache.get(shown, threads=1)
    assert cache.get(viewing_options([3], "suspect in case 12/2026"), threads=1) is first
    assert cache.get(shown, threads=0) is not first
    assert DetectorCache().get(shown, threads=1) is not first
