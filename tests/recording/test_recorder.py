"""Recorders against real cameras: GStreamer's RTSP server over TCP and UDP, and looping files.

These run in real time: a live camera cannot be recorded faster than it films.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from custos.cameras import service as cameras
from custos.cameras.policy import CameraStatus
from custos.recording import service as recording
from custos.recording.models import RecordingGap, Segment
from custos.recording.policy import Backoff, GapReason
from custos.recording.recorder import CameraRecorder
from custos.recording.service import CameraFeed, SegmentWriter
from custos.retention.pressure import ExhaustionGate
from custos.retention.service import SegmentPlanner
from custos.runtime import Runtime
from helpers import (
    Recording,
    RtspCamera,
    audit_events,
    call_of,
    ffprobe_video,
    free_port,
    register_camera,
    wait_for,
)

FRAME = timedelta(seconds=1 / 15)
# Live timestamps are estimated from arrival times: good to about a frame plus network jitter.
CLOCK_TOLERANCE = timedelta(seconds=0.25)
PLAINTEXT_MP4_BOXES = (b"ftyp", b"moov", b"mdat", b"moof")


def _decrypted_to_files(runtime: Runtime, segments: list[Segment], folder: Path) -> list[Path]:
    paths = []
    with runtime.sessions() as session:
        for segment in segments:
            row = session.get(Segment, segment.id)
            assert row is not None
            path = folder / f"{segment.id}.mp4"
            path.write_bytes(recording.open_segment(runtime.sealer, runtime.blobs, row))
            paths.append(path)
    return paths


def _plaintext_boxes(folder: Path) -> list[str]:
    """Files holding what looks like an MP4 box header: a plausible size, then a box type."""
    found = []
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        for box in PLAINTEXT_MP4_BOXES:
            start = data.find(box)
            while start != -1:
                if (
                    start >= 4
                    and 8 <= int.from_bytes(data[start - 4 : start], "big") <= len(data) + 2**32
                ):
                    found.append(f"{path.name}:{start}:{box.decode()}")
                    break
                start = data.find(box, start + 1)
    return found


def _assert_contiguous(segments: list[Segment]) -> None:
    for previous, following in itertools.pairwise(segments):
        assert abs(following.started_at - previous.ended_at) <= FRAME, (previous.id, following.id)


def test_records_a_live_rtsp_camera_over_tcp(
    live_runtime: Runtime,
    rtsp_camera: Callable[..., RtspCamera],
    recording_of: Callable[[], Recording],
    tmp_path: Path,
) -> None:
    camera = rtsp_camera("tcp")
    register_camera(live_runtime, "live-tcp", camera.url, segment_seconds=10)
    with recording_of() as run:
        time.sleep(33)
    segments = run.segments("live-tcp")
    assert len(segments) >= 3
    assert sum(s.duration_s for s in segments) >= 29
    _assert_contiguous(segments)
    for segment, path in zip(
        segments, _decrypted_to_files(live_runtime, segments, tmp_path), strict=True
    ):
        probe = ffprobe_video(path)
        assert (probe["codec_name"], int(probe["nb_read_frames"])) == ("h264", segment.frames)
        assert (segment.width, segment.height) == (640, 360)
    assert _plaintext_boxes(live_runtime.settings.data_dir) == []
    with live_runtime.sessions() as session:
        # Named in the log once each, in their collection periods' entries, with their digests.
        named = {
            s["id"]: s["digest"]
            for e in audit_events(session, event="recording.segments_collected")
            for s in e.details["segments"]
        }
        assert named == {segment.id: segment.digest for segment in segments}
        assert [e.object_id for e in audit_events(session, event="recording.started")] == [
            "live-tcp"
        ]
        assert [e.object_id for e in audit_events(session, event="recording.stopped")] == [
            "live-tcp"
        ]
        assert recording.list_gaps(session) == []


def test_recording_resumes_after_an_outage_and_the_gap_is_a_row(
    live_runtime: Runtime,
    rtsp_camera: Callable[..., RtspCamera],
    recording_of: Callable[[], Recording],
) -> None:
    camera = rtsp_camera("tcp")
    register_camera(live_runtime, "flaky", camera.url, segment_seconds=2)
    with recording_of() as run:
        wait_for(lambda: len(run.segments("flaky")) >= 3, 30, "three segments before the outage")
        camera.stop()
        lost_at = datetime.now(UTC)
        time.sleep(4)
        camera.start()
        back_at = datetime.now(UTC)
        wait_for(
            lambda: any(s.started_at > back_at for s in run.segments("flaky")),
            30,
            "a segment after the outage",
        )
        time.sleep(2.5)
    segments = run.segments("flaky")
    with live_runtime.sessions() as session:
        [(gap, _)] = recording.list_gaps(session, "flaky")
        assert len(audit_events(session, event="recording.gap_opened")) == 1
        assert len(audit_events(session, event="recording.gap_closed")) == 1
    assert gap.ended_at is not None
    assert gap.started_at <= lost_at + CLOCK_TOLERANCE
    assert back_at <= gap.ended_at + CLOCK_TOLERANCE
    assert gap.started_at < gap.ended_at
    before = [s for s in segments if s.ended_at <= gap.started_at]
    after = [s for s in segments if s.started_at >= gap.ended_at]
    assert len(before) + len(after) == len(segments)
    assert before[-1].ended_at == gap.started_at  # the gap starts exactly where recording stopped
    assert after[0].started_at == gap.ended_at  # ... and ends where it resumed
    assert lost_at - before[-1].ended_at < timedelta(seconds=1.5)  # the piece in progress was kept
    _assert_contiguous(before)
    _assert_contiguous(after)


def test_udp_only_camera_is_recorded_after_tcp_is_refused(
    live_runtime: Runtime,
    rtsp_camera: Callable[..., RtspCamera],
    recording_of: Callable[[], Recording],
) -> None:
    camera = rtsp_camera("udp")
    register_camera(live_runtime, "udp-only", camera.url, segment_seconds=2)
    with recording_of() as run:
        wait_for(lambda: len(run.segments("udp-only")) >= 2, 30, "segments over UDP")
        [recorder] = run.supervisor.recorders
        assert recorder._transport == "udp"
    segments = run.segments("udp-only")
    _assert_contiguous(segments)
    with live_runtime.sessions() as session:
        # GStreamer sometimes answers the UDP set-up right after the refused TCP one with a 503;
        # the recorder then retries. Any such gap must be closed before the first segment.
        for gap, _ in recording.list_gaps(session):
            assert gap.ended_at is not None
            assert gap.ended_at <= segments[0].started_at


def test_file_camera_loops_like_a_live_feed_without_gaps(
    live_runtime: Runtime, clip: Path, recording_of: Callable[[], Recording]
) -> None:
    register_camera(live_runtime, "demo-loop", str(clip), segment_seconds=2)
    with recording_of() as run:
        wait_for(lambda: len(run.segments("demo-loop")) >= 4, 20, "a loop of the clip")
    segments = run.segments("demo-loop")
    assert sum(s.duration_s for s in segments) > 6  # past the end of the 6 s clip
    _assert_contiguous(segments)
    with live_runtime.sessions() as session:
        assert recording.list_gaps(session) == []


def test_suspending_a_camera_stops_its_recorder(
    live_runtime: Runtime, clip: Path, recording_of: Callable[[], Recording]
) -> None:
    register_camera(live_runtime, "to-suspend", str(clip), segment_seconds=2)
    with recording_of() as run:
        wait_for(lambda: len(run.segments("to-suspend")) >= 1, 20, "the first segment")
        with live_runtime.sessions() as session:
            cameras.set_status(
                call_of(session, live_runtime.clock), "to-suspend", CameraStatus.SUSPENDED
            )
        wait_for(lambda: run.supervisor.recorders == [], 10, "the recorder to stop")
        stopped_with = len(run.segments("to-suspend"))
        time.sleep(3)
        assert len(run.segments("to-suspend")) == stopped_with
    with live_runtime.sessions() as session:
        [stopped] = audit_events(session, event="recording.stopped")
        assert stopped.details["segments"] == stopped_with


def test_unreachable_camera_is_a_gap_closed_when_recording_stops(live_runtime: Runtime) -> None:
    source = f"rtsp://127.0.0.1:{free_port()}/nobody-home"
    camera_id = register_camera(live_runtime, "dark", source)
    feed = CameraFeed(camera_id, "dark", source, False, 10)
    writer = SegmentWriter(
        live_runtime.sessions,
        live_runtime.clock,
        live_runtime.sealer,
        live_runtime.blobs,
        SegmentPlanner(live_runtime.rules),
        ExhaustionGate(),
    )
    stop = threading.Event()
    recorder = CameraRecorder(
        feed, writer, live_runtime.clock, stop, backoff=Backoff(first=0.2, cap=0.5), open_timeout=2
    )
    thread = threading.Thread(target=recorder.run)
    thread.start()

    def gaps() -> list[tuple[RecordingGap, str]]:
        with live_runtime.sessions() as session:
            return recording.list_gaps(session, "dark")

    wait_for(lambda: len(gaps()) == 1, 10, "the gap row")
    assert gaps()[0][0].ended_at is None
    assert "refused" in gaps()[0][0].reason.lower()
    time.sleep(1.5)  # several more attempts: still one gap
    stop.set()
    thread.join(timeout=10)
    [(gap, _)] = gaps()
    assert gap.ended_at is not None
    assert (gap.ended_at - gap.started_at) >= timedelta(seconds=1.5)


def test_each_failing_source_is_a_gap_with_its_plain_reason(
    live_runtime: Runtime,
    failing_sources: dict[GapReason, str],
    recording_of: Callable[[], Recording],
) -> None:
    names = {reason: f"failing-{index}" for index, reason in enumerate(failing_sources)}
    for reason, name in names.items():
        register_camera(live_runtime, name, failing_sources[reason])

    def gaps() -> dict[str, RecordingGap]:
        with live_runtime.sessions() as session:
            return {name: gap for gap, name in recording.list_gaps(session)}

    with recording_of():
        wait_for(lambda: len(gaps()) == len(names), 20, "a gap per failing camera")
    found = gaps()
    for reason, name in names.items():
        assert found[name].reason == reason, found[name].detail
        assert found[name].detail
        assert "not-the-password" not in found[name].detail
