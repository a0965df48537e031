"""Replanning: what an incident changes shows at once, in the database and on loaded rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.clock import FrozenClock
from custos.permissions import Role
from custos.profile import Rules
from custos.recording.models import Segment
from custos.retention import incidents
from custos.retention.service import replan
from custos.runtime import Runtime
from helpers import bearer, call_of


def test_segments_a_session_holds_follow_the_plan_it_changes(
    runtime: Runtime, db: Session, clock: FrozenClock, archive: Callable[..., list[str]]
) -> None:
    start = clock.now()
    ids = archive("gate-east", start, 3)
    clock.advance(timedelta(hours=1))
    # Sessions keep their objects across commits: a replan must not leave them stale.
    loaded = list(db.scalars(sa.select(Segment).where(Segment.id.in_(ids))))
    assert {s.retention_reason for s in loaded} == {"default"}
    incident = incidents.mark(
        call_of(db, clock),
        cameras=["gate-east"],
        start=start,
        end=start + timedelta(seconds=5),
        description="a fall on the steps",
        reference="log 7",
        justification="evidence",
        offence=True,
    )
    query = sa.select(Segment.id, Segment.retention_reason).where(Segment.id.in_(ids))
    stored = {row.id: row.retention_reason for row in db.execute(query)}
    assert {s.id: s.retention_reason for s in loaded} == stored
    assert set(stored.values()) == {"incident"}
    incidents.unmark(call_of(db, clock), incident.id, "marked in error")
    assert {s.retention_reason for s in loaded} == {"default"}


def test_a_marked_incident_names_its_cameras(
    client: TestClient,
    clock: FrozenClock,
    archive: Callable[..., list[str]],
    tokens: dict[Role, str],
) -> None:
    start = clock.now() - timedelta(hours=1)
    archive("gate-west", start, 2)
    archive("gate-east", start, 2)
    body = {
        "cameras": ["gate-west", "gate-east"],
        "start": start.isoformat(),
        "end": (start + timedelta(seconds=10)).isoformat(),
        "description": "a fight by the gates",
        "reference": "report 2",
        "justification": "evidence",
    }
    marked = client.post("/api/incidents", json=body, headers=bearer(tokens[Role.OPERATOR]))
    assert marked.status_code == 201, marked.text
    assert marked.json()["cameras"] == ["gate-east", "gate-west"]
    listed = client.get("/api/incidents", headers=bearer(tokens[Role.OPERATOR])).json()
    assert [i["cameras"] for i in listed] == [["gate-east", "gate-west"]]


def test_a_profile_with_a_shorter_period_for_sensitive_sites_plans_their_footage_by_it(
    db: Session, clock: FrozenClock, archive: Callable[..., list[str]]
) -> None:
    start = clock.now()
    school = archive("school-gate", start, 2, tags=("school",))
    street = archive("street", start, 2)
    rules = Rules(default=timedelta(days=30), incident=timedelta(days=2557),
                  sensitive=timedelta(days=7))  # fmt: skip
    replan(db, rules)
    rows = db.execute(
        sa.select(Segment.id, Segment.ended_at, Segment.expires_at, Segment.retention_reason)
    ).all()
    kept = {row.id: (row.expires_at - row.ended_at, row.retention_reason) for row in rows}
    assert {kept[i] for i in school} == {(timedelta(days=7), "sensitive_site")}
    assert {kept[i] for i in street} == {(timedelta(days=30), "default")}
