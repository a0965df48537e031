"""Suspicion refuted, end to end over the HTTP API: the grant ends, the hold ends, retention
resumes and erases what only the hold was keeping, and every step is in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.cases import service as cases
from custos.clock import FrozenClock
from custos.permissions import Role
from custos.recording.models import Segment
from custos.retention.sweeper import Sweeper
from custos.runtime import Runtime
from helpers import audit_events, bearer, call_of
from helpers import investigator as as_investigator


def test_clearing_a_person_revokes_their_grant_releases_the_hold_and_retention_resumes(
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    runtime: Runtime,
    make_user: Callable[..., tuple[str, str]],
    archive: Callable[..., list[str]],
) -> None:
    investigator, investigator_token = make_user(Role.INVESTIGATOR)
    approver, approver_token = make_user(Role.APPROVER)
    filmed = clock.now() - timedelta(days=29)
    segments = archive("platform", filmed, 2)
    opener = call_of(db, clock, as_investigator(investigator))
    case = cases.open_case(opener, "5/2026-88", "cpc-kz-199", "x")
    cases.add_person(opener, case.reference, "P1")

    filed = client.post(
        "/api/access-requests",
        headers=bearer(investigator_token),
        json={
            "case_id": case.id,
            "windows": [
                {
                    "camera": "platform",
                    "start": filmed.isoformat(),
                    "end": (filmed + timedelta(seconds=20)).isoformat(),
                }
            ],
            "persons": ["P1"],
            "purpose": "who pushed the victim",
            "justification": "P1 was reported on the platform",
        },
    )
    assert filed.status_code == 201, filed.text
    granted = client.post(
        f"/api/access-requests/{filed.json()['id']}/approve",
        headers=bearer(approver_token),
        json={"hold": True, "note": "kept for the trial"},
    )
    assert granted.status_code == 201, granted.text
    grant = granted.json()
    video = f"/api/grants/{grant['id']}/windows/{{window}}/segments/{segments[0]}/video"
    timeline = client.get(f"/api/grants/{grant['id']}/footage", headers=bearer(investigator_token))
    window = timeline.json()["windows"][0]["id"]
    video = video.format(window=window)

    # Two days on, the footage is past its 30 days: only the hold placed with the grant keeps it.
    clock.advance(timedelta(days=2))
    sweeper = Sweeper(runtime.sessions, clock, runtime.blobs, runtime.rules)
    assert sweeper.run().erased == 0
    assert client.get(video, headers=bearer(investigator_token)).status_code == 200

    # The investigator learns the suspicion is refuted, and clears P1 (a member of the case).
    cleared = client.post(
        f"/api/cases/{case.id}/persons/P1/clear",
        headers=bearer(investigator_token),
        json={"reason": "CCTV of the next station shows P1 elsewhere"},
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["grants_revoked"] == [grant["id"]]
    assert len(cleared.json()["holds_released"]) == 1

    refused = client.get(video, headers=bearer(investigator_token))
    assert refused.status_code == 403
    assert "revoked" in refused.json()["detail"]
    state = client.get(f"/api/grants/{grant['id']}", headers=bearer(approver_token)).json()
    assert state["state"] == "revoked"

    # Retention resumes: the next sweep erases what the hold was keeping.
    assert sweeper.run().erased == 2
    db.expire_all()
    assert all(db.get(Segment, s).erased_at is not None for s in segments)

    steps = [
        ("access.requested", investigator),
        ("access.approved", approver),
        ("hold.placed", approver),
        ("footage.viewed", investigator),
        ("case.person_cleared", investigator),
        ("grant.revoked", investigator),
        ("hold.released", investigator),
        ("footage.refused", investigator),
        ("retention.segments_erased", "retention-sweeper"),
    ]
    for event, actor in steps:
        assert audit_events(db, event=event), event
        assert {e.actor for e in audit_events(db, event=event)} == {actor}, event
    sequence = [e.event for e in audit_events(db) if e.event in dict(steps)]
    assert sequence == [
        "access.requested",
        "access.approved",
        "hold.placed",
        "footage.viewed",
        "case.person_cleared",
        "grant.revoked",
        "hold.released",
        "footage.refused",
        "retention.segments_erased",  # the camera's two segments, in one entry
    ]
    (revoked,) = audit_events(db, event="grant.revoked")
    assert (revoked.case_ref, revoked.grant_ref, revoked.legal_basis, revoked.recipient) == (
        case.reference,
        grant["reference"],
        "cpc-kz-199",
        investigator,
    )
    assert revoked.justification == "P1 cleared: CCTV of the next station shows P1 elsewhere"
