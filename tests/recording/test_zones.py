"""Privacy zones at ingest: a live camera recorded with a zone never stores what the zone covers."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable

import av
import numpy as np

from custos.cameras import service as cameras
from custos.recording import service as recording
from custos.recording.media import MaskingSegmenter, Segmenter, make_clip
from custos.recording.models import Segment
from custos.recording.policy import Backoff
from custos.recording.recorder import CameraRecorder
from custos.recording.service import active_feeds
from custos.recording.supervisor import RecordingSupervisor
from custos.redaction.zones import ZoneMask
from custos.retention.pressure import ExhaustionGate
from custos.retention.service import SegmentPlanner
from custos.runtime import Runtime
from helpers import RtspCamera, audit_events, call_of, register_camera

# A window across the top left of the picture: the ball of GStreamer's test pattern passes it.
WINDOW = [(0.05, 0.05), (0.55, 0.1), (0.5, 0.6), (0.1, 0.55)]


def _stored_frames(runtime: Runtime, camera: str) -> list[np.ndarray]:
    """Every frame of every stored segment of `camera`, decrypted and decoded (yuv420p)."""
    frames = []
    with runtime.sessions() as session:
        for segment, _ in recording.list_segments(session, camera):
            row = session.get(Segment, segment.id)
            assert row is not None
            data = recording.open_segment(runtime.sealer, runtime.blobs, row)
            with av.open(io.BytesIO(data)) as container:
                frames += [f.to_ndarray(format="yuv420p") for f in container.decode(video=0)]
    return frames


def test_the_zone_is_constant_in_every_stored_frame_of_a_live_camera(
    live_runtime: Runtime, rtsp_camera: Callable[..., RtspCamera]
) -> None:
    # One server each: the test server shares one pipeline between its clients.
    register_camera(live_runtime, "street", rtsp_camera("tcp").url, segment_seconds=4)
    register_camera(live_runtime, "plain", rtsp_camera("tcp").url, segment_seconds=4)
    with live_runtime.sessions() as session:
        cameras.add_zone(
            call_of(session, live_runtime.clock), "street", "flat 3", WINDOW, "windows of a home"
        )
        feeds = {feed.name: feed for feed in active_feeds(session)}
        assert feeds["street"].zones
        assert not feeds["plain"].zones
        assert [e.object_id for e in audit_events(session, event="camera.zone_added")] == ["street"]
    stop = threading.Event()
    supervisor = RecordingSupervisor(
        live_runtime,
        SegmentPlanner(live_runtime.rules),
        ExhaustionGate(),
        poll_seconds=0.5,
        recorder_factory=lambda feed, writer, halt: CameraRecorder(
            feed, writer, live_runtime.clock, halt, backoff=Backoff(first=0.5, cap=2)
        ),
    )
    thread = threading.Thread(target=supervisor.run, args=(stop,))
    thread.start()
    time.sleep(13)
    stop.set()
    thread.join(timeout=60)

    masked, plain = _stored_frames(live_runtime, "street"), _stored_frames(live_runtime, "plain")
    with live_runtime.sessions() as session:
        gaps = [(name, gap.reason) for gap, name in recording.list_gaps(session)]
    assert len(masked) >= 100, gaps
    assert len(plain) >= 100
    height, width = masked[0].shape[0] * 2 // 3, masked[0].shape[1]
    zone = ZoneMask([WINDOW], width, height)
    chroma = zone.polygons[::2, ::2]
    for index, frame in enumerate(masked):
        luma = frame[:height]
        blue, red = frame[height:].reshape(2, height // 2, width // 2)
        assert (luma[zone.polygons] == 16).all(), f"frame {index}: luma in the zone"
        # Chroma may be one level off where the codec rounds; it carries no picture.
        assert np.abs(blue[chroma].astype(int) - 128).max() <= 1, f"frame {index}: chroma"
        assert np.abs(red[chroma].astype(int) - 128).max() <= 1, f"frame {index}: chroma"
    # The rest of the picture is recorded: the white ball shows outside the mask.
    assert max(int(frame[:height][~zone.luma].max()) for frame in masked) > 200
    # Without a zone the ball crosses that area: were it leaking, the checks above would see it.
    assert max(int(frame[:height][zone.polygons].max()) for frame in plain) > 200


def test_a_camera_without_zones_is_stream_copied_and_one_with_zones_re_encoded(tmp_path) -> None:
    clip = tmp_path / "clip.mp4"
    make_clip(clip, 3, fps=15, width=320, height=240, gop=15)
    with av.open(str(clip)) as container:
        source = [bytes(p) for p in container.demux(video=0) if p.size]
    for segmenter_of, copied in (
        (lambda video: Segmenter(video, None, 10), True),
        (lambda video: MaskingSegmenter(video, None, 10, [WINDOW]), False),
    ):
        with av.open(str(clip)) as container:
            segmenter = segmenter_of(container.streams.video[0])
            for packet in container.demux(video=0):
                assert segmenter.push(packet) is None
            (segment,) = segmenter.finish()
        with av.open(io.BytesIO(bytes(segment.data))) as stored:
            packets = [bytes(p) for p in stored.demux(video=0) if p.size]
        assert segment.frames == 45
        assert (packets == source) is copied


def test_a_masked_recording_joined_mid_group_starts_at_the_next_keyframe(tmp_path) -> None:
    clip = tmp_path / "clip.mp4"
    make_clip(clip, 3, fps=15, width=320, height=240, gop=15)
    with av.open(str(clip)) as container:
        segmenter = MaskingSegmenter(container.streams.video[0], None, 10, [WINDOW])
        packets = list(container.demux(video=0))
        for packet in packets[5:]:  # as a camera joined after its keyframe
            assert segmenter.push(packet) is None
        (segment,) = segmenter.finish()
    assert segment.frames == 30  # the two later picture groups
    with av.open(io.BytesIO(bytes(segment.data))) as stored:
        first = next(stored.decode(video=0)).to_ndarray(format="yuv420p")
    assert (first[:240][ZoneMask([WINDOW], 320, 240).polygons] == 16).all()
