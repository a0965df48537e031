"""Real recorders: a live RTSP camera records, a refused one turns down, red and raises an alert.

The supervisor runs against GStreamer's RTSP server and a port nobody listens on; health is
read the way operators read it, over the API, the metrics and /healthz.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from custos.config import Settings
from custos.jobs import evaluate_health
from custos.permissions import Role
from custos.recording.policy import Backoff
from custos.recording.recorder import CameraRecorder
from custos.recording.service import CameraFeed, SegmentWriter
from custos.recording.supervisor import RecordingSupervisor
from custos.retention.pressure import ExhaustionGate
from custos.retention.service import SegmentPlanner
from custos.runtime import Runtime
from custos.setup import initialise, open_runtime
from custos.users import service as users
from custos.web.app import create_app
from helpers import (
    CHEAP_PASSWORDS,
    RtspCamera,
    bearer,
    call_of,
    free_port,
    register_camera,
    wait_for,
)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Runtime]:
    """A deployment on real files whose cameras turn red after one second down."""
    settings = Settings(data_dir=tmp_path / "data", camera_down_alert_seconds=1)
    initialise(settings, passwords=CHEAP_PASSWORDS)
    runtime = open_runtime(settings, passwords=CHEAP_PASSWORDS)
    yield runtime
    runtime.close()


@pytest.fixture
def camera() -> Iterator[RtspCamera]:
    camera = RtspCamera(free_port(), "tcp")
    camera.start()
    yield camera
    camera.stop()


def _recorder(
    runtime: Runtime,
) -> Callable[[CameraFeed, SegmentWriter, threading.Event], CameraRecorder]:
    def make(feed: CameraFeed, writer: SegmentWriter, stop: threading.Event) -> CameraRecorder:
        return CameraRecorder(
            feed, writer, runtime.clock, stop, backoff=Backoff(first=0.5, cap=2), open_timeout=3
        )

    return make


def test_a_refused_camera_is_down_red_alerted_and_degrades_the_system(
    live: Runtime, camera: RtspCamera
) -> None:
    register_camera(live, "gate", camera.url)
    register_camera(live, "dark", f"rtsp://127.0.0.1:{free_port()}/cam")
    with live.sessions() as session:
        users.create_user(
            call_of(session, live.clock), name="olga", role=Role.OPERATOR, with_password=False,
            passwords=CHEAP_PASSWORDS,
        )  # fmt: skip
        token, _ = users.issue_token(call_of(session, live.clock), "olga")
    stop = threading.Event()
    supervisor = RecordingSupervisor(
        live,
        SegmentPlanner(live.rules),
        ExhaustionGate(),
        poll_seconds=0.5,
        recorder_factory=_recorder(live),
    )
    thread = threading.Thread(target=supervisor.run, args=(stop,))
    thread.start()
    try:
        with TestClient(create_app(live), base_url="https://testserver") as client:

            def health() -> dict[str, dict[str, Any]]:
                rows = client.get("/api/health/cameras", headers=bearer(token)).json()
                return {row["camera"]: row for row in rows}

            wait_for(
                lambda: (
                    (health()["dark"]["state"], health()["dark"]["reason"])
                    == ("down", "connection refused")
                ),
                30,
                "dark to be down, refused",
            )
            dark = health()["dark"]
            assert (dark["reason"], dark["red"]) == ("connection refused", True)
            assert dark["open_gap_reason"] == "connection refused"
            assert list(health()) == ["dark", "gate"]  # worst first
            wait_for(lambda: health()["gate"]["fps"] is not None, 30, "gate's first segment")
            gate = health()["gate"]
            assert (gate["state"], gate["codec"], gate["red"]) == ("recording", "h264", False)

            metrics = client.get("/metrics").text.splitlines()
            assert 'custos_camera_state{camera="dark",state="down"} 1.0' in metrics
            assert 'custos_camera_red{camera="dark"} 1.0' in metrics
            assert 'custos_camera_state{camera="gate",state="recording"} 1.0' in metrics
            assert "custos_recorders_running 2.0" in metrics

            assert evaluate_health(live).raised == ["dark"]
            assert evaluate_health(live).raised == []  # raised once
            alerts = client.get("/api/health/alerts", headers=bearer(token)).json()
            assert [(a["subject"], a["kind"]) for a in alerts] == [("dark", "camera_down")]

            healthz = client.get("/healthz")
            assert healthz.status_code == 200
            assert healthz.json()["status"] == "degraded"
            [reason] = healthz.json()["reasons"]
            assert reason.startswith("camera dark down for ")
            assert reason.endswith(": connection refused")
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not thread.is_alive()
