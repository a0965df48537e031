"""Pages of access: the request form of a case, the approvers' queue and decision form, the
grant's revocation, and the review player."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from custos.access import service as access
from custos.access.policy import GrantState, RequestStatus, Window, approval_problem
from custos.access.schemas import ApproveIn, ReasonIn, RequestIn, WindowIO
from custos.cases import service as cases
from custos.cases.policy import CaseAct
from custos.clock import parse_time
from custos.deps import Caller, CaseViewer, DbSession, Decider, Requester, Reviewer, RuntimeDep
from custos.errors import InvalidInput, PolicyViolation
from custos.exports import service as exports
from custos.http import Id
from custos.permissions import Permission, is_admitted
from custos.web import forms
from custos.web.pages.cases import REQUEST, case_page
from custos.web.templating import render

router = APIRouter(include_in_schema=False)

DECIDE = "decide"
EXPORT = "export"
REFUSE = "refuse"

# The camera × window table of a form is one field: every message about a row stands below it.
WINDOW_TABLE = {"windows": "windows", "camera": "windows", "start": "windows", "end": "windows"}


def _form_windows(
    camera: list[str], start: list[str], end: list[str], keep: list[str] | None = None
) -> list[WindowIO]:
    """The filled rows of a form's camera × window table (all rows, or the ones kept)."""
    windows = []
    for index, (name, begins, ends) in enumerate(zip(camera, start, end, strict=False)):
        if not name.strip() or (keep is not None and str(index) not in keep):
            continue
        windows.append(
            WindowIO(
                camera=name.strip(),
                start=parse_time(begins, "start"),
                end=parse_time(ends, "end"),
            )
        )
    return windows


def _windows(items: list[WindowIO]) -> list[Window]:
    return [Window(item.camera, item.start, item.end) for item in items]


@router.post("/cases/{case_id}/requests")
def file_request(
    case_id: Id,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Requester,
    camera: Annotated[list[str] | None, Form()] = None,
    start: Annotated[list[str] | None, Form()] = None,
    end: Annotated[list[str] | None, Form()] = None,
    persons: Annotated[list[str] | None, Form()] = None,
    purpose: Annotated[str, Form()] = "",
    justification: Annotated[str, Form()] = "",
    identification: Annotated[str, Form()] = "",
    export: Annotated[str, Form()] = "",
) -> Response:
    """File an access request from the case page."""
    cases.reach(caller.call(db, runtime), case_id, CaseAct.REQUEST)
    form = forms.Form(
        REQUEST,
        forms.typed(
            camera=camera,
            start=start,
            end=end,
            persons=persons,
            purpose=purpose,
            justification=justification,
            identification=identification,
            export=export,
        ),
    )

    def _file() -> int:
        data = RequestIn(
            case_id=case_id,
            windows=_form_windows(camera or [], start or [], end or []),
            persons=persons or [],
            purpose=purpose,
            justification=justification,
            identification=bool(identification),
            export=bool(export),
        )
        filed = access.file_request(
            caller.call(db, runtime),
            case_id=data.case_id,
            windows=_windows(data.windows),
            persons=data.persons,
            purpose=data.purpose,
            justification=data.justification,
            identification=data.identification,
            export=data.export,
        )
        return filed.id

    return forms.act(
        db,
        form,
        _file,
        lambda request_id: f"/requests/{request_id}",
        lambda refused: case_page(request, db, runtime, caller, case_id, refused),
        # Every proportionality limit is a limit on the cameras and windows asked.
        forms.Placement(fields=WINDOW_TABLE, unnamed={PolicyViolation: "windows"}),
    )


@router.get("/requests")
def requests_page(request: Request, db: DbSession, caller: CaseViewer) -> Response:
    """The queue: pending requests first, oldest first; then the decided ones. Investigators
    see those of their own cases, approvers every one."""
    found = access.list_requests(db, caller.actor)
    return render(
        request,
        "requests.html",
        principal=caller.principal,
        pending=[r for r in found if r.status == RequestStatus.PENDING],
        decided=[r for r in found if r.status != RequestStatus.PENDING][::-1],
        case_refs={c.id: c.reference for c in cases.visible_cases(db, caller.actor)},
    )


def _request_page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Caller,
    request_id: int,
    form: forms.Form | None = None,
) -> Response:
    form = form or forms.Form(DECIDE)
    filed = access.request_for(caller.call(db, runtime), request_id)
    case = cases.get_case_by_id(db, filed.case_id)
    grant = access.grant_for_request(db, filed.id)
    profile = runtime.policy.profile
    limits = profile.access.strict if filed.strict else profile.access.normal
    return render(
        request,
        "request.html",
        status_code=form.status,
        principal=caller.principal,
        req=filed,
        case=case,
        windows=access.windows_of(db, filed.windows),
        grant=grant,
        grant_windows=access.windows_of(db, grant.windows) if grant else [],
        grant_state=access.state_of(db, runtime.clock, grant) if grant else None,
        grant_links=access.links_of(db, grant.id) if grant else [],
        live=GrantState.LIVE,
        grant_days=limits.grant_days,
        can_decide=is_admitted(caller.role, Permission.DECIDE_ACCESS)
        and filed.status == RequestStatus.PENDING
        and approval_problem(filed.requested_by, caller.principal.name) is None,
        can_revoke=is_admitted(caller.role, Permission.DECIDE_ACCESS),
        requester_member=cases.is_member(db, case.id, filed.requested_by),
        can_review=grant is not None
        and grant.holder == caller.principal.name
        and CaseAct.REVIEW in cases.acts_of(db, caller.actor, case),
        form=form,
    )


def _on_request_page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Caller,
    request_id: int,
    form: forms.Form,
    action: Callable[[], object],
    where: forms.Placement = forms.ANYWHERE,
) -> Response:
    """Do `action`, then show the request again."""
    return forms.act(
        db,
        form,
        action,
        lambda _: f"/requests/{request_id}",
        lambda refused: _request_page(request, db, runtime, caller, request_id, refused),
        where,
    )


@router.get("/requests/{request_id}")
def request_page(
    request_id: Id, request: Request, db: DbSession, runtime: RuntimeDep, caller: CaseViewer
) -> Response:
    """One request: its scope, why, the decision or the decision form, the grant."""
    return _request_page(request, db, runtime, caller, request_id)


def _days(text: str) -> float | None:
    try:
        return float(text) if text.strip() else None
    except ValueError:
        raise InvalidInput(f"days: '{text}' is not a number", field="days") from None


@router.post("/requests/{request_id}/approve")
def approve(
    request_id: Id,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Decider,
    keep: Annotated[list[str] | None, Form()] = None,
    camera: Annotated[list[str] | None, Form()] = None,
    start: Annotated[list[str] | None, Form()] = None,
    end: Annotated[list[str] | None, Form()] = None,
    days: Annotated[str, Form()] = "",
    identification: Annotated[str, Form()] = "",
    export: Annotated[str, Form()] = "",
    hold: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Approve from the decision form: the windows kept, each perhaps shortened."""
    filed = access.request_for(caller.call(db, runtime), request_id)
    form = forms.Form(
        DECIDE,
        forms.typed(
            keep=keep,
            camera=camera,
            start=start,
            end=end,
            days=days,
            identification=identification,
            export=export,
            hold=hold,
            note=note,
        ),
    )

    def _approve() -> None:
        data = ApproveIn(
            windows=_form_windows(camera or [], start or [], end or [], keep or []),
            days=_days(days),
            identification=bool(identification) if filed.identification else None,
            export=bool(export) if filed.export else None,
            hold=bool(hold),
            note=note,
        )
        access.approve(
            caller.call(db, runtime),
            request_id,
            windows=None if data.windows is None else _windows(data.windows),
            days=data.days,
            identification=data.identification,
            export=data.export,
            hold=data.hold,
            note=data.note,
        )

    return _on_request_page(
        request,
        db,
        runtime,
        caller,
        request_id,
        form,
        _approve,
        forms.Placement(fields={**WINDOW_TABLE, "id": "identification"}),
    )


@router.post("/requests/{request_id}/refuse")
def refuse(
    request_id: Id,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Decider,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Refuse from the decision form."""
    return _on_request_page(
        request,
        db,
        runtime,
        caller,
        request_id,
        forms.Form(REFUSE, forms.typed(reason=reason)),
        lambda: access.refuse(caller.call(db, runtime), request_id, ReasonIn(reason=reason).reason),
    )


@router.post("/grants/{grant_id}/revoke")
def revoke(
    grant_id: Id,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Decider,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Revoke a grant from its request's page."""
    grant = access.grant_for(caller.call(db, runtime), grant_id)
    return _on_request_page(
        request,
        db,
        runtime,
        caller,
        grant.request_id,
        forms.Form(f"revoke:{grant_id}", forms.typed(reason=reason)),
        lambda: access.revoke_grant(
            caller.call(db, runtime), grant_id, ReasonIn(reason=reason).reason
        ),
    )


@router.get("/grants/{grant_id}/review")
def review_page(
    grant_id: Id, request: Request, db: DbSession, runtime: RuntimeDep, caller: Reviewer
) -> Response:
    """The review player: a timeline per granted window, the masked clip, the track picker."""
    return review(request, db, runtime, caller, grant_id)


def review(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Caller,
    grant_id: int,
    form: forms.Form | None = None,
) -> Response:
    """The review page, with its export form as typed (and why it was refused) if given."""
    form = form or forms.Form(EXPORT)
    grant, case = access.reviewable_grant(caller.call(db, runtime), grant_id)
    return render(
        request,
        "review.html",
        status_code=form.status,
        principal=caller.principal,
        grant=grant,
        case=case,
        windows=list(zip(grant.windows, access.windows_of(db, grant.windows), strict=True)),
        recipients=exports.recipients(db) if grant.export else [],
        bookmarks=access.bookmarks_of(db, grant.id) if grant.export else [],
        form=form,
    )
