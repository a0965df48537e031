"""Marking and unmarking incidents; each changes the retention plan of what it covers."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit.policy import Action
from custos.audit.service import record
from custos.cameras.service import camera_ids
from custos.context import Call, Context
from custos.errors import Conflict, InvalidInput, NotFound
from custos.retention.models import Incident, incident_cameras
from custos.retention.service import incident_camera_ids, replan


def mark(
    call: Call,
    *,
    cameras: list[str],
    start: datetime,
    end: datetime,
    description: str,
    reference: str,
    justification: str,
    offence: bool,
) -> Incident:
    """Mark an incident: the footage it covers, padded, takes incident retention."""
    session, clock, actor = call.session, call.clock, call.actor
    if end <= start:
        raise InvalidInput("an incident must end after it starts", field="end")
    for field, value in (
        ("description", description),
        ("reference", reference),
        ("justification", justification),
    ):
        if not value.strip():
            raise InvalidInput(f"an incident needs a {field}", field=field)
    if start > clock.now():
        raise InvalidInput("an incident cannot start in the future", field="start")
    found = camera_ids(session, cameras)
    missing = sorted(set(cameras) - set(found))
    if missing or not cameras:
        raise NotFound(f"no camera named '{missing[0]}'" if missing else "name at least one camera")
    incident = Incident(
        starts_at=start,
        ends_at=end,
        description=description.strip(),
        legal_reference=reference.strip(),
        offence=offence,
        justification=justification.strip(),
        marked_by=actor.name,
        marked_at=clock.now(),
    )
    session.add(incident)
    session.flush()
    session.execute(
        sa.insert(incident_cameras),
        [{"incident_id": incident.id, "camera_id": camera_id} for camera_id in found.values()],
    )
    replan(session, call.rules, found.values(), start, end)
    record(
        session,
        clock,
        actor,
        Action.ALTER,
        "incident.marked",
        object_type="incident",
        object_id=incident.id,
        context=Context(legal_basis=incident.legal_reference, justification=incident.justification),
        details={
            "cameras": sorted(cameras),
            "from": start.isoformat(),
            "to": end.isoformat(),
            "offence": offence,
        },
    )
    session.commit()
    return incident


def unmark(call: Call, incident_id: int, justification: str) -> Incident:
    """Withdraw an incident: its footage returns to the plan it would otherwise have."""
    session, clock, actor = call.session, call.clock, call.actor
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    if incident.unmarked_at is not None:
        raise Conflict(f"incident {incident_id} was unmarked already")
    if not justification.strip():
        raise InvalidInput("unmarking an incident needs a justification", field="justification")
    incident.unmarked_at, incident.unmarked_by = clock.now(), actor.name
    incident.unmark_justification = justification.strip()
    session.flush()
    covered = incident_camera_ids(session, [incident.id]).get(incident.id, set())
    replan(session, call.rules, covered, incident.starts_at, incident.ends_at)
    record(
        session,
        clock,
        actor,
        Action.ALTER,
        "incident.unmarked",
        object_type="incident",
        object_id=incident.id,
        context=Context(justification=justification.strip()),
    )
    session.commit()
    return incident


def list_incidents(session: Session, include_unmarked: bool = False) -> list[Incident]:
    """Incidents, newest first."""
    query = sa.select(Incident).order_by(Incident.starts_at.desc())
    if not include_unmarked:
        query = query.where(Incident.unmarked_at.is_(None))
    return list(session.scalars(query))
