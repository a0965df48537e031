"""Registering and changing cameras; every change is audited in its own transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.orm import Session, object_session

from custos.audit import service as audit
from custos.audit.policy import Action
from custos.audit.service import record
from custos.cameras import policy
from custos.cameras.models import Camera as Camera
from custos.cameras.models import PrivacyZone
from custos.cameras.policy import CameraStatus, Point, Suspension, Withheld
from custos.cameras.schemas import CameraCreate, CameraUpdate
from custos.clock import Clock
from custos.context import Call, Context
from custos.dpia import service as dpia
from custos.dpia.policy import Analytics, CameraFacts, best_cover, keeps_recording
from custos.dpia.policy import analytics_problem as dpia_analytics_problem
from custos.errors import Conflict, InvalidInput, NotFound


def list_cameras(session: Session, status: CameraStatus | None = None) -> list[Camera]:
    """All cameras by name, optionally only those with `status`."""
    query = sa.select(Camera).order_by(Camera.name)
    if status is not None:
        query = query.where(Camera.status == status)
    return list(session.scalars(query))


def camera_names(session: Session) -> dict[int, str]:
    """Every camera's name by its id."""
    return {row.id: row.name for row in session.execute(sa.select(Camera.id, Camera.name))}


def camera_ids(session: Session, names: Iterable[str]) -> dict[str, int]:
    """The ids of the cameras called `names`; a name no camera has is left out."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    return {
        row.name: row.id
        for row in session.execute(sa.select(Camera.id, Camera.name).where(Camera.name.in_(wanted)))
    }


def retention_days(session: Session) -> dict[int, float | None]:
    """Every camera's retention extension in days by its id (None: the policy's default)."""
    return {
        row.id: row.retention_days
        for row in session.execute(sa.select(Camera.id, Camera.retention_days))
    }


def sensitive_ids(session: Session) -> set[int]:
    """The ids of the cameras at sensitive sites (tagged school, medical, shelter, ...)."""
    return {row.id for row in session.execute(sa.select(Camera.id, Camera.tags)) if row.tags}


def regions(session: Session) -> list[str]:
    """The regions cameras are registered in, in order."""
    return list(session.scalars(sa.select(Camera.region).distinct().order_by(Camera.region)))


def get_camera(session: Session, name: str) -> Camera:
    """The camera called `name`, or NotFound."""
    camera = session.scalar(sa.select(Camera).where(Camera.name == name))
    if camera is None:
        raise NotFound(f"no camera named '{name}'")
    return camera


def register_camera(call: Call, data: CameraCreate) -> Camera:
    """Add a camera to the registry."""
    session, clock, actor = call.session, call.clock, call.actor
    if session.scalar(sa.select(Camera.id).where(Camera.name == data.name)) is not None:
        raise Conflict(f"a camera named '{data.name}' exists already")
    if data.status is CameraStatus.ACTIVE:
        tags = tuple(tag.value for tag in data.tags)
        dpia.gate(call, CameraFacts(data.name, data.region, data.category.value, tags))
    now = clock.now()
    camera = Camera(
        name=data.name,
        source_url=data.source_url,
        category=data.category,
        region=data.region,
        operator_org=data.operator_org,
        location=data.location,
        purpose=data.purpose,
        tags=[tag.value for tag in data.tags],
        record_audio=data.record_audio,
        segment_seconds=data.segment_seconds,
        priority=data.priority,
        status=data.status,
        latitude=data.latitude,
        longitude=data.longitude,
        signage=data.signage,
        contact=data.contact,
        withheld_reason="",
        withheld_note="",
        created_at=now,
        updated_at=now,
    )
    session.add(camera)
    session.flush()
    audit.record(
        session,
        clock,
        actor,
        Action.CONFIGURE,
        "camera.registered",
        object_type="camera",
        object_id=camera.name,
        details=_described(camera),
    )
    session.commit()
    return camera


def update_camera(call: Call, name: str, changes: CameraUpdate) -> Camera:
    """Change a camera's description; the audit entry lists the fields that changed."""
    session, clock, actor = call.session, call.clock, call.actor
    camera = get_camera(session, name)
    changed: dict[str, Any] = {}
    for field, value in changes.model_dump(exclude_unset=True, exclude_none=True).items():
        new: Any = sorted({tag.value for tag in value}) if field == "tags" else value
        if getattr(camera, field) == new:
            continue
        setattr(camera, field, new)
        changed[field] = policy.redact_source(new) if field == "source_url" else new
    if not changed:
        return camera
    if camera.status is CameraStatus.ACTIVE and changed.keys() & {"region", "category", "tags"}:
        dpia.gate(call, facts_of(camera))  # still covered as it is now described
    camera.updated_at = clock.now()
    audit.record(
        session,
        clock,
        actor,
        Action.CONFIGURE,
        "camera.updated",
        object_type="camera",
        object_id=name,
        details={"changed": changed},
    )
    session.commit()
    return camera


def edit_camera(
    call: Call,
    name: str,
    *,
    source_url: str | None = None,
    location: str | None = None,
    purpose: str | None = None,
    segment_seconds: int | None = None,
    priority: int | None = None,
) -> Camera:
    """Change where a camera's picture comes from, how it is described and cut, and which
    recorders take first.

    Only the values given change; each is checked as at registration, and a refusal names the
    field. The change and its audit entry are one transaction; a recorder whose source or
    segment length changed is restarted by the supervisor ('camera settings changed').
    """
    given = {
        key: value
        for key, value in {
            "source_url": source_url,
            "location": location,
            "purpose": purpose,
            "segment_seconds": segment_seconds,
            "priority": priority,
        }.items()
        if value is not None
    }
    if not given:
        raise InvalidInput("give a new source, location, purpose, segment length or priority")
    try:
        changes = CameraUpdate.model_validate(given)
    except ValidationError as error:
        [first, *_] = error.errors()
        field = str(first["loc"][0]) if first["loc"] else None
        raise InvalidInput(first["msg"].removeprefix("Value error, "), field=field) from None
    return update_camera(call, name, changes)


def set_status(
    call: Call,
    name: str,
    target: CameraStatus,
    reason: str = "",
    cause: Suspension = Suspension.OPERATOR,
) -> Camera:
    """Move a camera to `target` status if the lifecycle allows it."""
    camera = get_camera(call.session, name)
    problem = policy.transition_problem(camera.status, target)
    if problem:
        raise Conflict(problem)
    if target is CameraStatus.ACTIVE:
        dpia.gate(call, facts_of(camera))
    _move(call, camera, target, reason, cause)
    call.session.commit()
    return camera


def _move(call: Call, camera: Camera, target: CameraStatus, reason: str, cause: Suspension) -> None:
    previous = camera.status
    camera.status = target
    camera.suspended_for = cause.value if target is CameraStatus.SUSPENDED else ""
    camera.updated_at = call.clock.now()
    details = {"from": previous.value, "to": target.value, "reason": reason}
    if target is CameraStatus.SUSPENDED:
        details["cause"] = cause.value
    audit.record(
        call.session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        f"camera.{_verb(target)}",
        object_type="camera",
        object_id=camera.name,
        details=details,
    )


def enforce_assessments(call: Call) -> list[str]:
    """Suspend every active camera no assessment lets record any longer (its assessment past
    the review date and the grace period, or none covering it); the names suspended."""
    approved = dpia.assessed(call.session, call.clock.now(), call.profile.dpia.grace_days)
    suspended = []
    for camera in list_cameras(call.session, CameraStatus.ACTIVE):
        facts = facts_of(camera)
        if keeps_recording(facts, approved):
            continue
        cover = best_cover(facts, approved)
        why = (
            f"DPIA expired: {cover.reference} is past its review date and the grace period"
            if cover
            else "DPIA expired: no approved impact assessment covers it"
        )
        _move(call, camera, CameraStatus.SUSPENDED, why, Suspension.DPIA_EXPIRED)
        suspended.append(camera.name)
    call.session.commit()
    return suspended


def analytics_problem(call: Call, name: str, module: Analytics) -> str | None:
    """Why analytics `module` may not run on camera `name` now, or None: an approved
    assessment in force must cover the camera and name the module."""
    approved = dpia.assessed(call.session, call.clock.now(), call.profile.dpia.grace_days)
    return dpia_analytics_problem(facts_of(get_camera(call.session, name)), module, approved)


def withhold(call: Call, name: str, reason: Withheld, note: str) -> Camera:
    """Keep a camera off the public register, for a reason counted in public; the note stays
    in the audit log."""
    if not note.strip():
        raise InvalidInput("say why the camera is withheld", field="note")
    camera = get_camera(call.session, name)
    camera.withheld_reason, camera.withheld_note = reason.value, note.strip()
    camera.updated_at = call.clock.now()
    audit.record(
        call.session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        "camera.withheld",
        object_type="camera",
        object_id=name,
        details={"reason": reason.value, "note": camera.withheld_note},
    )
    call.session.commit()
    return camera


def publish(call: Call, name: str, note: str) -> Camera:
    """Show a withheld camera on the public register again."""
    camera = get_camera(call.session, name)
    if not camera.withheld_reason:
        raise Conflict(f"camera {name} is on the public register already")
    previous = camera.withheld_reason
    camera.withheld_reason, camera.withheld_note = "", ""
    camera.updated_at = call.clock.now()
    audit.record(
        call.session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        "camera.published",
        object_type="camera",
        object_id=name,
        details={"was_withheld_for": previous, "note": note.strip()},
    )
    call.session.commit()
    return camera


def facts_of(camera: Camera, zoned: bool | None = None) -> CameraFacts:
    """What an impact assessment's scope and the sensitive-site rule are matched against
    (`zoned`: whether it has a privacy zone, read here unless given)."""
    if zoned is None:
        session = object_session(camera)
        found = sa.select(PrivacyZone.id).where(PrivacyZone.camera_id == camera.id).limit(1)
        zoned = session is not None and camera.id is not None and session.scalar(found) is not None
    return CameraFacts(camera.name, camera.region, camera.category.value, tuple(camera.tags), zoned)


def _verb(target: CameraStatus) -> str:
    return {
        CameraStatus.ACTIVE: "activated",
        CameraStatus.SUSPENDED: "suspended",
        CameraStatus.DRAFT: "drafted",
    }[target]


def _described(camera: Camera) -> dict[str, Any]:
    return {
        "source": policy.redact_source(camera.source_url),
        "category": camera.category.value,
        "region": camera.region,
        "status": camera.status.value,
        "tags": camera.tags,
    }


def apply_retention(
    session: Session,
    clock: Clock,
    name: str,
    days: float | None,
    justification: str,
    dpia_reference: str,
) -> Camera:
    """Write a camera's retention extension (None: the default); the caller commits.

    Retention decides whether the extension is allowed, replans and audits the change
    (`retention.service.set_camera_retention`); this only records it on the camera.
    """
    camera = get_camera(session, name)
    camera.retention_days = days
    camera.retention_justification = justification.strip()
    camera.retention_dpia_ref = dpia_reference.strip()
    camera.updated_at = clock.now()
    session.flush()
    return camera


# --- privacy zones -----------------------------------------------------------------------------


def list_zones(session: Session, name: str) -> list[PrivacyZone]:
    """The privacy zones of the camera called `name`, by zone name."""
    camera = get_camera(session, name)
    return list(
        session.scalars(
            sa.select(PrivacyZone)
            .where(PrivacyZone.camera_id == camera.id)
            .order_by(PrivacyZone.name)
        )
    )


def zones_by_camera(session: Session) -> dict[int, list[list[Point]]]:
    """Camera id -> the corner lists of its privacy zones (cameras without zones are absent)."""
    zones: dict[int, list[list[Point]]] = {}
    for camera_id, points in session.execute(
        sa.select(PrivacyZone.camera_id, PrivacyZone.points).order_by(PrivacyZone.id)
    ):
        zones.setdefault(camera_id, []).append([(float(x), float(y)) for x, y in points])
    return zones


def add_zone(call: Call, name: str, zone: str, points: list[Point], reason: str) -> PrivacyZone:
    """Mask a polygon of a camera's picture from now on: at ingest and in every live view.

    A running recorder is restarted with the zone at the supervisor's next check of the
    registry (every 5 s), sealing what it recorded before.
    """
    session, clock, actor = call.session, call.clock, call.actor
    camera = get_camera(session, name)
    problem = policy.zone_problem(zone, points)
    if problem:
        raise InvalidInput(problem, field="points")
    if not reason.strip():
        raise InvalidInput("say why this part of the picture is masked", field="reason")
    exists = sa.select(PrivacyZone.id).where(
        PrivacyZone.camera_id == camera.id, PrivacyZone.name == zone
    )
    if session.scalar(exists) is not None:
        raise Conflict(f"camera {name} has a zone named '{zone}' already")
    now = clock.now()
    row = PrivacyZone(
        camera_id=camera.id,
        name=zone,
        points=[[x, y] for x, y in points],
        reason=reason.strip(),
        created_at=now,
        created_by=actor.name,
    )
    session.add(row)
    camera.updated_at = now
    session.flush()
    record(
        session,
        clock,
        actor,
        Action.CONFIGURE,
        "camera.zone_added",
        object_type="camera",
        object_id=name,
        context=Context(justification=row.reason),
        details={"zone": zone, "points": row.points},
    )
    session.commit()
    return row


def remove_zone(call: Call, name: str, zone: str, reason: str) -> None:
    """Stop masking a zone: from now on that part of the picture is stored. Needs a reason."""
    session, clock, actor = call.session, call.clock, call.actor
    camera = get_camera(session, name)
    if not reason.strip():
        raise InvalidInput("say why this part of the picture may now be recorded", field="reason")
    row = session.scalar(
        sa.select(PrivacyZone).where(PrivacyZone.camera_id == camera.id, PrivacyZone.name == zone)
    )
    if row is None:
        raise NotFound(f"camera {name} has no zone named '{zone}'")
    session.delete(row)
    session.flush()
    if camera.status is CameraStatus.ACTIVE:
        dpia.zones_gate(call, facts_of(camera))  # the last zone of a sensitive site stays
    camera.updated_at = clock.now()
    record(
        session,
        clock,
        actor,
        Action.CONFIGURE,
        "camera.zone_removed",
        object_type="camera",
        object_id=name,
        context=Context(justification=reason.strip()),
        details={"zone": zone, "points": row.points},
    )
    session.commit()
