"""The holds API: a hold goes only inside an open case (404 for an unknown one, 409 for a
closed one), names its cameras, is reviewed to a new date, and orphans are flagged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.access import service as access
from custos.cases import service as cases
from custos.clock import FrozenClock
from custos.context import Call
from custos.permissions import Role
from custos.retention import holds
from helpers import audit_events, bearer

CASE = "12/2026-0457"


@pytest.fixture
def approver(
    ivan: Call,
    call: Call,
    clock: FrozenClock,
    archive: Callable[..., list[str]],
    make_user: Callable[..., tuple[str, str]],
) -> dict[str, str]:
    """An approver's headers; the camera plaza-north with footage, and the open case."""
    archive("plaza-north", clock.now() - timedelta(hours=1), 2)
    cases.open_case(ivan, CASE, "cpc-kz-199", "robbery at the plaza")
    return bearer(make_user(Role.APPROVER)[1])


def _body(clock: FrozenClock, case_ref: str = CASE, **extra: Any) -> dict[str, Any]:
    start = clock.now() - timedelta(hours=1)
    return {
        "case_ref": case_ref,
        "reason": "trial next month",
        "scopes": [
            {
                "camera": "plaza-north",
                "start": start.isoformat(),
                "end": (start + timedelta(minutes=5)).isoformat(),
            }
        ],
        **extra,
    }


def test_a_hold_on_an_unknown_or_closed_case_is_refused(
    ivan: Call,
    client: TestClient,
    call: Call,
    db: Session,
    clock: FrozenClock,
    approver: dict[str, str],
) -> None:
    unknown = client.post("/api/holds", headers=approver, json=_body(clock, "12/2026-457"))
    assert unknown.status_code == 404
    assert unknown.json() == {
        "error": "not_found",
        "detail": "no case '12/2026-457': a hold is placed inside an open case",
    }
    cases.open_case(ivan, "C-CLOSED", "cpc-kz-199", "done with")
    access.close_case(ivan, "C-CLOSED", "verdict")
    closed = client.post("/api/holds", headers=approver, json=_body(clock, "C-CLOSED"))
    assert closed.status_code == 409
    assert "case C-CLOSED is closed" in closed.json()["detail"]
    stranger = client.post("/api/holds", headers=approver, json=_body(clock, person_ref="P7"))
    assert stranger.status_code == 422
    assert stranger.json()["field"] == "person_ref"
    assert holds.list_holds(db) == []


def test_a_hold_is_placed_listed_by_camera_name_reviewed_and_released(
    client: TestClient, db: Session, clock: FrozenClock, approver: dict[str, str]
) -> None:
    placed = client.post("/api/holds", headers=approver, json=_body(clock))
    assert placed.status_code == 201, placed.text
    hold = placed.json()
    assert (hold["case_ref"], hold["orphaned"], hold["orphan_reason"]) == (CASE, False, None)
    assert [s["camera"] for s in hold["scopes"]] == ["plaza-north"]
    keep_until = clock.now() + timedelta(days=120)
    reviewed = client.post(
        f"/api/holds/{hold['id']}/review",
        headers=approver,
        json={"keep_until": keep_until.isoformat(), "reason": "the trial was postponed"},
    )
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["review_due"].startswith(keep_until.strftime("%Y-%m-%dT%H:%M"))
    too_far = client.post(
        f"/api/holds/{hold['id']}/review",
        headers=approver,
        json={"keep_until": (clock.now() + timedelta(days=400)).isoformat(), "reason": "x"},
    )
    assert too_far.status_code == 422
    not_a_time = client.post(
        f"/api/holds/{hold['id']}/review",
        headers=approver,
        json={"keep_until": "0.5", "reason": "a number is not a time"},
    )
    assert not_a_time.status_code == 422
    [entry] = audit_events(db, event="hold.reviewed")
    assert entry.justification == "the trial was postponed"
    released = client.post(
        f"/api/holds/{hold['id']}/release", headers=approver, json={"reason": "trial over"}
    )
    assert released.json()["released_at"] is not None
    assert client.get("/api/holds", headers=approver).json() == []


def test_orphaned_holds_are_flagged_and_filtered(
    client: TestClient, call: Call, clock: FrozenClock, approver: dict[str, str]
) -> None:
    inside = client.post("/api/holds", headers=approver, json=_body(clock)).json()
    start = clock.now() - timedelta(hours=1)
    typo = holds.place_hold(
        call,
        case_ref="12/2026-9999",
        reason="typo",
        scopes=[holds.Scope("plaza-north", start, start + timedelta(minutes=1))],
    )
    listed = {h["id"]: h for h in client.get("/api/holds", headers=approver).json()}
    assert (listed[inside["id"]]["orphaned"], listed[typo.id]["orphaned"]) == (False, True)
    assert listed[typo.id]["orphan_reason"] == "no such case"
    orphans = client.get("/api/holds?orphaned=true", headers=approver).json()
    assert [h["id"] for h in orphans] == [typo.id]
    refused = client.post(
        f"/api/holds/{typo.id}/review",
        headers=approver,
        json={"keep_until": (clock.now() + timedelta(days=30)).isoformat(), "reason": "keep"},
    )
    assert refused.status_code == 409
    assert "release it instead" in refused.json()["detail"]
