"""Health over HTTP: the JSON API, the page, /healthz (ok, degraded, down) and the metrics."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from custos.clock import FrozenClock
from custos.permissions import Role
from custos.runtime import Runtime
from helpers import bearer, register_camera


def test_the_api_lists_every_camera_worst_first(
    site: dict[str, int], client: TestClient, make_user: Callable[..., tuple[str, str]]
) -> None:
    operator = bearer(make_user(Role.OPERATOR)[1])
    rows = client.get("/api/health/cameras", headers=operator).json()
    assert [(r["camera"], r["state"], r["red"]) for r in rows] == [
        ("yard", "down", True),
        ("hall", "down", False),
        ("gate", "recording", False),
        ("old", "suspended", False),
    ]
    gate = rows[2]
    assert (gate["resolution"], gate["codec"], gate["fps"], gate["segments_stored"]) == (
        "1280x720",
        "h264",
        15.0,
        3,
    )
    assert rows[0]["open_gap_reason"] == "connection refused"
    investigator = bearer(make_user(Role.INVESTIGATOR)[1])
    assert client.get("/api/health/cameras", headers=investigator).status_code == 403


def test_the_page_shows_red_rows_first(
    site: dict[str, int], client: TestClient, make_user: Callable[..., tuple[str, str]]
) -> None:
    admin = {**bearer(make_user(Role.ADMIN)[1]), "Accept": "text/html"}
    page = client.get("/health", headers=admin)
    assert page.status_code == 200
    html = page.text
    assert html.index('data-camera="yard"') < html.index('data-camera="gate"')
    assert 'data-camera="yard" data-state="down" class="state-down red"' in html
    assert 'data-camera="hall" data-state="down" class="state-down"' in html
    assert "System: degraded" in html
    assert '<a href="/health">Health</a>' in html


def test_healthz_ok_without_cameras(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reasons"]) == ("ok", [])


def test_healthz_degraded_names_the_camera_down_past_the_threshold(
    runtime: Runtime, db: Session, clock: FrozenClock, client: TestClient
) -> None:
    from health.conftest import write_status

    camera = register_camera(runtime, "gate", "rtsp://gate.example/live")
    write_status(db, camera, clock.now(), "recording")
    assert client.get("/healthz").json()["status"] == "ok"
    write_status(
        db,
        camera,
        clock.now(),
        "down",
        reason="host unreachable",
        state_since=clock.now() - timedelta(minutes=3),
    )
    response = client.get("/healthz")
    assert response.status_code == 200  # degraded, not down: the web answers
    assert response.json()["status"] == "degraded"
    assert response.json()["reasons"] == ["camera gate down for 3 min: host unreachable"]
    clock.advance(timedelta(minutes=1))  # no heartbeat since: the recorders have stopped
    assert client.get("/healthz").json()["reasons"] == ["recorders not running"]


def test_healthz_is_down_with_503_when_the_database_is_unreachable(
    runtime: Runtime, app: FastAPI
) -> None:
    runtime.sessions = sessionmaker(
        bind=sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    )
    with TestClient(app, base_url="https://testserver") as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert (response.json()["status"], response.json()["reasons"]) == (
        "down",
        ["database unreachable"],
    )


def test_metrics_per_camera_and_for_the_system(
    site: dict[str, int], client: TestClient, runtime: Runtime
) -> None:
    text = client.get("/metrics").text
    lines = set(text.splitlines())
    for line in (
        "custos_database_up 1.0",
        'custos_camera_state{camera="yard",state="down"} 1.0',
        'custos_camera_state{camera="yard",state="recording"} 0.0',
        'custos_camera_state{camera="gate",state="recording"} 1.0',
        'custos_camera_red{camera="yard"} 1.0',
        'custos_camera_open_gaps{camera="yard"} 1.0',
        'custos_camera_reconnects{camera="yard"} 7.0',
        'custos_camera_stored_segments{camera="gate"} 3.0',
        'custos_camera_lag_seconds{camera="gate"} 4.2',
        'custos_camera_last_segment_age_seconds{camera="gate"} 4.0',
        "custos_recorders_running 2.0",
        "custos_spool_segments 2.0",
        "custos_spool_bytes 5000.0",
        "custos_sweep_lag_seconds 0.0",
        "custos_alerts_active 0.0",
    ):
        assert line in lines, line
    assert any(line.startswith("custos_audit_log_entries ") for line in lines)
    assert not any(line.startswith("custos_checkpoint_age_seconds ") for line in lines)
    assert not any(line.startswith('custos_camera_lag_seconds{camera="yard"}') for line in lines)


def test_metrics_say_when_the_database_cannot_be_read(runtime: Runtime, app: FastAPI) -> None:
    runtime.sessions = sessionmaker(
        bind=sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    )
    with TestClient(app, base_url="https://testserver") as client:
        response = client.get("/metrics")
    assert response.status_code == 200
    assert "custos_database_up 0.0" in response.text.splitlines()
