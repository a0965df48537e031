"""Retention pages and public routes: overdue reviews flagged, the policy published, the plan."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.clock import FrozenClock
from custos.permissions import Role
from custos.retention import holds
from custos.retention import service as retention
from custos.runtime import Runtime
from helpers import bearer, call_of

HTML = {"Accept": "text/html"}


def test_an_overdue_review_is_flagged_on_the_approvers_page(
    client: TestClient,
    runtime: Runtime,
    db: Session,
    clock: FrozenClock,
    archive: Callable[..., list[str]],
    make_user: Callable[..., tuple[str, str]],
) -> None:
    start = clock.now()
    archive("gate", start, 3)
    holds.place_hold(
        call_of(db, clock),
        case_ref="CASE-5",
        reason="trial",
        review_due=start + timedelta(days=10),
        scopes=[holds.Scope("gate", start, start + timedelta(minutes=1))],
    )
    headers = {**bearer(make_user(Role.APPROVER)[1]), **HTML}
    assert "Review overdue" not in client.get("/holds", headers=headers).text
    clock.advance(timedelta(days=11))
    page = client.get("/holds", headers=headers)
    assert "Review overdue" in page.text
    assert "CASE-5" in page.text
    assert client.get("/api/holds", headers=headers).json()[0]["overdue"] is True


def test_the_policy_is_published(client: TestClient, runtime: Runtime) -> None:
    published = client.get("/policy").json()
    assert (published["name"], published["sha256"]) == ("kz-nvms", runtime.policy.sha256)
    assert published["profile"]["retention"]["default_days"] == 30
    assert "[retention]" in published["toml"]


def test_retention_page_and_plan(
    client: TestClient,
    clock: FrozenClock,
    archive: Callable[..., list[str]],
    make_user: Callable[..., tuple[str, str]],
) -> None:
    archive("gate", clock.now(), 4)
    headers = bearer(make_user(Role.AUDITOR)[1])
    page = client.get("/retention", headers={**headers, **HTML})
    assert page.status_code == 200
    assert 'data-camera="gate"' in page.text
    later = (clock.now() + timedelta(days=31)).isoformat()
    plan = client.get("/api/retention/plan", headers=headers, params={"at": later}).json()
    assert plan["summary"] == {"default": 4}
    assert client.get("/api/retention/plan", headers=headers).json()["summary"] == {}


def test_camera_extension_needs_the_policy_s_reasons(
    client: TestClient,
    runtime: Runtime,
    clock: FrozenClock,
    archive: Callable[..., list[str]],
    make_user: Callable[..., tuple[str, str]],
) -> None:
    archive("lobby", clock.now(), 2)
    headers = bearer(make_user(Role.OPERATOR)[1])
    too_long = client.put("/api/cameras/lobby/retention", headers=headers, json={"days": 60})
    assert too_long.status_code == 422
    assert "at most 30 days" in too_long.json()["detail"]
    shorter = client.put("/api/cameras/lobby/retention", headers=headers, json={"days": 10})
    assert shorter.json()["retention_days"] is None  # within the default: nothing to extend
    later = (clock.now() + timedelta(days=11)).isoformat()
    plan = client.get("/api/retention/plan", headers=headers, params={"at": later}).json()
    assert plan["summary"] == {}  # kz-nvms keeps 30 days whatever a camera asks


def test_eu_edpb_extension_needs_justification_and_dpia(
    db: Session, clock: FrozenClock, runtime: Runtime, archive: Callable[..., list[str]]
) -> None:
    from custos.errors import PolicyViolation
    from custos.profile import load_profile

    eu = load_profile("eu-edpb").profile
    archive("entrance", clock.now(), 2)
    with pytest.raises(PolicyViolation, match="needs a DPIA reference"):
        retention.set_camera_retention(
            call_of(db, clock, profile=eu), "entrance", 14, "busy entrance", ""
        )
    camera = retention.set_camera_retention(
        call_of(db, clock, profile=eu), "entrance", 14, "busy entrance", "DPIA-12"
    )
    assert camera.retention_days == 14
