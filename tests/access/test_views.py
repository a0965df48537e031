"""The access API and pages: status codes, clear errors, and forms that keep what was typed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.access.models import Grant
from custos.cases import service as cases
from custos.context import Call
from custos.permissions import Role
from helpers import bearer

from .conftest import Scene

FORM = "%Y-%m-%dT%H:%M:%S"


@pytest.fixture
def people(
    make_user: Callable[..., tuple[str, str]], ivan: Call, scene: Scene
) -> dict[Role, dict[str, str]]:
    """Bearer headers of an investigator, a member of the scene's case, and an approver."""
    name, token = make_user(Role.INVESTIGATOR)
    cases.add_member(ivan, scene.reference, name, "works the case with ivan")
    return {Role.INVESTIGATOR: bearer(token), Role.APPROVER: bearer(make_user(Role.APPROVER)[1])}


def _body(scene: Scene, hours_before: float = 0, **extra: Any) -> dict[str, Any]:
    start = scene.start - timedelta(hours=hours_before)
    return {
        "case_id": scene.case_id,
        "windows": [
            {
                "camera": scene.camera,
                "start": start.isoformat(),
                "end": (scene.start + timedelta(seconds=30)).isoformat(),
            }
        ],
        "persons": ["P1"],
        "purpose": "who took the bag",
        "justification": "P1 was seen there",
        **extra,
    }


def test_filing_deciding_and_revoking_over_the_api(
    client: TestClient, people: dict[Role, dict[str, str]], scene: Scene
) -> None:
    investigator, approver = people[Role.INVESTIGATOR], people[Role.APPROVER]
    filed = client.post("/api/access-requests", headers=investigator, json=_body(scene))
    assert filed.status_code == 201, filed.text
    request_id = filed.json()["id"]
    queue = client.get("/api/access-requests?status=pending", headers=approver).json()
    assert [r["id"] for r in queue] == [request_id]
    narrowed = {
        "windows": [
            {
                "camera": scene.camera,
                "start": scene.start.isoformat(),
                "end": (scene.start + timedelta(seconds=10)).isoformat(),
            }
        ],
        "days": 3,
    }
    granted = client.post(
        f"/api/access-requests/{request_id}/approve", headers=approver, json=narrowed
    )
    assert granted.status_code == 201, granted.text
    grant = granted.json()
    assert (grant["state"], grant["reference"], len(grant["windows"])) == (
        "live",
        f"G-{grant['id']}",
        1,
    )
    again = client.post(
        f"/api/access-requests/{request_id}/refuse", headers=approver, json={"reason": "x"}
    )
    assert again.status_code == 409
    timeline = client.get(f"/api/grants/{grant['id']}/footage", headers=investigator).json()
    assert [p["segment"] for p in timeline["windows"][0]["pieces"]] == scene.segments[:1]
    revoked = client.post(
        f"/api/grants/{grant['id']}/revoke", headers=approver, json={"reason": "done"}
    )
    assert revoked.json()["state"] == "revoked"
    assert (
        client.post(
            f"/api/grants/{grant['id']}/revoke", headers=approver, json={"reason": "x"}
        ).status_code
        == 409
    )


def test_api_errors_are_clear(
    client: TestClient,
    people: dict[Role, dict[str, str]],
    scene: Scene,
    grant: Callable[..., Grant],
) -> None:
    investigator, approver = people[Role.INVESTIGATOR], people[Role.APPROVER]
    over = client.post(
        "/api/access-requests", headers=investigator, json=_body(scene, hours_before=30)
    )
    assert over.status_code == 422
    assert over.json()["error"] == "policy_violation"
    assert "the limit is 24 h per window" in over.json()["detail"]
    unknown_camera = _body(scene)
    unknown_camera["windows"][0]["camera"] = "nowhere"
    assert (
        client.post("/api/access-requests", headers=investigator, json=unknown_camera).status_code
        == 404
    )
    assert (
        client.post("/api/access-requests/999/approve", headers=approver, json={}).status_code
        == 404
    )
    no_reason = client.post("/api/access-requests/1/refuse", headers=approver, json={"reason": ""})
    assert no_reason.status_code == 422
    held = grant()
    url = f"/api/grants/{held.id}/windows/{held.windows[0].id}/segments/{scene.segments[0]}/video"
    bad = client.get(url + "?reveal=one", headers=investigator)
    assert (bad.status_code, bad.json()["field"]) == (422, "reveal")


def test_cases_over_the_api(
    client: TestClient, people: dict[Role, dict[str, str]], db: Session
) -> None:
    investigator = people[Role.INVESTIGATOR]
    body = {"reference": "3/2026-11", "legal_basis": "cpc-kz-199", "description": "arson"}
    opened = client.post("/api/cases", headers=investigator, json=body)
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["id"]
    assert client.post("/api/cases", headers=investigator, json=body).status_code == 409
    wrong = client.post(
        "/api/cases", headers=investigator, json={**body, "reference": "4", "legal_basis": "whim"}
    )
    assert (wrong.status_code, wrong.json()["field"]) == (422, "legal_basis")
    added = client.post(
        f"/api/cases/{case_id}/persons", headers=investigator, json={"label": "P1", "minor": True}
    )
    assert added.status_code == 201
    detail = client.get(f"/api/cases/{case_id}", headers=investigator).json()
    assert [(p["label"], p["minor"]) for p in detail["persons"]] == [("P1", True)]
    closed = client.post(
        f"/api/cases/{case_id}/close", headers=investigator, json={"reason": "verdict"}
    )
    assert closed.json() == {"grants_revoked": [], "holds_released": []}
    assert client.get("/api/cases?status=closed", headers=investigator).json()[0]["id"] == case_id
    assert client.get("/api/cases/999", headers=investigator).status_code == 404


def test_a_refused_request_form_shows_the_limit_and_keeps_the_case_page(
    client: TestClient, people: dict[Role, dict[str, str]], scene: Scene
) -> None:
    investigator = {**people[Role.INVESTIGATOR], "Accept": "text/html"}
    start = scene.start - timedelta(hours=30)
    response = client.post(
        f"/cases/{scene.case_id}/requests",
        headers=investigator,
        data={
            "camera": scene.camera,
            "start": start.strftime(FORM),
            "end": scene.start.strftime(FORM),
            "persons": "P1",
            "purpose": "p",
            "justification": "j",
        },
    )
    assert response.status_code == 422
    assert "the limit is 24 h per window" in response.text
    assert "Request footage" in response.text
    typo = client.post(
        f"/cases/{scene.case_id}/requests",
        headers=investigator,
        data={"camera": scene.camera, "start": "yesterday", "end": "", "persons": "P1"},
    )
    assert typo.status_code == 422
    assert "start: &#39;yesterday&#39; is not a date and time" in typo.text


def test_the_decision_form_refuses_to_widen_and_approves_a_narrowed_window(
    client: TestClient,
    people: dict[Role, dict[str, str]],
    scene: Scene,
    file: Callable[..., Any],
    db: Session,
) -> None:
    approver = {**people[Role.APPROVER], "Accept": "text/html"}
    filed = file()
    page = client.get(f"/requests/{filed.id}", headers=approver)
    assert 'id="decision"' in page.text
    wide = {
        "keep": "0",
        "camera": scene.camera,
        "start": (scene.start - timedelta(minutes=1)).strftime(FORM),
        "end": (scene.start + timedelta(seconds=30)).strftime(FORM),
    }
    refused = client.post(f"/requests/{filed.id}/approve", headers=approver, data=wide)
    assert refused.status_code == 422
    assert "lies outside what was asked" in refused.text
    narrow = {
        **wide,
        "start": scene.start.strftime(FORM),
        "end": (scene.start + timedelta(seconds=5)).strftime(FORM),
        "days": "2",
    }
    approved = client.post(
        f"/requests/{filed.id}/approve", headers=approver, data=narrow, follow_redirects=True
    )
    assert approved.status_code == 200
    assert "Grant G-" in approved.text
    assert 'id="decision"' not in approved.text
    nothing_kept = client.post(
        f"/requests/{file().id}/approve", headers=approver, data={**narrow, "keep": []}
    )
    assert nothing_kept.status_code == 422
    assert "at least one camera and window" in nothing_kept.text


def test_a_minor_witness_named_for_identification_takes_two_approvers_over_the_api(
    client: TestClient,
    people: dict[Role, dict[str, str]],
    make_user: Callable[..., tuple[str, str]],
    scene: Scene,
) -> None:
    investigator, approver = people[Role.INVESTIGATOR], people[Role.APPROVER]
    witness = {"label": "W1", "role": "witness", "minor": True}
    added = client.post(f"/api/cases/{scene.case_id}/persons", headers=investigator, json=witness)
    assert added.status_code == 201, added.text
    assert (added.json()["role"], added.json()["minor"]) == ("witness", True)
    wrong = {"label": "W2", "role": "bystander"}
    assert (
        client.post(f"/api/cases/{scene.case_id}/persons", headers=investigator, json=wrong)
    ).status_code == 422
    body = _body(scene, persons=["W1"], identification=True)
    filed = client.post("/api/access-requests", headers=investigator, json=body).json()
    url = f"/api/access-requests/{filed['id']}/approve"
    first = client.post(url, headers=approver, json={})
    assert first.status_code == 202, first.text
    assert first.json()["status"] == "pending"
    assert first.json()["first_approved_by"]
    again = client.post(url, headers=approver, json={})
    assert again.status_code == 409
    assert "another approver must approve too" in again.json()["detail"]
    second = client.post(url, headers=bearer(make_user(Role.APPROVER)[1]), json={})
    assert second.status_code == 201, second.text
    assert second.json()["identification"] is True
