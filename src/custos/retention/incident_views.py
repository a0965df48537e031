"""HTTP API of incidents."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from custos.deps import Caller, DbSession, RuntimeDep, admits
from custos.permissions import Permission
from custos.retention import incidents as service
from custos.retention.models import Incident

router = APIRouter(prefix="/api/incidents", tags=["incidents"])

Marker = Annotated[Caller, admits(Permission.MARK_INCIDENTS)]
Viewer = Annotated[Caller, admits(Permission.VIEW_INCIDENTS)]


class IncidentIn(BaseModel):
    """An incident to mark."""

    model_config = ConfigDict(extra="forbid")

    cameras: list[str] = Field(min_length=1)
    start: datetime
    end: datetime
    description: str = Field(min_length=1)
    reference: str = Field(min_length=1, max_length=256)
    justification: str = Field(min_length=1)
    offence: bool = False


class Unmark(BaseModel):
    """Why an incident is withdrawn."""

    model_config = ConfigDict(extra="forbid")

    justification: str = Field(min_length=1)


class IncidentOut(BaseModel):
    """A marked incident."""

    id: int
    cameras: list[str]
    start: datetime
    end: datetime
    description: str
    reference: str
    offence: bool
    unmarked_at: datetime | None


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
def list_incidents(db: DbSession, _caller: Viewer) -> list[IncidentOut]:
    """Marked incidents, newest first."""
    return [_out(i) for i in service.list_incidents(db)]


@router.post("", status_code=status.HTTP_201_CREATED)
def mark_incident(
    data: IncidentIn, db: DbSession, runtime: RuntimeDep, caller: Marker
) -> IncidentOut:
    """Mark an incident; the footage it covers takes incident retention."""
    incident = service.mark(
        db,
        runtime.clock,
        caller.actor,
        runtime.rules,
        cameras=data.cameras,
        start=data.start,
        end=data.end,
        description=data.description,
        reference=data.reference,
        justification=data.justification,
        offence=data.offence,
    )
    return _out(incident)


@router.post("/{incident_id}/unmark")
def unmark_incident(
    incident_id: int, data: Unmark, db: DbSession, runtime: RuntimeDep, caller: Marker
) -> IncidentOut:
    """Withdraw an incident."""
    return _out(
        service.unmark(
            db, runtime.clock, caller.actor, runtime.rules, incident_id, data.justification
        )
    )
