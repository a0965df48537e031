"""The supervisor outlives a registry it cannot read, and restarts a recorder that died."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from custos.recording import service as recording
from custos.recording.media import SegmentFile
from custos.recording.models import RecordingGap
from custos.recording.policy import Backoff, GapReason, Timeline
from custos.recording.recorder import CameraRecorder
from custos.recording.service import CameraFeed, SegmentWriter
from custos.recording.supervisor import RecordingSupervisor
from custos.retention.pressure import ExhaustionGate
from custos.retention.service import SegmentPlanner
from custos.runtime import Runtime
from helpers import register_camera, wait_for


class _Unreachable:
    """A session factory whose database refuses the first `failures` sessions."""

    def __init__(self, sessions: sessionmaker[Session], failures: int) -> None:
        self._sessions = sessions
        self.failures = failures
        self.calls = 0

    def __call__(self, **kwargs: Any) -> Session:
        self.calls += 1
        if self.calls <= self.failures:
            raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))
        return self._sessions(**kwargs)


def test_a_database_outage_does_not_end_the_supervisor(runtime: Runtime) -> None:
    flaky = _Unreachable(runtime.sessions, failures=2)
    outage = dataclasses.replace(runtime, sessions=flaky)
    supervisor = RecordingSupervisor(
        outage, SegmentPlanner(runtime.rules), ExhaustionGate(), poll_seconds=0.1
    )
    supervisor.run(threading.Event(), duration=1.0)
    assert flaky.calls > flaky.failures  # it kept trying after the outage, and got through


class _DiesOnce(CameraRecorder):
    """A recorder with a bug that ends it after its first segment; the first one made dies."""

    deaths = 0

    def _store(self, segment: SegmentFile, timeline: Timeline) -> None:
        super()._store(segment, timeline)
        if _DiesOnce.deaths == 0:
            _DiesOnce.deaths += 1
            raise RuntimeError("a bug in the recorder")


def test_a_recorder_that_dies_is_restarted_with_back_off_and_the_hole_is_a_gap(
    live_runtime: Runtime, clip: Path
) -> None:
    register_camera(live_runtime, "door", str(clip), segment_seconds=2)

    def make(feed: CameraFeed, writer: SegmentWriter, stop: threading.Event) -> CameraRecorder:
        return _DiesOnce(feed, writer, live_runtime.clock, stop)

    supervisor = RecordingSupervisor(
        live_runtime,
        SegmentPlanner(live_runtime.rules),
        ExhaustionGate(),
        poll_seconds=0.2,
        recorder_factory=make,
        restart_backoff=Backoff(first=1.5, cap=3),
    )
    stop = threading.Event()
    thread = threading.Thread(target=supervisor.run, args=(stop,))
    thread.start()
    try:
        wait_for(lambda: len(supervisor.finished) == 1, 20, "the recorder to die")
        died = time.monotonic()
        wait_for(lambda: len(supervisor.recorders) == 1, 20, "the recorder to be restarted")
        assert time.monotonic() - died >= 1.0, "restarted only after the back-off"
        wait_for(lambda: supervisor.recorders[0].segments_stored >= 1, 20, "recording again")
        wait_for(lambda: bool(_closed_gaps(live_runtime)), 20, "the gap to be closed")
    finally:
        stop.set()
        thread.join(60)
    assert not thread.is_alive()
    (gap,) = _closed_gaps(live_runtime)
    assert gap.reason == GapReason.RECORDER_RESTARTED
    with live_runtime.sessions() as session:
        assert recording.timeline_holes(session, live_runtime.clock.now()) == []


def _closed_gaps(runtime: Runtime) -> list[RecordingGap]:
    with runtime.sessions() as session:
        return [gap for gap, _ in recording.list_gaps(session) if gap.ended_at is not None]
