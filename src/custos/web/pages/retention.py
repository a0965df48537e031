"""Pages of retention: the state per camera, states of emergency, incidents, legal holds."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from custos.cameras import service as cameras
from custos.cases import holds as case_holds
from custos.clock import parse_time
from custos.deps import (
    Caller,
    DbSession,
    EmergencyManager,
    HoldManager,
    HoldViewer,
    IncidentMarker,
    IncidentViewer,
    RetentionViewer,
    RuntimeDep,
)
from custos.errors import Conflict, NotFound
from custos.http import Id
from custos.permissions import Permission, is_admitted
from custos.retention import emergency, holds, incidents, pressure, state
from custos.retention import service as retention
from custos.retention.schemas import (
    HoldIn,
    IncidentIn,
    RegimeEnd,
    RegimeIn,
    ReleaseIn,
    ReviewIn,
    Unmark,
)
from custos.web import forms
from custos.web.templating import render

router = APIRouter(include_in_schema=False)

UPCOMING_DAYS = 7
DECLARE = "emergency"


def _retention_page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Caller,
    form: forms.Form | None = None,
) -> Response:
    form = form or forms.Form(DECLARE)
    now = runtime.clock.now()
    upcoming = retention.due(db, runtime.rules, now + timedelta(days=UPCOMING_DAYS), limit=50)
    return render(
        request,
        "retention.html",
        status_code=form.status,
        principal=caller.principal,
        policy=runtime.policy,
        cameras=state.per_camera(db),
        upcoming=upcoming,
        days=UPCOMING_DAYS,
        now=now,
        regimes=emergency.list_regimes(db),
        alerts=pressure.active_alerts(db),
        can_manage=is_admitted(caller.role, Permission.MANAGE_EMERGENCIES),
        form=form,
    )


@router.get("/retention")
def retention_page(
    request: Request, db: DbSession, runtime: RuntimeDep, caller: RetentionViewer
) -> Response:
    """What is kept per camera, until when and why; what is about to be erased."""
    return _retention_page(request, db, runtime, caller)


@router.post("/retention/emergencies")
def declare_emergency(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: EmergencyManager,
    regions: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    decree_ref: Annotated[str, Form()] = "",
) -> Response:
    """Record a state of emergency from the retention page."""
    form = forms.Form(DECLARE, forms.typed(regions=regions, start=start, decree_ref=decree_ref))

    def _declare() -> object:
        data = RegimeIn(
            regions=regions.split(","), start=parse_time(start, "start"), decree_ref=decree_ref
        )
        return emergency.declare(
            caller.call(db, runtime),
            regions=data.regions,
            start=data.start,
            end=data.end,
            decree_ref=data.decree_ref,
        )

    return forms.act(
        db,
        form,
        _declare,
        lambda _: "/retention",
        lambda refused: _retention_page(request, db, runtime, caller, refused),
    )


@router.post("/retention/emergencies/{regime_id}/end")
def end_emergency(
    regime_id: Id,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: EmergencyManager,
    end: Annotated[str, Form()] = "",
) -> Response:
    """Record the end of a state of emergency."""
    form = forms.Form(f"end:{regime_id}", forms.typed(end=end))
    return forms.act(
        db,
        form,
        lambda: emergency.end_regime(
            caller.call(db, runtime),
            regime_id,
            RegimeEnd(end=parse_time(end, "end")).end,
        ),
        lambda _: "/retention",
        lambda refused: _retention_page(request, db, runtime, caller, refused),
    )


MARK = "incident"


def _incidents_page(
    request: Request, db: DbSession, caller: Caller, form: forms.Form | None = None
) -> Response:
    form = form or forms.Form(MARK)
    return render(
        request,
        "incidents.html",
        status_code=form.status,
        principal=caller.principal,
        incidents=incidents.list_incidents(db, include_unmarked=True),
        can_mark=is_admitted(caller.role, Permission.MARK_INCIDENTS),
        form=form,
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
    form = forms.Form(
        MARK,
        forms.typed(
            cameras=cameras,
            start=start,
            end=end,
            description=description,
            reference=reference,
            justification=justification,
            offence=offence,
        ),
    )

    def _mark() -> object:
        data = IncidentIn(
            cameras=[c.strip() for c in cameras.split(",") if c.strip()],
            start=parse_time(start, "start"),
            end=parse_time(end, "end"),
            description=description,
            reference=reference,
            justification=justification,
            offence=bool(offence),
        )
        return incidents.mark(
            caller.call(db, runtime),
            cameras=data.cameras,
            start=data.start,
            end=data.end,
            description=data.description,
            reference=data.reference,
            justification=data.justification,
            offence=data.offence,
        )

    return forms.act(
        db,
        form,
        _mark,
        lambda _: "/incidents",
        lambda refused: _incidents_page(request, db, caller, refused),
        # The one thing the form names that may not exist is a camera.
        forms.Placement(unnamed={NotFound: "cameras"}),
    )


@router.post("/incidents/{incident_id}/unmark")
def unmark_incident(
    incident_id: Id,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: IncidentMarker,
    justification: Annotated[str, Form()] = "",
) -> Response:
    """Withdraw an incident from the list."""
    form = forms.Form(f"unmark:{incident_id}", forms.typed(justification=justification))
    return forms.act(
        db,
        form,
        lambda: incidents.unmark(
            caller.call(db, runtime),
            incident_id,
            Unmark(justification=justification).justification,
        ),
        lambda _: "/incidents",
        lambda refused: _incidents_page(request, db, caller, refused),
    )


PLACE = "hold"


def _holds_page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Caller,
    form: forms.Form | None = None,
) -> Response:
    form = form or forms.Form(PLACE)
    listed = case_holds.list_holds(db)
    can_manage = is_admitted(caller.role, Permission.MANAGE_HOLDS)
    return render(
        request,
        "holds.html",
        status_code=form.status,
        principal=caller.principal,
        holds=listed,
        overdue=holds.overdue([entry.hold for entry in listed], runtime.clock.now()),
        can_manage=can_manage,
        open_cases=case_holds.open_cases(db) if can_manage else [],
        camera_names=sorted(cameras.camera_names(db).values()) if can_manage else [],
        form=form,
        review_days=runtime.policy.profile.holds.review_interval_days,
        max_review_days=runtime.policy.profile.holds.max_review_interval_days,
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
    """Place a hold inside an open case from the form (one camera and window; the API takes
    several)."""
    form = forms.Form(
        PLACE,
        forms.typed(
            case_ref=case_ref,
            camera=camera,
            start=start,
            end=end,
            reason=reason,
            person_ref=person_ref,
        ),
    )

    def _place() -> object:
        data = HoldIn.model_validate(
            {
                "case_ref": case_ref,
                "person_ref": person_ref.strip() or None,
                "reason": reason,
                "scopes": [
                    {
                        "camera": camera.strip(),
                        "start": parse_time(start, "start"),
                        "end": parse_time(end, "end"),
                    }
                ],
            }
        )
        return case_holds.place_hold(
            caller.call(db, runtime),
            case_ref=data.case_ref,
            reason=data.reason,
            person_ref=data.person_ref,
            review_due=data.review_due,
            scopes=[holds.Scope(s.camera, s.start, s.end) for s in data.scopes],
        )

    return forms.act(
        db,
        form,
        _place,
        lambda _: "/holds",
        lambda refused: _holds_page(request, db, runtime, caller, refused),
        # The form's one camera and window stand for the API's list of scopes; an unknown or
        # closed case is beside the case picker, an unknown camera beside the camera.
        forms.Placement(
            fields={"scopes": "camera"},
            unnamed={case_holds.NoSuchCase: "case_ref", Conflict: "case_ref", NotFound: "camera"},
        ),
    )


@router.post("/holds/{hold_id}/review")
def review_hold(
    hold_id: Id,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: HoldManager,
    keep_until: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Keep a hold until a new date, with the reason it is still needed."""
    form = forms.Form(f"review:{hold_id}", forms.typed(keep_until=keep_until, reason=reason))

    def _review() -> object:
        data = ReviewIn(keep_until=parse_time(keep_until, "keep_until"), reason=reason)
        return case_holds.review_hold(
            caller.call(db, runtime), hold_id, data.keep_until, data.reason
        )

    return forms.act(
        db,
        form,
        _review,
        lambda _: "/holds",
        lambda refused: _holds_page(request, db, runtime, caller, refused),
        forms.Placement(fields={"review_due": "keep_until", "note": "reason"}),
    )


@router.post("/holds/{hold_id}/release")
def release_hold(
    hold_id: Id,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: HoldManager,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Release a hold from the list."""
    form = forms.Form(f"release:{hold_id}", forms.typed(reason=reason))
    return forms.act(
        db,
        form,
        lambda: case_holds.release_hold(
            caller.call(db, runtime),
            hold_id,
            ReleaseIn(reason=reason).reason,
        ),
        lambda _: "/holds",
        lambda refused: _holds_page(request, db, runtime, caller, refused),
    )
