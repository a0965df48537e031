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


# --- the time line: holes, and why a recorder's start is a gap ------------------------------

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("covered", "expected"),
    [
        ([], []),
        ([(0, 10), (10, 20)], []),
        ([(0, 10), (12, 20)], [(10, 12)]),
        ([(12, 20), (0, 10)], [(10, 12)]),  # any order
        ([(0, 10), (5, 30), (20, 25), (31, 40)], [(30, 31)]),  # overlaps reach furthest
        ([(0, 10), (10.2, 20)], []),  # within the tolerance
    ],
)
def test_holes_are_what_no_interval_covers(
    covered: list[tuple[float, float]], expected: list[tuple[float, float]]
) -> None:
    intervals = [(_at(a), _at(b)) for a, b in covered]
    found = policy.holes(intervals, timedelta(seconds=0.5))
    assert found == [(_at(a), _at(b)) for a, b in expected]


@given(st.lists(st.tuples(st.integers(0, 500), st.integers(1, 60)), max_size=30))
def test_holes_and_intervals_together_span_the_whole_time_line(
    spans: list[tuple[int, int]],
) -> None:
    intervals = [(_at(start), _at(start + length)) for start, length in spans]
    found = policy.holes(intervals)
    covered = set()
    for start, length in spans:
        covered.update(range(start, start + length))
    for start, end in found:
        hole = set(range(int((start - T0).total_seconds()), int((end - T0).total_seconds())))
        assert not hole & covered, "a hole never overlaps what is covered"
        covered |= hole
    if spans:
        first = min(start for start, _ in spans)
        last = max(start + length for start, length in spans)
        assert covered == set(range(first, last))


@pytest.mark.parametrize(
    ("state", "reason", "expected"),
    [
        (None, "", policy.GapReason.RECORDER_RESTARTED),
        ("recording", "", policy.GapReason.RECORDER_RESTARTED),
        ("down", "connection refused", policy.GapReason.RECORDER_RESTARTED),
        ("stopped", "system not running", policy.GapReason.SYSTEM_NOT_RUNNING),
        ("stopped", "camera suspended", policy.GapReason.CAMERA_SUSPENDED),
        ("stopped", "DPIA expired", policy.GapReason.DPIA_EXPIRED),
        ("stopped", "camera settings changed", policy.GapReason.CAMERA_CHANGED),
        ("stopped", "", policy.GapReason.SYSTEM_NOT_RUNNING),
    ],
)
def test_the_gap_since_the_last_run_says_how_that_run_ended(
    state: str | None, reason: str, expected: policy.GapReason
) -> None:
    assert policy.resume_reason(state, reason) is expected


@pytest.mark.parametrize(
    ("connected", "outage", "storage_failing", "expected"),
    [
        (True, None, False, policy.CameraState.RECORDING),
        (True, None, True, policy.CameraState.STORAGE_REFUSED),
        (False, None, False, policy.CameraState.RECONNECTING),
        (False, 3.0, False, policy.CameraState.RECONNECTING),
        (False, 10.0, False, policy.CameraState.DOWN),
        (False, 600.0, True, policy.CameraState.DOWN),
    ],
)
def test_a_recorder_is_down_once_its_camera_stays_away(
    connected: bool, outage: float | None, storage_failing: bool, expected: policy.CameraState
) -> None:
    state = policy.recorder_state(
        connected=connected, outage_seconds=outage, storage_failing=storage_failing
    )
    assert state is expected


R = policy.GapReason
FFMPEG_401 = 825242872  # FFmpeg's own error tags, not errno values: they must match nothing
FFMPEG_404 = 875574520
FFMPEG_INVALID = 1094995529


@pytest.mark.parametrize(
    ("kind", "errno", "message", "connected", "reason"),
    [
        # What real failing sources raised through PyAV (tests/recording/test_probe.py).
        ("OSError", 113, "No route to host", False, R.HOST_UNREACHABLE),
        ("ConnectionRefusedError", 111, "Connection refused", False, R.CONNECTION_REFUSED),
        ("OSError", 5, "Input/output error", False, R.HOST_NOT_FOUND),
        (
            "HTTPUnauthorizedError",
            FFMPEG_401,
            "Server returned 401 Unauthorized (authorization failed)",
            False,
            R.AUTHENTICATION_FAILED,
        ),
        (
            "HTTPNotFoundError",
            FFMPEG_404,
            "Server returned 404 Not Found",
            False,
            R.STREAM_NOT_FOUND,
        ),
        (
            "InvalidDataError",
            FFMPEG_INVALID,
            "Invalid data found when processing input",
            False,
            R.NOT_A_VIDEO_STREAM,
        ),
        ("FileNotFoundError", 2, "No such file or directory", False, R.STREAM_NOT_FOUND),
        # The rest of the family, from errno values.
        ("TimeoutError", 110, "Connection timed out", False, R.HOST_UNREACHABLE),
        ("OSError", 101, "Network is unreachable", False, R.HOST_UNREACHABLE),
        ("OSError", 112, "Host is down", False, R.HOST_UNREACHABLE),
        (
            "HTTPForbiddenError",
            None,
            "Server returned 403 Forbidden (access denied)",
            False,
            R.AUTHENTICATION_FAILED,
        ),
        ("PermissionError", 13, "Permission denied", False, R.AUTHENTICATION_FAILED),
        # Once a stream is open, a timeout or an end is the stream stopping.
        ("TimeoutError", 110, "Connection timed out", True, R.STREAM_ENDED),
        ("EOFError", None, "End of file", True, R.STREAM_ENDED),
        ("InvalidDataError", FFMPEG_INVALID, "Invalid data found", True, R.NOT_A_VIDEO_STREAM),
        ("OSError", None, "something else", False, R.STREAM_ENDED),
    ],
)
def test_source_failures_in_plain_words(
    kind: str, errno: int | None, message: str, connected: bool, reason: policy.GapReason
) -> None:
    assert policy.source_failure(kind, errno, message, connected=connected) is reason


@pytest.mark.parametrize(
    ("kind", "errno", "message", "reason"),
    [
        # A refused port that happens to be 4010, a path naming channel 404: the numbers in a
        # URL are no HTTP statuses.
        ("ConnectionRefusedError", 111, "Connection refused", R.CONNECTION_REFUSED),
        ("OSError", 113, "No route to host", R.HOST_UNREACHABLE),
    ],
)
def test_numbers_in_the_url_do_not_change_the_reason(
    kind: str, errno: int, message: str, reason: policy.GapReason
) -> None:
    from custos.recording.recorder import source_reason

    error = (ConnectionRefusedError if kind.startswith("Connection") else OSError)(
        errno, message, "rtsp://resolver401:x@10.0.0.4:4010/ch404"
    )
    assert source_reason(error, connected=False)[0] is reason


def test_the_detail_of_a_failure_hides_the_password() -> None:
    from custos.recording.recorder import source_reason

    error = OSError(113, "No route to host", "rtsp://admin:hunter2@10.0.0.4/ch1")
    reason, detail = source_reason(error, connected=False)
    assert reason is R.HOST_UNREACHABLE
    assert "hunter2" not in detail
    assert "rtsp://admin:***@10.0.0.4/ch1" in detail


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("'rtsp://admin:pa:ss@10.0.0.4:554/x'", "'rtsp://admin:***@10.0.0.4:554/x'"),
        ("rtsp://admin@10.0.0.4/x and http://10.0.0.5:8080/y", None),
        ("two: http://a:b@h1/ rtsps://c:d@h2/", "two: http://a:***@h1/ rtsps://c:***@h2/"),
    ],
)
def test_hide_passwords(text: str, shown: str | None) -> None:
    assert policy.hide_passwords(text) == (shown or text)


def test_every_source_failure_comes_with_advice() -> None:
    reasons = {
        policy.source_failure(kind, errno, "", connected=connected)
        for kind, errno, connected in [
            ("OSError", 113, False),
            ("OSError", 5, False),
            ("ConnectionRefusedError", 111, False),
            ("HTTPUnauthorizedError", None, False),
            ("HTTPNotFoundError", None, False),
            ("InvalidDataError", None, False),
            ("OSError", None, True),
        ]
    }
    assert len(reasons) == 7
    assert all(policy.source_advice(reason) for reason in reasons)
    assert policy.source_advice(R.STORAGE_FULL) == ""


# Camera leases.


@pytest.mark.parametrize(
    ("cameras", "capacities", "shares"),
    [
        (6, {"a": 10, "b": 10, "c": 10}, {"a": 2, "b": 2, "c": 2}),
        (7, {"a": 10, "b": 10, "c": 10}, {"a": 3, "b": 2, "c": 2}),
        (10, {"a": 2, "b": 100}, {"a": 2, "b": 8}),
        (10, {"a": 2, "b": 3}, {"a": 2, "b": 3}),
        (5, {"a": 1, "b": 1, "c": 10}, {"a": 1, "b": 1, "c": 3}),
        (0, {"a": 4}, {"a": 0}),
        (3, {}, {}),
    ],
)
def test_fair_shares(cameras: int, capacities: dict[str, int], shares: dict[str, int]) -> None:
    assert policy.fair_shares(cameras, capacities) == shares


@given(
    st.integers(min_value=0, max_value=500),
    st.dictionaries(st.text(min_size=1, max_size=4), st.integers(0, 80), max_size=8),
)
def test_fair_shares_place_every_camera_there_is_room_for_and_no_more(
    cameras: int, capacities: dict[str, int]
) -> None:
    shares = policy.fair_shares(cameras, capacities)
    assert sum(shares.values()) == min(cameras, sum(capacities.values()))
    assert all(0 <= shares[name] <= capacities[name] for name in capacities)
    # Nobody below its capacity holds two fewer than anyone else: the spread is even.
    below = [shares[name] for name in capacities if shares[name] < capacities[name]]
    if below:
        assert max(shares.values()) - min(below) <= 1


@pytest.mark.parametrize(
    ("held", "share", "capacity", "more"),
    [(0, 3, 10, 3), (2, 3, 10, 1), (3, 3, 10, 0), (5, 3, 10, 0), (0, 20, 4, 4)],
)
def test_to_claim(held: int, share: int, capacity: int, more: int) -> None:
    assert policy.to_claim(held, share, capacity) == more


def test_claim_order_takes_higher_priority_then_older_cameras() -> None:
    assert policy.claim_order([(5, 0), (3, 1), (9, 1), (1, 0)]) == [3, 9, 1, 5]


NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
TTL = timedelta(seconds=9)
FAILED_OVER = policy.GapReason.RECORDER_FAILED_OVER
HANDED_OVER = policy.GapReason.RECORDER_HANDED_OVER


@pytest.mark.parametrize(
    ("lease", "claimable", "reason"),
    [
        (None, True, None),
        # Still held: nobody may claim it.
        (policy.LeaseState("r1", NOW + TTL), False, FAILED_OVER),
        # Its holder went silent: failed over, whoever takes it.
        (policy.LeaseState("r1", NOW), True, FAILED_OVER),
        # Let go: its last run's status says why (handed over, suspended, stopped).
        (policy.LeaseState(None, NOW), True, None),
    ],
)
def test_claimable_and_takeover_reason(
    lease: policy.LeaseState | None, claimable: bool, reason: policy.GapReason | None
) -> None:
    assert policy.claimable(lease, NOW) is claimable
    assert policy.takeover_reason(lease) == reason


@pytest.mark.parametrize(
    ("held", "share", "released"), [(6, 2, 1), (3, 2, 1), (2, 2, 0), (0, 2, 0)]
)
def test_a_recorder_over_its_share_lets_one_camera_go_a_round(
    held: int, share: int, released: int
) -> None:
    assert policy.to_release(held, share) == released


def test_release_order_lets_the_lowest_priority_go_first() -> None:
    assert policy.release_order([(5, 0), (3, 1), (9, 1), (1, 0)]) == [5, 1, 9, 3]


def test_a_camera_handed_over_says_so_when_the_next_recorder_resumes_it() -> None:
    assert policy.resume_reason("stopped", "recorder handed over") == HANDED_OVER
