"""The registry of impact assessments and the gate it puts on cameras."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.cameras import service as cameras
from custos.cameras.policy import CameraStatus
from custos.cameras.schemas import CameraCreate, CameraUpdate
from custos.clock import FrozenClock
from custos.context import Actor, Call
from custos.dpia import service
from custos.dpia.models import Assessment, AssessmentVersion
from custos.dpia.policy import Content, Standing, VersionState
from custos.errors import Conflict, Forbidden, InvalidInput
from custos.health import service as health
from custos.recording import service as recording
from custos.recording.policy import GapReason
from helpers import audit_events, call_of

DANA = Actor("dana", "dpo")
OLGA = Actor("olga", "dpo")
ADMIN = Actor("adil", "admin")


@pytest.fixture(autouse=True)
def _no_standing_assessment(db: Session) -> None:
    """These tests start with no assessment at all (the others record under a standing one)."""
    db.execute(sa.delete(AssessmentVersion))
    db.execute(sa.delete(Assessment))
    db.commit()


def _content(clock: FrozenClock, **changes: object) -> Content:
    content = Content(
        title="Almaty public squares",
        description="Cameras over the city's squares",
        purposes="Public order during mass events",
        necessity="Incidents at events; patrols alone proved insufficient",
        risks="Chilling effect on assemblies; profiling of participants",
        vulnerable_groups="Children at events; people at nearby places of worship",
        measures="Masking by default; no face search; 30-day retention",
        consultation=(("Kazakhstan International Bureau for Human Rights", "Object to audio"),),
        dpo_opinion="Proportionate without audio",
        scope=("region:Almaty",),
        analytics=("faces", "plates"),
        review_by=clock.now() + timedelta(days=200),
        public_summary="Square cameras in Almaty, masked, no audio, 30 days",
    )
    return replace(content, **changes)  # type: ignore[arg-type]


def _as(db: Session, clock: FrozenClock, actor: Actor) -> Call:
    return call_of(db, clock, actor)


def _camera(name: str = "square-1", region: str = "Almaty", status: str = "active") -> CameraCreate:
    return CameraCreate.model_validate(
        {"name": name, "source_url": "rtsp://cam.example/live", "category": "public_safety",
         "region": region, "status": status}
    )  # fmt: skip


def test_drafted_by_one_approved_by_another_dpo_and_never_changed_after(
    db: Session, clock: FrozenClock
) -> None:
    draft = service.draft(_as(db, clock, ADMIN), _content(clock))
    reference = service.reference_of(db, draft)
    assert (reference, draft.version, draft.state) == ("DPIA-1", 1, VersionState.DRAFT)
    with pytest.raises(Forbidden, match="is writing version 1"):
        service.draft(_as(db, clock, DANA), _content(clock, title="Mine now"), reference)
    with pytest.raises(Forbidden, match="only a data protection officer"):
        service.approve(_as(db, clock, Actor("ivan", "investigator")), reference, 1)

    mine = service.draft(_as(db, clock, DANA), _content(clock))
    with pytest.raises(Forbidden, match="dana wrote this version"):
        service.approve(_as(db, clock, DANA), service.reference_of(db, mine), 1)

    approved = service.approve(_as(db, clock, OLGA), reference, 1)
    assert (approved.state, approved.approved_by) == (VersionState.APPROVED, "olga")
    with pytest.raises(Conflict, match="is approved"):
        service.approve(_as(db, clock, DANA), reference, 1)

    # A change is a new version: the approved one stays as it was until the new one is approved.
    second = service.draft(_as(db, clock, DANA), _content(clock, scope=("all",)), reference)
    assert second.version == 2
    force = service.approved_version(service.get_assessment(db, reference))
    assert force is not None
    assert (force.version, force.scope) == (1, ["region:Almaty"])
    service.approve(_as(db, clock, OLGA), reference, 2)
    versions = service.get_assessment(db, reference).versions
    assert [v.state for v in versions] == [VersionState.SUPERSEDED, VersionState.APPROVED]
    events = [e.event for e in audit_events(db) if e.event.startswith("dpia.")]
    assert events == [
        "dpia.drafted",
        "dpia.drafted",
        "dpia.approved",
        "dpia.drafted",
        "dpia.approved",
    ]


def test_an_incomplete_assessment_is_refused_naming_the_field(
    db: Session, clock: FrozenClock
) -> None:
    with pytest.raises(InvalidInput, match="vulnerable groups") as refused:
        service.draft(_as(db, clock, DANA), _content(clock, vulnerable_groups=" "))
    assert refused.value.field == "vulnerable_groups"
    with pytest.raises(InvalidInput, match="within 365 days"):
        service.draft(
            _as(db, clock, DANA), _content(clock, review_by=clock.now() + timedelta(days=400))
        )
    assert service.assessments(db) == []


def test_a_camera_records_only_under_a_current_assessment_that_covers_it(
    db: Session, clock: FrozenClock
) -> None:
    admin = _as(db, clock, ADMIN)
    with pytest.raises(Conflict, match="no approved impact assessment covers camera square-1"):
        cameras.register_camera(admin, _camera())
    cameras.register_camera(admin, _camera(status="draft"))  # a draft records nothing
    with pytest.raises(Conflict, match="no approved impact assessment"):
        cameras.set_status(admin, "square-1", CameraStatus.ACTIVE)

    draft = service.draft(_as(db, clock, DANA), _content(clock))
    reference = service.reference_of(db, draft)
    with pytest.raises(Conflict, match="no approved impact assessment"):  # a draft is not enough
        cameras.set_status(admin, "square-1", CameraStatus.ACTIVE)
    service.approve(_as(db, clock, OLGA), reference, 1)
    cameras.set_status(admin, "square-1", CameraStatus.ACTIVE)
    cameras.register_camera(admin, _camera("square-2"))
    with pytest.raises(Conflict, match="no approved impact assessment covers camera lake-1"):
        cameras.register_camera(admin, _camera("lake-1", region="Astana"))
    with pytest.raises(Conflict, match="covers camera square-2"):  # moved out of its scope
        cameras.update_camera(admin, "square-2", CameraUpdate.model_validate({"region": "Astana"}))

    # Past the review date: active cameras go on, none starts.
    clock.advance(timedelta(days=201))
    (force,) = service.in_force(db, clock.now(), grace_days=30)
    assert force.standing is Standing.OVERDUE
    cameras.set_status(admin, "square-1", CameraStatus.SUSPENDED)
    with pytest.raises(Conflict, match=f"{reference} is past its review date"):
        cameras.set_status(admin, "square-1", CameraStatus.ACTIVE)


def test_an_assessment_past_its_review_alerts_then_stops_its_cameras_until_reviewed(
    db: Session, clock: FrozenClock
) -> None:
    admin = _as(db, clock, ADMIN)
    draft = service.draft(_as(db, clock, DANA), _content(clock))
    reference = service.reference_of(db, draft)
    service.approve(_as(db, clock, OLGA), reference, 1)
    cameras.register_camera(admin, _camera())
    system = _as(db, clock, Actor("system"))
    assert health.evaluate_assessment_alerts(system).raised == []

    clock.advance(timedelta(days=200))  # the review date
    assert health.evaluate_assessment_alerts(system).raised == [reference]
    assert health.evaluate_assessment_alerts(system).raised == []  # raised once
    (alert,) = health.active_alerts(db, health.DPIA_OVERDUE)
    assert "its cameras stop on" in alert.detail
    assert cameras.enforce_assessments(system) == []  # within the grace period: recording

    clock.advance(timedelta(days=30))
    assert cameras.enforce_assessments(system) == ["square-1"]
    camera = cameras.get_camera(db, "square-1")
    assert (camera.status, camera.suspended_for) == (CameraStatus.SUSPENDED, "dpia_expired")
    assert recording.stop_reasons(db) == {camera.id: GapReason.DPIA_EXPIRED}
    (suspended,) = audit_events(db, event="camera.suspended")
    assert suspended.details["reason"].startswith(f"DPIA expired: {reference} is past")

    # Reviewed: a new version approved clears the alert, and the camera may record again.
    review = _content(clock, review_by=clock.now() + timedelta(days=300))
    service.draft(_as(db, clock, DANA), review, reference)
    service.approve(_as(db, clock, OLGA), reference, 2)
    assert health.evaluate_assessment_alerts(system).cleared == [reference]
    cameras.set_status(admin, "square-1", CameraStatus.ACTIVE)
    assert cameras.get_camera(db, "square-1").suspended_for == ""
    assert recording.stop_reasons(db) == {}
