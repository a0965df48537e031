"""Pages for retention: the state per camera, incidents, legal holds, states of emergency."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from custos.clock import parse_time
from custos.deps import Caller, DbSession, RuntimeDep, admits
from custos.errors import CustosError
from custos.permissions import Permission, is_admitted
from custos.retention import emergency, holds, incidents, pressure, state
from custos.retention import service as retention
from custos.web.templating import render

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Caller, admits(Permission.VIEW_RETENTION)]
EmergencyManager = Annotated[Caller, admits(Permission.MANAGE_EMERGENCIES)]
IncidentViewer = Annotated[Caller, admits(Permission.VIEW_INCIDENTS)]
IncidentMarker = Annotated[Caller, admits(Permission.MARK_INCIDENTS)]
HoldViewer = Annotated[Caller, admits(Permission.VIEW_HOLDS)]
HoldManager = Annotated[Caller, admits(Permission.MANAGE_HOLDS)]

UPCOMING_DAYS = 7


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("/retention")
def retention_page(
    request: Request, db: DbSession, runtime: RuntimeDep, caller: Viewer
) -> Response:
    """What is kept per camera, until when and why; what is about to be erased."""
    now = runtime.clock.now()
    upcoming = retention.due(db, runtime.rules, now + timedelta(days=UPCOMING_DAYS), limit=50)
    return render(
        request,
        "retention.html",
        principal=caller.principal,
        policy=runtime.policy,
        cameras=state.per_camera(db),
        upcoming=upcoming,
        days=UPCOMING_DAYS,
        now=now,
        regimes=emergency.list_regimes(db),
        alerts=pressure.active_alerts(db),
        can_manage=is_admitted(caller.role, Permission.MANAGE_EMERGENCIES),
        error=None,
    )


@router.post("/retention/emergencies")
def declare_emergency(
    db: DbSession,
    runtime: RuntimeDep,
    caller: EmergencyManager,
    regions: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    decree_ref: Annotated[str, Form()] = "",
) -> Response:
    """Record a state of emergency from the retention page."""
    emergency.declare(
        db,
        runtime.clock,
        caller.actor,
        runtime.rules,
        regions=regions.split(","),
        start=parse_time(start, "start"),
        end=None,
        decree_ref=decree_ref,
    )
    return _see_other("/retention")


@router.post("/retention/emergencies/{regime_id}/end")
def end_emergency(
    regime_id: int,
    db: DbSession,
    runtime: RuntimeDep,
    caller: EmergencyManager,
    end: Annotated[str, Form()] = "",
) -> Response:
    """Record the end of a state of emergency."""
    emergency.end_regime(
        db, runtime.clock, caller.actor, runtime.rules, regime_id, parse_time(end, "end")
    )
    return _see_other("/retention")


def _incidents_page(
    request: Request,
    db: DbSession,
    caller: Caller,
    status_code: int = 200,
    error: str | None = None,
) -> Response:
    return render(
        request,
        "incidents.html",
        status_code=status_code,
        principal=caller.principal,
        incidents=incidents.list_incidents(db, include_unmarked=True),
        can_mark=is_admitted(caller.role, Permission.MARK_INCIDENTS),
        error=error,
    )


@router.get("/incidents")
def incidents_page(request: Request, db: DbSession, caller: IncidentViewer) -> Response:
    """Marked incidents."""
    return _incidents_page(request, db, caller)


@router.post("/incidents")
def mark_incident(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: IncidentMarker,
    cameras: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    reference: Annotated[str, Form()] = "",
    justification: Annotated[str, Form()] = "",
    offence: Annotated[str, Form()] = "",
) -> Response:
    """Mark an incident from the form."""
    try:
        incidents.mark(
            db,
            runtime.clock,
            caller.actor,
            runtime.rules,
            cameras=[c.strip() for c in cameras.split(",") if c.strip()],
            start=parse_time(start, "start"),
            end=parse_time(end, "end"),
            description=description,
            reference=reference,
            justification=justification,
            offence=bool(offence),
        )
    except CustosError as error:
        db.rollback()
        return _incidents_page(request, db, caller, 422, error.message)
    return _see_other("/incidents")


@router.post("/incidents/{incident_id}/unmark")
def unmark_incident(
    incident_id: int,
    db: DbSession,
    runtime: RuntimeDep,
    caller: IncidentMarker,
    justification: Annotated[str, Form()] = "",
) -> Response:
    """Withdraw an incident from the list."""
    incidents.unmark(db, runtime.clock, caller.actor, runtime.rules, incident_id, justification)
    return _see_other("/incidents")


def _holds_page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Caller,
    status_code: int = 200,
    error: str | None = None,
) -> Response:
    live = holds.list_holds(db)
    return render(
        request,
        "holds.html",
        status_code=status_code,
        principal=caller.principal,
        holds=live,
        overdue=holds.overdue(live, runtime.clock.now()),
        can_manage=is_admitted(caller.role, Permission.MANAGE_HOLDS),
        error=error,
        review_days=runtime.policy.profile.holds.review_interval_days,
    )


@router.get("/holds")
def holds_page(
    request: Request, db: DbSession, runtime: RuntimeDep, caller: HoldViewer
) -> Response:
    """Legal holds, overdue reviews first."""
    return _holds_page(request, db, runtime, caller)


@router.post("/holds")
def place_hold(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: HoldManager,
    case_ref: Annotated[str, Form()] = "",
    camera: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    person_ref: Annotated[str, Form()] = "",
) -> Response:
    """Place a hold from the form (one camera and window; the API takes several)."""
    try:
        holds.place_hold(
            db,
            runtime.clock,
            caller.actor,
            runtime.policy.profile,
            runtime.rules,
            case_ref=case_ref,
            reason=reason,
            person_ref=person_ref.strip() or None,
            scopes=[
                holds.Scope(camera.strip(), parse_time(start, "start"), parse_time(end, "end"))
            ],
        )
    except CustosError as error:
        db.rollback()
        return _holds_page(request, db, runtime, caller, 422, error.message)
    return _see_other("/holds")


@router.post("/holds/{hold_id}/release")
def release_hold(
    hold_id: int,
    db: DbSession,
    runtime: RuntimeDep,
    caller: HoldManager,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Release a hold from the list."""
    holds.release_hold(db, runtime.clock, caller.actor, runtime.rules, hold_id, reason)
    return _see_other("/holds")
