"""Many machines' worth of Custos on one: PostgreSQL, Redis, moto's S3 server, three recorder
processes, two workers and a web process, six live RTSP cameras. Each recorder is killed with
SIGKILL in turn (and started again, as systemd would); its cameras record again elsewhere
within 15 s, each hand-over one gap, nothing written twice or under a stale epoch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx2 as httpx
import pytest
import redis
import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit.models import AuditEntry
from custos.config import Settings
from custos.db import create_engine
from custos.recording.models import CameraLease, RecordingGap, Segment
from custos.recording.policy import GapReason
from custos.schedule import service as schedule
from custos.schedule.policy import RunState, period_of
from custos.setup import open_runtime
from helpers import (
    RTSP_CAMERA,
    create_postgres_database,
    drop_postgres_database,
    free_port,
    initialised,
    register_camera,
    standing_assessment,
    wait_for,
)

CAMERAS = 6
RECORDERS = 3
SEGMENT = 2  # seconds: what a killed recorder had in hand is lost inside its gap
LEASE = 6.0  # seconds (CUSTOS_LEASE_SECONDS, the default)
TARGET = 15.0  # seconds from the kill to recording again elsewhere, and the longest gap
HEALTH_EVERY = 10.0

pytestmark = pytest.mark.long


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten minutes of a small H.264 picture with a keyframe a second: a camera's stream."""
    clip = tmp_path_factory.mktemp("failover") / "camera.mp4"
    command = ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=10"]
    command += ["-t", "600", "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-bf", "0"]
    command += ["-pix_fmt", "yuv420p", str(clip)]
    subprocess.run(command, check=True)
    return clip


@pytest.fixture
def cameras(long_clip: Path) -> Iterator[list[str]]:
    """One GStreamer RTSP server sending six cameras from the clip, without encoding."""
    port = free_port()
    command = ["/usr/bin/python3", str(RTSP_CAMERA), str(port), "--file", str(long_clip)]
    command += ["--mounts", str(CAMERAS), "--transport", "tcp"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    assert server.stdout.readline().startswith("ready"), "the RTSP server did not start"
    yield [f"rtsp://127.0.0.1:{port}/cam{n}" for n in range(1, CAMERAS + 1)]
    server.terminate()
    server.wait(10)


class Stack:
    """The processes of one deployment, all started with the same settings."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *argv: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "custos", *argv], env=self.env, stdout=log, stderr=log
        )
        self.processes[name] = process
        return process

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process in self.processes.items():
            try:
                process.wait(90)
            except subprocess.TimeoutExpired:
                process.kill()
                pytest.fail(f"{name} did not stop on SIGTERM")


def test_three_recorders_killed_in_turn_hand_every_camera_over_within_15_s(
    tmp_path: Path, s3_endpoint: str, cameras: list[str]
) -> None:
    database = f"custos_failover_{os.getpid()}"
    redis_db = 13
    env = {
        **{k: v for k, v in os.environ.items() if not k.upper().startswith("CUSTOS_")},
        "CUSTOS_DATA_DIR": str(tmp_path / "data"),
        "CUSTOS_DATABASE_URL": create_postgres_database(database),
        "CUSTOS_QUEUE_URL": f"redis://127.0.0.1:6379/{redis_db}",
        "CUSTOS_BLOB_URL": f"s3://failover-{uuid.uuid4().hex[:10]}/segments",
        "CUSTOS_S3_ENDPOINT_URL": s3_endpoint,
        "CUSTOS_S3_ACCESS_KEY_ID": "testing",
        "CUSTOS_S3_SECRET_ACCESS_KEY": "testing",
    }
    redis.Redis.from_url(env["CUSTOS_QUEUE_URL"]).flushdb()
    settings = Settings.model_validate(
        {k.removeprefix("CUSTOS_").lower(): v for k, v in env.items() if k.startswith("CUSTOS_")}
    )
    initialised(settings)
    runtime = open_runtime(settings)
    engine = create_engine(env["CUSTOS_DATABASE_URL"])
    stack = Stack(env, tmp_path)
    try:
        with Session(engine) as session:
            standing_assessment(session)
        names = [f"cam{n}" for n in range(1, CAMERAS + 1)]
        for name, url in zip(names, cameras, strict=True):
            register_camera(runtime, name, url, segment_seconds=SEGMENT)
        started = runtime.clock.now()
        for n in range(RECORDERS):
            stack.start(f"recorder{n}", "record")
        for n in range(2):
            stack.start(f"worker{n}", "worker")
        port = free_port()
        stack.start("web", "web", "--port", str(port))

        def held() -> dict[int, str]:
            with Session(engine) as session:
                return {
                    lease.camera_id: lease.holder
                    for lease in session.scalars(sa.select(CameraLease))
                    if lease.holder is not None
                }

        def recording_since(at: datetime) -> set[int]:
            with Session(engine) as session:
                return set(
                    session.scalars(
                        sa.select(Segment.camera_id).where(Segment.started_at > at).distinct()
                    )
                )

        def _recording_again(own: list[int], since: datetime, seconds: float, what: str) -> None:
            wait_for(lambda: set(own) <= recording_since(since), seconds, what)

        wait_for(lambda: len(recording_since(started)) == CAMERAS, 90, "every camera to record")

        def spread() -> list[int]:
            holders = list(held().values())
            return sorted(holders.count(holder) for holder in set(holders))

        # Whoever started first took more; it hands cameras over until each has its share.
        wait_for(lambda: spread() == [2, 2, 2], 60, "the recorders to share the cameras")
        _recording_again(list(held()), runtime.clock.now(), 30, "every camera to record again")
        handovers: list[tuple[int, datetime, float]] = []  # camera, killed at, seconds to record
        for n in range(RECORDERS):
            victim = stack.processes[f"recorder{n}"]
            holder_prefix = f":{victim.pid}:"
            # Once the cameras are shared out again (a recorder started again takes its share),
            # killed in the middle of its segments, once each of its cameras stored one more.
            wait_for(lambda: spread() == [2, 2, 2], 60, "the recorders to share the cameras")
            own = [camera for camera, holder in held().items() if holder_prefix in holder]
            _recording_again(own, runtime.clock.now(), 30, "a fresh segment")
            assert own == [camera for camera, holder in held().items() if holder_prefix in holder]
            victim.send_signal(signal.SIGKILL)
            killed_at = runtime.clock.now()
            victim.wait(10)
            killed = time.monotonic()
            _recording_again(own, killed_at, 40, "the cameras to record again")
            for camera in own:
                with Session(engine) as session:
                    first = session.scalar(
                        sa.select(sa.func.min(Segment.started_at)).where(
                            Segment.camera_id == camera, Segment.started_at > killed_at
                        )
                    )
                assert first is not None
                handovers.append((camera, killed_at, (first - killed_at).total_seconds()))
            assert time.monotonic() - killed < TARGET + 25
            stack.start(f"recorder{n}", "record")  # started again, as systemd would
        time.sleep(HEALTH_EVERY * 2)
        answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert answer.status_code == 200, answer.text
        stack.stop()
        ended = runtime.clock.now()

        slowest = max(seconds for _, _, seconds in handovers)
        assert slowest <= TARGET, handovers
        with Session(engine) as session:
            gaps = session.scalars(sa.select(RecordingGap)).all()
            failed_over = [g for g in gaps if g.reason == GapReason.RECORDER_FAILED_OVER]
            # One gap per hand-over, each no longer than the target.
            assert sorted(g.camera_id for g in failed_over) == sorted(c for c, _, _ in handovers), [
                (g.camera_id, g.reason, g.started_at, g.ended_at, g.epoch) for g in gaps
            ]
            lengths = [
                (gap.ended_at - gap.started_at).total_seconds()
                for gap in failed_over
                if gap.ended_at is not None
            ]
            figures = {
                "benchmark": "failover",
                "lease_s": LEASE,
                "segment_s": SEGMENT,
                "handovers": len(handovers),
                "record_again_max_s": round(slowest, 1),
                "record_again_median_s": round(
                    sorted(x for _, _, x in handovers)[len(handovers) // 2], 1
                ),
                "gap_max_s": round(max(lengths), 1),
            }
            print(json.dumps(figures))
            assert len(lengths) == len(failed_over)
            assert max(lengths) <= TARGET
            assert {g.reason for g in gaps} <= {
                GapReason.RECORDER_FAILED_OVER,
                GapReason.RECORDER_HANDED_OVER,  # the sharing out at the start
            }, {g.reason for g in gaps}
            _no_segment_twice_nor_stale(session)
            runs = schedule.runs(session, "health")
        # The health job ran once in every period of the whole run, whatever the two workers
        # and their ticks did.
        first, last = period_of(started, HEALTH_EVERY) + 3, period_of(ended, HEALTH_EVERY) - 2
        done = {run.period for run in runs if run.state == RunState.DONE}
        assert set(range(first, last + 1)) <= done
        assert len(runs) == len({run.period for run in runs})
        for argv in (["segments", "gaps", "--check"], ["storage", "check"], ["audit", "verify"]):
            checked = subprocess.run(
                [sys.executable, "-m", "custos", *argv], env=env, capture_output=True, text=True
            )
            assert checked.returncode == 0, (argv, checked.stdout, checked.stderr)
    finally:
        stack.stop()
        runtime.close()
        engine.dispose()
        redis.Redis.from_url(env["CUSTOS_QUEUE_URL"]).flushdb()
        drop_postgres_database(database)


def _no_segment_twice_nor_stale(session: Session) -> None:
    """Per camera: segments do not overlap, and each was stored before the next claim."""
    claims: dict[tuple[str, int], datetime] = {}
    for entry in session.scalars(
        sa.select(AuditEntry).where(AuditEntry.event == "recording.camera_claimed")
    ):
        claims[(str(entry.object_id), int(entry.details["epoch"]))] = entry.at
    names = dict(session.execute(sa.text("SELECT id, name FROM cameras")).all())
    rows = session.scalars(sa.select(Segment).order_by(Segment.camera_id, Segment.started_at))
    previous: Segment | None = None
    for segment in rows:
        assert segment.epoch is not None
        if previous is not None and previous.camera_id == segment.camera_id:
            assert segment.started_at >= previous.ended_at - timedelta(milliseconds=50)
            assert segment.epoch >= previous.epoch  # type: ignore[operator]
        superseded = claims.get((names[segment.camera_id], segment.epoch + 1))
        if superseded is not None:
            assert segment.sealed_at <= superseded, "a segment stored under a stale epoch"
        previous = segment
