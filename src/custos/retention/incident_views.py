"""HTTP API of incidents."""

from __future__ import annotations

from fastapi import APIRouter, status

from custos.deps import DbSession, IncidentMarker, IncidentViewer, RuntimeDep
from custos.http import Id, answers
from custos.retention import incidents as service
from custos.retention.models import Incident
from custos.retention.schemas import IncidentIn, IncidentOut, Unmark

router = APIRouter(prefix="/api/incidents", tags=["incidents"])


def _out(incident: Incident) -> IncidentOut:
    return IncidentOut(
        id=incident.id,
        cameras=sorted(c.name for c in incident.cameras),
        start=incident.starts_at,
        end=incident.ends_at,
        description=incident.description,
        reference=incident.legal_reference,
        offence=incident.offence,
        unmarked_at=incident.unmarked_at,
    )


@router.get("")
def list_incidents(db: DbSession, _caller: IncidentViewer) -> list[IncidentOut]:
    """Marked incidents, newest first."""
    return [_out(i) for i in service.list_incidents(db)]


@router.post("", status_code=status.HTTP_201_CREATED, responses=answers(404))
def mark_incident(
    data: IncidentIn, db: DbSession, runtime: RuntimeDep, caller: IncidentMarker
) -> IncidentOut:
    """Mark an incident; the footage it covers takes incident retention."""
    incident = service.mark(
        caller.call(db, runtime),
        cameras=data.cameras,
        start=data.start,
        end=data.end,
        description=data.description,
        reference=data.reference,
        justification=data.justification,
        offence=data.offence,
    )
    return _out(incident)


@router.post("/{incident_id}/unmark", responses=answers(409))
def unmark_incident(
    incident_id: Id, data: Unmark, db: DbSession, runtime: RuntimeDep, caller: IncidentMarker
) -> IncidentOut:
    """Withdraw an incident."""
    return _out(service.unmark(caller.call(db, runtime), incident_id, data.justification))
