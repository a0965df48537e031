"""The spool: a recorder's writes go through in order, are retried, and never hold the camera."""

from __future__ import annotations

import errno
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from custos.errors import StorageError
from custos.recording import service as recording
from custos.recording.media import SegmentFile
from custos.recording.models import RecorderStatus, RecordingGap, Segment
from custos.recording.policy import Backoff, CameraState, GapReason
from custos.recording.recorder import CameraRecorder
from custos.recording.service import CameraFeed, PendingSegment, SegmentWriter, StatusReport
from custos.recording.spool import Spool
from custos.retention.pressure import ExhaustionGate
from custos.retention.service import SegmentPlanner
from custos.runtime import Runtime
from custos.storage.blobs import BlobStore, Space
from helpers import register_camera, segments_of, wait_for

QUICK = Backoff(first=0.05, cap=0.2)


class SwitchableStore:
    """A blob store that fails every write with ENOSPC while `full` is set."""

    def __init__(self, inner: BlobStore) -> None:
        self.inner = inner
        self.full = False
        self.puts = 0

    def put(self, key: str, data: bytes | memoryview) -> None:
        self.puts += 1
        if self.full:
            raise StorageError(f"cannot write blob {key}: the disk is full") from OSError(
                errno.ENOSPC, "No space left on device"
            )
        self.inner.put(key, data)

    def get(self, key: str) -> bytes:
        return self.inner.get(key)

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def keys(self, prefix: str = "") -> Iterator[str]:
        return self.inner.keys(prefix)

    def delete_many(self, keys: Iterator[str] | list[str]) -> None:
        self.inner.delete_many(keys)

    def space(self) -> Space | None:
        return self.inner.space()


@pytest.fixture
def store(live_runtime: Runtime) -> SwitchableStore:
    return SwitchableStore(live_runtime.blobs)


def writer_over(runtime: Runtime, store: BlobStore) -> SegmentWriter:
    return SegmentWriter(
        runtime.sessions,
        runtime.clock,
        runtime.sealer,
        store,
        SegmentPlanner(runtime.rules),
        ExhaustionGate(),
    )


@pytest.fixture
def writer(live_runtime: Runtime, store: SwitchableStore) -> SegmentWriter:
    return writer_over(live_runtime, store)


@pytest.fixture
def feed(live_runtime: Runtime) -> CameraFeed:
    camera_id = register_camera(live_runtime, "gate", "rtsp://10.0.0.1/live")
    return CameraFeed(camera_id, "gate", "rtsp://10.0.0.1/live", False, 2)


@pytest.fixture
def pieces(clip: Path) -> list[SegmentFile]:
    return segments_of(clip, 2)


def sealed(
    writer: SegmentWriter, feed: CameraFeed, pieces: list[SegmentFile], start: datetime
) -> list[PendingSegment]:
    """The pieces sealed as consecutive segments from `start`."""
    out = []
    for piece in pieces:
        out.append(writer.seal(feed, piece, start))
        start = out[-1].ended_at
    return out


def gaps(runtime: Runtime) -> list[RecordingGap]:
    with runtime.sessions() as session:
        return list(session.scalars(sa.select(RecordingGap).order_by(RecordingGap.started_at)))


def stored_ids(runtime: Runtime) -> list[str]:
    with runtime.sessions() as session:
        return list(session.scalars(sa.select(Segment.id).order_by(Segment.started_at)))


def no_holes(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        assert recording.timeline_holes(session, runtime.clock.now()) == []


def test_segments_wait_in_the_spool_while_storage_is_full_and_are_stored_after(
    live_runtime: Runtime,
    writer: SegmentWriter,
    store: SwitchableStore,
    feed: CameraFeed,
    pieces: list[SegmentFile],
) -> None:
    spool = Spool(writer, feed, backoff=QUICK)
    spool.start()
    store.full = True
    start = live_runtime.clock.now()
    segments = sealed(writer, feed, pieces, start)
    began = time.monotonic()
    assert all(spool.segment(segment) for segment in segments)
    assert time.monotonic() - began < 0.5, "handing segments over must not wait for storage"
    wait_for(lambda: store.puts > 3, 10, "retries against the full store")
    assert spool.failure is not None
    assert spool.failure.reason is GapReason.STORAGE_FULL
    assert spool.depth[0] == len(segments)
    assert stored_ids(live_runtime) == []
    store.full = False
    wait_for(lambda: spool.depth[0] == 0, 10, "the spool to drain")
    assert spool.close(live_runtime.clock.now(), None, 5) == 0
    assert stored_ids(live_runtime) == [segment.id for segment in segments]
    assert spool.failure is None
    assert spool.dropped == 0
    assert gaps(live_runtime) == []
    no_holes(live_runtime)


def test_a_full_spool_drops_segments_and_a_gap_covers_exactly_their_time(
    live_runtime: Runtime,
    writer: SegmentWriter,
    store: SwitchableStore,
    feed: CameraFeed,
    pieces: list[SegmentFile],
) -> None:
    start = live_runtime.clock.now()
    segments = sealed(writer, feed, pieces, start)
    spool = Spool(writer, feed, max_bytes=segments[0].size + 1, backoff=QUICK)
    spool.start()
    store.full = True
    wait_for(lambda: spool.segment(segments[0]), 5, "the first segment to be queued")
    wait_for(lambda: spool.failure is not None, 5, "the first failure")
    assert not spool.segment(segments[1]), "the spool is full: the second is dropped"
    store.full = False
    wait_for(lambda: spool.depth[0] == 0, 10, "the spool to drain")
    assert spool.segment(segments[2])
    spool.close(live_runtime.clock.now(), None, 5)
    assert stored_ids(live_runtime) == [segments[0].id, segments[2].id]
    (gap,) = gaps(live_runtime)
    assert (gap.started_at, gap.ended_at) == (segments[1].started_at, segments[2].started_at)
    assert gap.reason == GapReason.STORAGE_FULL
    assert "the disk is full" in gap.detail
    assert spool.dropped == 1
    no_holes(live_runtime)


def test_closing_with_storage_still_failing_loses_only_what_was_pending(
    live_runtime: Runtime,
    writer: SegmentWriter,
    store: SwitchableStore,
    feed: CameraFeed,
    pieces: list[SegmentFile],
) -> None:
    spool = Spool(writer, feed, backoff=QUICK)
    spool.start()
    wait_for(lambda: spool.depth == (0, 0), 5, "the start to be written")
    store.full = True
    spool.segment(sealed(writer, feed, pieces[:1], live_runtime.clock.now())[0])
    began = time.monotonic()
    assert spool.close(live_runtime.clock.now(), None, 1.0) == 1
    assert time.monotonic() - began < 4
    assert stored_ids(live_runtime) == []
    assert list(store.keys("cameras/")) == [], "no blob is left behind"


def status(feed: CameraFeed, at: datetime, state: CameraState, reason: str = "") -> StatusReport:
    return StatusReport(
        camera_id=feed.id,
        state=str(state),
        reason=reason,
        detail="",
        state_since=at,
        started_at=at,
        last_segment_end=None,
        lag_s=None,
        bitrate_bps=None,
        fps=None,
        width=None,
        height=None,
        codec="",
        reconnects=0,
        spool_segments=0,
        spool_bytes=0,
        segments_dropped=0,
    )


def run_once(
    writer: SegmentWriter, feed: CameraFeed, segments: list[PendingSegment], final: StatusReport
) -> None:
    spool = Spool(writer, feed, backoff=QUICK)
    spool.start()
    for segment in segments:
        spool.segment(segment)
    spool.close(segments[-1].ended_at, final, 5)


def test_a_clean_stop_and_start_leave_a_gap_saying_the_system_was_not_running(
    live_runtime: Runtime, writer: SegmentWriter, feed: CameraFeed, pieces: list[SegmentFile]
) -> None:
    start = live_runtime.clock.now() - timedelta(minutes=5)
    first = sealed(writer, feed, pieces[:2], start)
    run_once(writer, feed, first, status(feed, start, CameraState.STOPPED, "system not running"))
    later = sealed(writer, feed, pieces[2:], start + timedelta(minutes=2))
    run_once(writer, feed, later, status(feed, start, CameraState.STOPPED, "system not running"))
    (gap,) = gaps(live_runtime)
    assert (gap.started_at, gap.ended_at) == (first[-1].ended_at, later[0].started_at)
    assert gap.reason == GapReason.SYSTEM_NOT_RUNNING
    no_holes(live_runtime)


def test_what_a_dead_recorder_left_is_cleared_up_on_the_next_start(
    live_runtime: Runtime,
    writer: SegmentWriter,
    feed: CameraFeed,
    pieces: list[SegmentFile],
    store: SwitchableStore,
) -> None:
    start = live_runtime.clock.now() - timedelta(minutes=5)
    first = sealed(writer, feed, pieces[:1], start)
    for segment in first:
        writer.put_blob(segment)
        writer.index(segment)
    # The recorder lost its camera, then died: its gap stays open, its last blob unindexed,
    # and its status row still says it was running at its last heartbeat.
    gap_id = writer.open_gap(feed, first[-1].ended_at, "connection refused")
    orphan = sealed(writer, feed, pieces[1:2], first[-1].ended_at + timedelta(seconds=20))[0]
    writer.put_blob(orphan)
    writer.write_statuses([status(feed, start, CameraState.DOWN, "connection refused")])
    heartbeat = first[-1].ended_at + timedelta(seconds=30)
    with live_runtime.sessions() as session:
        row = session.get(RecorderStatus, feed.id)
        assert row is not None
        row.heartbeat_at = heartbeat
        session.commit()
    later = sealed(writer, feed, pieces[2:], start + timedelta(minutes=3))
    run_once(writer, feed, later, status(feed, start, CameraState.STOPPED, "system not running"))
    stale, restart = gaps(live_runtime)
    assert (stale.id, stale.started_at, stale.ended_at) == (gap_id, first[-1].ended_at, heartbeat)
    assert (restart.started_at, restart.ended_at) == (heartbeat, later[0].started_at)
    assert restart.reason == GapReason.RECORDER_RESTARTED
    assert not store.exists(orphan.blob_key), "the unindexed blob is removed"
    assert stored_ids(live_runtime) == [s.id for s in first + later]
    no_holes(live_runtime)


def test_a_database_error_is_retried_and_named_as_such(
    live_runtime: Runtime, writer: SegmentWriter, feed: CameraFeed, pieces: list[SegmentFile]
) -> None:
    failures = [sa.exc.OperationalError("INSERT", {}, Exception("database is locked"))] * 3
    real_index = writer.index
    seen: list[GapReason] = []

    def index(pending: PendingSegment, *, again: bool = False) -> None:
        if failures:
            raise failures.pop()
        real_index(pending, again=again)

    writer.index = index  # type: ignore[method-assign]
    spool = Spool(writer, feed, backoff=QUICK)
    spool.start()
    (segment,) = sealed(writer, feed, pieces[:1], live_runtime.clock.now())
    spool.segment(segment)
    wait_for(lambda: spool.failure is not None or not failures, 5, "a failure")
    if spool.failure is not None:
        seen.append(spool.failure.reason)
    wait_for(lambda: spool.depth[0] == 0, 10, "the segment to be indexed")
    spool.close(live_runtime.clock.now(), None, 5)
    assert seen == [GapReason.DATABASE_UNAVAILABLE]
    assert stored_ids(live_runtime) == [segment.id]


class WatchedStore(SwitchableStore):
    """Takes its time over each blob, then notes how many segments wait in `spool`."""

    def __init__(self, inner: BlobStore) -> None:
        super().__init__(inner)
        self.spool: Spool | None = None
        self.waiting: list[int] = []

    def put(self, key: str, data: bytes | memoryview) -> None:
        assert self.spool is not None
        time.sleep(0.05)  # slower than cutting a segment: a reader that went on would queue more
        self.waiting.append(self.spool.depth[0])
        super().put(key, data)


def test_a_file_read_at_full_speed_stores_each_segment_before_reading_the_next(
    live_runtime: Runtime, clip: Path
) -> None:
    camera_id = register_camera(live_runtime, "import", str(clip), segment_seconds=2)
    feed = CameraFeed(camera_id, "import", str(clip), False, 2)
    store = WatchedStore(live_runtime.blobs)
    recorder = CameraRecorder(
        feed,
        writer_over(live_runtime, store),
        live_runtime.clock,
        threading.Event(),
        realtime_files=False,
        loop_files=False,
    )
    store.spool = recorder.spool
    began = time.monotonic()
    recorder.run()
    assert time.monotonic() - began < 5, "a 6 s file is read faster than real time"
    assert recorder.segments_stored == 3
    assert store.waiting == [1] * 3  # the one being written, never one behind it
    assert len(stored_ids(live_runtime)) == 3
    assert gaps(live_runtime) == []


def test_waiting_for_room_ends_when_the_recorder_is_stopped(
    live_runtime: Runtime,
    writer: SegmentWriter,
    store: SwitchableStore,
    feed: CameraFeed,
    pieces: list[SegmentFile],
) -> None:
    spool = Spool(writer, feed, backoff=QUICK)
    spool.start()
    store.full = True
    assert spool.segment(sealed(writer, feed, pieces[:1], live_runtime.clock.now())[0])
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    began = time.monotonic()
    spool.wait_for_room(1, stop)  # storage stays full: only the stop ends the wait
    assert 0.25 < time.monotonic() - began < 2
    assert spool.depth[0] == 1
    spool.close(live_runtime.clock.now(), None, 0.5)
