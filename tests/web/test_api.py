"""The JSON API: shapes, clear 4xx errors, health, metrics and the published schema."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from custos.permissions import Role
from helpers import bearer


@pytest.fixture
def operator_headers(make_user: Callable[..., tuple[str, str]]) -> dict[str, str]:
    return bearer(make_user(Role.OPERATOR)[1])


def test_register_and_read_back(client: TestClient, operator_headers: dict[str, str]) -> None:
    created = client.post(
        "/api/cameras",
        headers=operator_headers,
        json={
            "name": "north-gate",
            "source_url": "rtsp://admin:hunter2@10.0.0.4/ch1",
            "category": "terror_vulnerable",
            "region": "Astana",
            "tags": ["shelter"],
            "purpose": "Protect the shelter entrance",
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert body["source_url"] == "rtsp://admin:***@10.0.0.4/ch1"
    assert body["status"] == "active"
    assert body["tags"] == ["shelter"]
    listed = client.get("/api/cameras", headers=operator_headers).json()
    assert [c["name"] for c in listed] == ["north-gate"]
    assert "hunter2" not in client.get("/api/cameras/north-gate", headers=operator_headers).text


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"category": "traffic"}, "category", "Input should be 'state_body', 'terror_vulnerable'"),
        ({"source_url": "smb://share/cam"}, "source_url", "unsupported source with 'smb'"),
        ({"source_url": "cam.mp4"}, "source_url", "unsupported source with no scheme"),
        ({"name": "Bad Name"}, "name", "lowercase letters"),
        ({"colour": "red"}, "colour", "Extra inputs are not permitted"),
    ],
)
def test_invalid_camera_is_422_naming_the_field(
    client: TestClient,
    operator_headers: dict[str, str],
    body: dict[str, str],
    field: str,
    message: str,
) -> None:
    payload = {
        "name": "cam",
        "source_url": "rtsp://c.example/",
        "category": "other",
        "region": "R",
        **body,
    }
    response = client.post("/api/cameras", headers=operator_headers, json=payload)
    assert response.status_code == 422
    error = response.json()
    assert (error["error"], error["field"]) == ("invalid_input", field)
    assert f"{field}: " in error["detail"]
    assert message in error["detail"]


def test_malformed_json_is_422(client: TestClient, operator_headers: dict[str, str]) -> None:
    response = client.post(
        "/api/cameras",
        headers={**operator_headers, "Content-Type": "application/json"},
        content=b"{not json",
    )
    assert response.status_code == 422
    assert response.json() == {"error": "invalid_input", "detail": "the body is not valid JSON"}


def test_conflicts_and_unknowns(client: TestClient, operator_headers: dict[str, str]) -> None:
    body = {"name": "twice", "source_url": "rtsp://c.example/", "category": "other", "region": "R"}
    assert client.post("/api/cameras", headers=operator_headers, json=body).status_code == 201
    again = client.post("/api/cameras", headers=operator_headers, json=body)
    assert again.status_code == 409
    assert again.json()["error"] == "conflict"
    missing = client.get("/api/cameras/nowhere", headers=operator_headers)
    assert missing.status_code == 404
    assert "nowhere" in missing.json()["detail"]
    suspended = client.post(
        "/api/cameras/twice/suspend", headers=operator_headers, json={"reason": "x"}
    )
    assert suspended.json()["status"] == "suspended"
    assert (
        client.post("/api/cameras/twice/suspend", headers=operator_headers, json={}).status_code
        == 409
    )


def test_admin_creates_user_with_one_time_password(
    client: TestClient, make_user: Callable[..., tuple[str, str]]
) -> None:
    admin = bearer(make_user(Role.ADMIN)[1])
    response = client.post("/api/users", headers=admin, json={"name": "zed", "role": "auditor"})
    assert response.status_code == 201
    assert len(response.json()["password"]) == 20
    assert "password" not in client.get("/api/users/zed", headers=admin).json()
    bad = client.post("/api/users", headers=admin, json={"name": "zed2", "role": "superuser"})
    assert bad.status_code == 422


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"


def test_metrics_count_requests_by_route(
    fresh_app: FastAPI, operator_headers: dict[str, str]
) -> None:
    with TestClient(fresh_app, base_url="https://testserver") as client:
        client.get("/api/cameras/x", headers=operator_headers)
        text = client.get("/metrics").text
    assert (
        'custos_http_requests_total{method="GET",route="/api/cameras/{name}",status="404"} 1.0'
        in text
    )
    assert "custos_http_request_seconds_bucket" in text


def test_openapi_is_published_and_lists_the_api(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "/api/cameras" in schema["paths"]
    assert "/login" not in schema["paths"]  # pages are not part of the API
