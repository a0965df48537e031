"""The camera registry against a real database: register, change, suspend, all audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from custos.cameras import service as cameras
from custos.cameras.policy import CameraCategory, CameraStatus, SensitivityTag
from custos.cameras.schemas import CameraCreate, CameraOut, CameraUpdate
from custos.clock import FrozenClock
from custos.errors import Conflict, InvalidInput, NotFound
from helpers import audit_events, call_of


def _create(name: str = "gate", **extra: object) -> CameraCreate:
    fields: dict[str, object] = {
        "name": name,
        "source_url": "rtsp://op:s3cret@10.1.1.1/live",
        "category": "public_safety",
        "region": "Almaty",
        **extra,
    }
    return CameraCreate.model_validate(fields)


def test_register_stores_every_fact_and_audits_without_the_password(
    db: Session, clock: FrozenClock
) -> None:
    camera = cameras.register_camera(
        call_of(db, clock),
        _create(
            tags=["school", "school", "medical"],
            purpose="Crossing safety",
            location="Gate 1",
            operator_org="City",
        ),
    )
    assert camera.status is CameraStatus.ACTIVE
    assert camera.tags == ["medical", "school"]
    [entry] = audit_events(db, event="camera.registered")
    assert "s3cret" not in str(entry.details)
    assert entry.details["source"] == "rtsp://op:***@10.1.1.1/live"
    assert "s3cret" not in CameraOut.model_validate(camera).model_dump_json()


def test_duplicate_name_is_a_conflict(db: Session, clock: FrozenClock) -> None:
    cameras.register_camera(call_of(db, clock), _create("dup"))
    with pytest.raises(Conflict, match="exists already"):
        cameras.register_camera(call_of(db, clock), _create("dup"))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("category", "traffic", "state_body"),
        ("source_url", "ftp://x/y", "unsupported source"),
        ("tags", ["prison"], "school"),
        ("status", "suspended", "draft or active"),
        ("region", "", "at least 1 character"),
    ],
)
def test_invalid_registration_is_refused_with_the_reason(
    field: str, value: object, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        _create(**{field: value})


def test_update_audits_only_what_changed(db: Session, clock: FrozenClock) -> None:
    cameras.register_camera(call_of(db, clock), _create("upd"))
    clock.advance(timedelta(minutes=5))
    camera = cameras.update_camera(
        call_of(db, clock),
        "upd",
        CameraUpdate(region="Almaty", location="Corner", tags=[SensitivityTag.WORSHIP]),
    )
    assert camera.updated_at == clock.now()
    assert camera.location == "Corner"
    [entry] = audit_events(db, event="camera.updated")
    assert entry.details == {"changed": {"location": "Corner", "tags": ["worship"]}}
    cameras.update_camera(call_of(db, clock), "upd", CameraUpdate(location="Corner"))
    assert len(audit_events(db, event="camera.updated")) == 1


def test_edit_changes_source_location_purpose_and_segment_length(
    db: Session, clock: FrozenClock
) -> None:
    cameras.register_camera(call_of(db, clock), _create("edit"))
    clock.advance(timedelta(minutes=1))
    camera = cameras.edit_camera(
        call_of(db, clock),
        "edit",
        source_url=" rtsp://op:n3w@10.1.1.2/main ",
        location="North door",
        purpose="Deliveries",
        segment_seconds=6,
    )
    assert (camera.source_url, camera.location, camera.purpose, camera.segment_seconds) == (
        "rtsp://op:n3w@10.1.1.2/main",
        "North door",
        "Deliveries",
        6,
    )
    assert camera.updated_at == clock.now()
    [entry] = audit_events(db, event="camera.updated", object_id="edit")
    assert entry.details == {
        "changed": {
            "source_url": "rtsp://op:***@10.1.1.2/main",
            "location": "North door",
            "purpose": "Deliveries",
            "segment_seconds": 6,
        }
    }
    assert "n3w" not in str(entry.details)
    cameras.edit_camera(call_of(db, clock), "edit", location="North door")
    assert len(audit_events(db, event="camera.updated")) == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"source_url": "ftp://10.0.0.2/x"}, "source_url", "unsupported source with 'ftp'"),
        ({"source_url": "clip.mp4"}, "source_url", "no scheme"),
        ({"segment_seconds": 1}, "segment_seconds", "greater than or equal to 2"),
        ({"segment_seconds": 61}, "segment_seconds", "less than or equal to 60"),
        ({"location": "x" * 300}, "location", "at most 256 characters"),
        ({}, None, "give a new source, location, purpose, segment length or priority"),
    ],
)
def test_edit_refuses_bad_input_naming_the_field(
    db: Session, clock: FrozenClock, changes: dict[str, object], field: str | None, message: str
) -> None:
    cameras.register_camera(call_of(db, clock), _create("bad-edit"))
    with pytest.raises(InvalidInput, match=message) as refused:
        cameras.edit_camera(call_of(db, clock), "bad-edit", **changes)  # type: ignore[arg-type]
    assert refused.value.field == field
    assert cameras.get_camera(db, "bad-edit").source_url == "rtsp://op:s3cret@10.1.1.1/live"
    assert audit_events(db, event="camera.updated") == []


def test_editing_an_unknown_camera_is_not_found(db: Session, clock: FrozenClock) -> None:
    with pytest.raises(NotFound):
        cameras.edit_camera(call_of(db, clock), "nowhere", location="x")


def test_suspend_and_activate(db: Session, clock: FrozenClock) -> None:
    cameras.register_camera(call_of(db, clock), _create("life", status="draft"))
    with pytest.raises(Conflict, match="a draft camera cannot become suspended"):
        cameras.set_status(call_of(db, clock), "life", CameraStatus.SUSPENDED)
    cameras.set_status(call_of(db, clock), "life", CameraStatus.ACTIVE, "DPIA approved")
    cameras.set_status(call_of(db, clock), "life", CameraStatus.SUSPENDED, "court order")
    assert [c.name for c in cameras.list_cameras(db, CameraStatus.SUSPENDED)] == ["life"]
    events = [
        (e.event, e.details["reason"])
        for e in audit_events(db, object_type="camera")
        if e.event != "camera.registered"
    ]
    assert events == [("camera.activated", "DPIA approved"), ("camera.suspended", "court order")]


def test_unknown_camera(db: Session) -> None:
    with pytest.raises(NotFound, match="no camera named 'ghost'"):
        cameras.get_camera(db, "ghost")


def test_categories_are_the_law_s_three_plus_other() -> None:
    assert {c.value for c in CameraCategory} == {
        "state_body",
        "terror_vulnerable",
        "public_safety",
        "other",
    }
