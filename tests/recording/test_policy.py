"""Recording rules: where segments are cut, how reconnection backs off, where blobs go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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


T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_timeline_ignores_the_probing_burst() -> None:
    timeline = policy.Timeline()
    # 27 frames read ahead while probing arrive at once; then one frame every 1/15 s.
    for frame in range(27):
        timeline.observe(frame / 15, T0)
    for frame in range(27, 60):
        timeline.observe(frame / 15, T0 + timedelta(seconds=(frame - 27) / 15 + 0.05))
    # The burst arrived late; the steady frames arrived 50 ms after filming.
    assert abs(timeline.wall(27 / 15) - (T0 + timedelta(seconds=0.05))) < timedelta(milliseconds=1)


@given(st.lists(st.tuples(st.floats(0, 1000), st.floats(0, 5)), min_size=1, max_size=50))
def test_timeline_never_places_a_packet_after_it_arrived(
    packets: list[tuple[float, float]],
) -> None:
    timeline = policy.Timeline()
    for seconds, delay in packets:
        timeline.observe(seconds, T0 + timedelta(seconds=seconds + delay))
    for seconds, delay in packets:
        assert timeline.wall(seconds) <= T0 + timedelta(seconds=seconds + delay, microseconds=1)


def test_timeline_is_fixed_after_the_first_conversion() -> None:
    timeline = policy.Timeline()
    timeline.observe(0.0, T0 + timedelta(seconds=1))
    first = timeline.wall(0.0)
    timeline.observe(5.0, T0)  # would have moved the estimate by 6 s
    assert timeline.fixed
    assert timeline.wall(0.0) == first


def test_timeline_with_a_start_continues_from_it() -> None:
    timeline = policy.Timeline(start=T0)
    timeline.observe(0.0, T0 + timedelta(hours=1))
    assert timeline.wall(2.5) == T0 + timedelta(seconds=2.5)


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.timedeltas(min_value=timedelta(milliseconds=1), max_value=timedelta(days=3650)),
)
def test_segment_ids_sort_by_time(start: datetime, later: timedelta) -> None:
    first = policy.segment_id(start.replace(tzinfo=UTC), b"\xff" * 10)
    second = policy.segment_id((start + later).replace(tzinfo=UTC), b"\x00" * 10)
    assert len(first) == len(second) == 32
    assert first < second


def test_a_millisecond_later_is_a_later_id_even_where_floats_round_down() -> None:
    # 2004-02-01 00:00:00.001 is 1075593600.0009999 s as a float: the millisecond got lost.
    start = datetime(2004, 2, 1, tzinfo=UTC)
    first = policy.segment_id(start, b"\xff" * 10)
    assert first < policy.segment_id(start + timedelta(milliseconds=1), b"\x00" * 10)
    assert first[:12] == f"{1_075_593_600_000:012x}"
