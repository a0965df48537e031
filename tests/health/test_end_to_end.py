"""Real recorders: a live RTSP camera records, a refused one turns down, red and raises an alert.

The supervisor runs against GStreamer's RTSP server and a port nobody listens on; health is
read the way operators read it, over the API, the metrics and /healthz.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from custos.config import Settings
from custos.jobs import evaluate_health
from custos.permissions import Role
from custos.recording import service as recording
from custos.recording.policy import GapReason
from custos.runtime import Runtime
from custos.setup import open_runtime
from custos.users import service as users
from custos.web.app import create_app
from helpers import (
    CHEAP_PASSWORDS,
    Recording,
    RtspCamera,
    bearer,
    call_of,
    custos,
    free_port,
    initialised,
    register_camera,
    wait_for,
)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Runtime]:
    """A deployment on real files whose cameras turn red after one second down."""
    settings = Settings(data_dir=tmp_path / "data", camera_down_alert_seconds=1)
    initialised(settings, passwords=CHEAP_PASSWORDS)
    runtime = open_runtime(settings, passwords=CHEAP_PASSWORDS)
    yield runtime
    runtime.close()


@pytest.fixture
def token(live: Runtime) -> str:
    """An API token of olga, an operator."""
    with live.sessions() as session:
        users.create_user(
            call_of(session, live.clock), name="olga", role=Role.OPERATOR, with_password=False,
            passwords=CHEAP_PASSWORDS,
        )  # fmt: skip
        token, _ = users.issue_token(call_of(session, live.clock), "olga")
    return token


@pytest.fixture
def camera() -> Iterator[RtspCamera]:
    camera = RtspCamera(free_port(), "tcp")
    camera.start()
    yield camera
    camera.stop()


def test_a_refused_camera_is_down_red_alerted_and_degrades_the_system(
    live: Runtime, camera: RtspCamera, token: str
) -> None:
    register_camera(live, "gate", camera.url)
    register_camera(live, "dark", f"rtsp://127.0.0.1:{free_port()}/cam")
    with Recording(live), TestClient(create_app(live), base_url="https://testserver") as client:

        def health() -> dict[str, dict[str, Any]]:
            rows = client.get("/api/health/cameras", headers=bearer(token)).json()
            return {row["camera"]: row for row in rows}

        wait_for(
            lambda: (
                (health()["dark"]["state"], health()["dark"]["reason"], health()["dark"]["red"])
                == ("down", "connection refused", True)
            ),
            30,
            "dark to be down, refused and red",
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


FAILURES = (
    GapReason.HOST_UNREACHABLE,
    GapReason.CONNECTION_REFUSED,
    GapReason.AUTHENTICATION_FAILED,
    GapReason.NOT_A_VIDEO_STREAM,
)


def test_each_failing_source_shows_its_own_reason_everywhere_within_30_s(
    live: Runtime,
    token: str,
    failing_sources: dict[GapReason, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = {reason: f"cam-{index}" for index, reason in enumerate(FAILURES)}
    for reason, name in names.items():
        register_camera(live, name, failing_sources[reason])
    began = time.monotonic()
    with Recording(live):
        with TestClient(create_app(live), base_url="https://testserver") as client:

            def shown() -> dict[str, tuple[str, str]]:
                rows = client.get("/api/health/cameras", headers=bearer(token)).json()
                return {row["camera"]: (row["state"], row["reason"]) for row in rows}

            expected = {name: ("down", str(reason)) for reason, name in names.items()}
            wait_for(lambda: shown() == expected, 30, "every camera down with its own reason")
            assert time.monotonic() - began < 30

            page = client.get("/health", headers={**bearer(token), "Accept": "text/html"}).text
            metrics = client.get("/metrics").text.splitlines()
            for reason, name in names.items():
                row = page[page.index(f'data-camera="{name}"') :]
                assert str(reason) in row[: row.index("</tr>")], name
                assert f'custos_camera_reason{{camera="{name}",reason="{reason}"}} 1.0' in metrics
                assert f'custos_camera_state{{camera="{name}",state="down"}} 1.0' in metrics
            assert client.get("/healthz").json()["status"] == "degraded"

        monkeypatch.setenv("CUSTOS_DATA_DIR", str(live.settings.data_dir))
        code, out, err = custos(capsys, "camera", "status", "--json")
        assert code == 0, err
        listed = {row["camera"]: (row["state"], row["reason"]) for row in json.loads(out)}
        assert listed == expected
    with live.sessions() as session:
        gaps = {name: gap.reason for gap, name in recording.list_gaps(session)}
    assert gaps == {name: str(reason) for reason, name in names.items()}
