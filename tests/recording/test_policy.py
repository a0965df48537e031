"""Recording rules: where segments are cut, how reconnection backs off, where blobs go."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.recording import policy


@pytest.mark.parametrize(
    ("elapsed", "keyframe", "cut"),
    [
        (9.9, True, False),
        (10.0, True, True),
        (12.0, False, False),
        (30.0, True, True),
        (0.0, True, False),
    ],
)
def test_cut_only_at_a_keyframe_after_the_target(elapsed: float, keyframe: bool, cut: bool) -> None:
    assert policy.should_cut(elapsed, 10.0, keyframe) is cut


def test_backoff_doubles_to_the_cap() -> None:
    backoff = policy.Backoff(first=1, factor=2, cap=30)
    assert [backoff.delay(n) for n in range(7)] == [1, 2, 4, 8, 16, 30, 30]


@given(st.integers(min_value=0, max_value=10_000))
def test_backoff_never_exceeds_the_cap_and_never_shrinks(attempt: int) -> None:
    backoff = policy.Backoff()
    assert 0 < backoff.delay(attempt) <= backoff.cap
    assert backoff.delay(attempt + 1) >= backoff.delay(attempt)


@pytest.mark.parametrize(
    ("source", "transports"),
    [
        ("rtsp://cam/live", ("tcp", "udp")),
        ("rtsps://cam/live", ("tcp", "udp")),
        ("http://cam/video.mjpg", (None,)),
        ("/srv/clip.mp4", (None,)),
    ],
)
def test_rtsp_tries_tcp_then_udp(source: str, transports: tuple[str | None, ...]) -> None:
    assert policy.transports_for(source) == transports


def test_blob_key_by_camera_and_day() -> None:
    when = datetime(2026, 3, 9, 23, 59, tzinfo=UTC)
    assert policy.blob_key(7, when, "ab12") == "cameras/7/2026/03/09/ab12"


def test_binding_differs_per_segment_and_camera() -> None:
    assert policy.associated_data("a", 1) != policy.associated_data("a", 2)
    assert policy.associated_data("a", 1) != policy.associated_data("b", 1)
    assert policy.associated_data("a", 12) != policy.associated_data("a1", 2)
