"""Faults injected from outside while live cameras record: nothing stops a recorder for good.

A database locked for 90 s, PostgreSQL refusing connections for 30 s, a blob store full for 60 s
and five `kill -9` of `custos record`: in each, every second of every camera's time line is
stored footage or inside a gap row with the right reason, and the checks an operator runs
(`custos segments gaps --check`, `custos storage check`, `custos audit verify`) pass after.
These run in real time.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from custos.config import Settings
from custos.recording import service as recording
from custos.recording.models import RecordingGap, Segment
from custos.recording.policy import GapReason
from custos.runtime import Runtime
from custos.setup import open_runtime
from helpers import (
    POSTGRES_ADMIN_URL,
    Recording,
    RtspCamera,
    create_postgres_database,
    custos,
    drop_postgres_database,
    initialised,
    register_camera,
    wait_for,
)

pytestmark = pytest.mark.long

SEGMENT = 2
CAMERAS = ("north", "south")
# A segment is cut at the first keyframe (one a second) after its length, and a live camera's
# packets arrive with some jitter: lag beyond this means the recorder fell behind.
MAX_LAG = SEGMENT + 2.0


def start_cameras(runtime: Runtime, rtsp_camera: Callable[..., RtspCamera]) -> None:
    for name in CAMERAS:
        register_camera(runtime, name, rtsp_camera("tcp").url, segment_seconds=SEGMENT)


def segments(runtime: Runtime, camera: str) -> list[Segment]:
    with runtime.sessions() as session:
        return [segment for segment, _ in recording.list_segments(session, camera)]


def stored_counts(runtime: Runtime) -> dict[str, int]:
    """How many segments each camera has, read without holding a recorder's writes up."""
    with runtime.reading() as session:
        return {name: len(recording.list_segments(session, name)) for name in CAMERAS}


def gaps(runtime: Runtime) -> list[RecordingGap]:
    with runtime.sessions() as session:
        return [gap for gap, _ in recording.list_gaps(session)]


def recording_everywhere(runtime: Runtime, count: int = 2) -> None:
    wait_for(
        lambda: all(len(segments(runtime, name)) >= count for name in CAMERAS),
        60,
        "both cameras to record",
    )


class Watch:
    """Samples, once a second, whether the supervisor and every recorder live, and their lag."""

    def __init__(self, rec: Recording) -> None:
        self.rec = rec
        self.lags: list[float] = []
        self.problems: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            if not self.rec.thread.is_alive():
                self.problems.append("the supervisor died")
            recorders = self.rec.supervisor.recorders
            if len(recorders) != len(CAMERAS):
                self.problems.append(f"{len(recorders)} recorders running")
            if self.rec.supervisor.finished:
                self.problems.append("a recorder ended")
            for recorder in recorders:
                lag = recorder.status().lag_s
                if lag is not None:
                    self.lags.append(lag)


def drained(rec: Recording) -> bool:
    return all(recorder.spool.depth[0] == 0 for recorder in rec.supervisor.recorders)


def operator_checks_pass(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    monkeypatch.setenv("CUSTOS_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("CUSTOS_DATABASE_URL", settings.database_url)
    for argv in (["segments", "gaps", "--check"], ["storage", "check"], ["audit", "verify"]):
        code, out, err = custos(capsys, *argv)
        assert code == 0, (argv, out, err)


def covered_without_gaps(runtime: Runtime, since: datetime, until: datetime) -> None:
    """Stored footage alone covers (since, until) on every camera."""
    with runtime.sessions() as session:
        assert recording.timeline_holes(session, runtime.clock.now()) == []
    for name in CAMERAS:
        stored = segments(runtime, name)
        assert stored[0].started_at < since
        assert stored[-1].ended_at > until
    for gap in gaps(runtime):
        assert gap.ended_at is not None
        assert gap.ended_at <= since or gap.started_at >= until, (gap.reason, gap.started_at)


def test_a_database_locked_for_90_s_loses_nothing_and_stops_nothing(
    live_runtime: Runtime,
    rtsp_camera: Callable[..., RtspCamera],
    recording_of: Callable[[], Recording],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    start_cameras(live_runtime, rtsp_camera)
    with recording_of() as rec:
        recording_everywhere(live_runtime)
        with Watch(rec) as watch:
            lock = sqlite3.connect(live_runtime.settings.data_dir / "custos.db", timeout=1)
            lock.execute("BEGIN IMMEDIATE")  # every writer and every transaction waits
            locked_at = live_runtime.clock.now()
            time.sleep(90)
            unlocked_at = live_runtime.clock.now()
            lock.rollback()
            lock.close()
            wait_for(lambda: drained(rec), 90, "the spools to drain")
            time.sleep(SEGMENT * 2)
        assert watch.problems == []
        assert max(watch.lags) <= MAX_LAG
    covered_without_gaps(live_runtime, locked_at, unlocked_at)
    operator_checks_pass(capsys, monkeypatch, live_runtime.settings)


@pytest.fixture
def postgres_runtime(tmp_path: Path) -> Iterator[tuple[Runtime, str]]:
    """An initialised data folder whose database is a fresh PostgreSQL one; yields its name."""
    name = f"custos_fault_{uuid.uuid4().hex[:12]}"
    settings = Settings(data_dir=tmp_path / "data", database_url=create_postgres_database(name))
    initialised(settings)
    runtime = open_runtime(settings)
    yield runtime, name
    runtime.close()
    drop_postgres_database(name)


def refuse_connections(name: str, refuse: bool) -> None:
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(
            f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {"false" if refuse else "true"}'
        )
        if refuse:
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )
    admin.dispose()


def test_postgresql_refusing_connections_for_30_s_loses_nothing(
    postgres_runtime: tuple[Runtime, str],
    rtsp_camera: Callable[..., RtspCamera],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runtime, name = postgres_runtime
    start_cameras(runtime, rtsp_camera)
    with Recording(runtime) as rec:
        recording_everywhere(runtime)
        with Watch(rec) as watch:
            refuse_connections(name, True)
            refused_at = runtime.clock.now()
            try:
                time.sleep(30)
            finally:
                refuse_connections(name, False)
            allowed_at = runtime.clock.now()
            wait_for(lambda: drained(rec), 60, "the spools to drain")
            time.sleep(SEGMENT * 2)
        assert watch.problems == []
        assert max(watch.lags) <= MAX_LAG
    covered_without_gaps(runtime, refused_at, allowed_at)
    operator_checks_pass(capsys, monkeypatch, runtime.settings)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 48 MiB tmpfs where the blob folder goes."""
    blobs = tmp_path / "data" / "blobs"
    blobs.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(blobs)],
        capture_output=True,
        text=True,
    )
    assert mounted.returncode == 0, f"this test mounts a tmpfs as root: {mounted.stderr}"
    yield blobs
    subprocess.run(["umount", "-l", str(blobs)], check=False)


def fill(folder: Path) -> Path:
    """Fill the file system holding `folder` to the last byte."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as handle:
        for size in (1 << 20, 4096, 1):
            chunk = b"\0" * size
            try:
                while handle.write(chunk):
                    pass
            except OSError:
                pass
    return filler


def test_a_full_blob_store_for_60_s_becomes_a_storage_full_gap_and_nothing_else(
    small_disk: Path,
    tmp_path: Path,
    rtsp_camera: Callable[..., RtspCamera],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A small spool (200 kB a camera, some ten segments) so that 60 s of refused writes overflow it.
    settings = Settings(data_dir=tmp_path / "data", spool_megabytes=0.2)
    initialised(settings)
    runtime = open_runtime(settings)
    try:
        start_cameras(runtime, rtsp_camera)
        with Recording(runtime) as rec:
            recording_everywhere(runtime)
            with Watch(rec) as watch:
                filler = fill(small_disk)
                full_at = runtime.clock.now()
                time.sleep(60)
                filler.unlink()
                freed_at = runtime.clock.now()
                wait_for(lambda: drained(rec), 60, "the spools to drain")
                time.sleep(SEGMENT * 3)
            dropped = [recorder.spool.dropped for recorder in rec.supervisor.recorders]
            assert watch.problems == []
            assert max(watch.lags) <= MAX_LAG, "the recorder fell behind while storage failed"
        assert all(count > 0 for count in dropped), "the spools overflowed"
        with runtime.sessions() as session:
            assert recording.timeline_holes(session, runtime.clock.now()) == []
        lost = gaps(runtime)
        assert {gap.camera_id for gap in lost} == set(range(1, len(CAMERAS) + 1))
        for gap in lost:
            assert gap.reason == GapReason.STORAGE_FULL, (gap.reason, gap.detail)
            assert gap.ended_at is not None
            assert full_at <= gap.started_at
            assert gap.ended_at <= freed_at + (runtime.clock.now() - freed_at)
        for name in CAMERAS:  # recording goes on after the disk is freed
            assert segments(runtime, name)[-1].started_at > freed_at
        operator_checks_pass(capsys, monkeypatch, settings)
    finally:
        runtime.close()


def test_five_kill_9_of_custos_record_leave_only_explained_gaps_and_no_orphan(
    live_runtime: Runtime,
    rtsp_camera: Callable[..., RtspCamera],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    start_cameras(live_runtime, rtsp_camera)
    env = {**os.environ, "CUSTOS_DATA_DIR": str(live_runtime.settings.data_dir)}
    chance = random.Random(13)
    command = [sys.executable, "-m", "custos", "record"]
    for _ in range(5):
        before = stored_counts(live_runtime)
        process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
        # Killed while recording: once every camera has a new segment (however long a loaded
        # machine takes to start it), at a random moment of the next one.
        deadline = time.monotonic() + 90
        while any(count <= before[n] for n, count in stored_counts(live_runtime).items()):
            assert time.monotonic() < deadline, "the recorder wrote no segment in 90 s"
            time.sleep(0.25)
        time.sleep(chance.uniform(0, 3))
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        time.sleep(chance.uniform(0.2, 2))
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    time.sleep(8)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err

    with live_runtime.sessions() as session:
        assert recording.timeline_holes(session, live_runtime.clock.now()) == []
        named = set(session.scalars(sa.select(Segment.blob_key)))
    reasons = {gap.reason for gap in gaps(live_runtime)}
    # Each new process takes the killed one's cameras once their leases run out.
    assert GapReason.RECORDER_FAILED_OVER in reasons
    assert reasons <= {GapReason.RECORDER_FAILED_OVER, GapReason.SYSTEM_NOT_RUNNING}, reasons
    assert all(gap.ended_at is not None for gap in gaps(live_runtime))
    assert set(live_runtime.blobs.keys("cameras/")) == named, "no orphan blob, none missing"
    for name in CAMERAS:
        assert len(segments(live_runtime, name)) >= 5
    operator_checks_pass(capsys, monkeypatch, live_runtime.settings)
