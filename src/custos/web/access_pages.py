"""Pages for cases and access: the investigator's cases, requests and review player; the
approver's queue and decision form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from custos.access import service as access
from custos.access.policy import GrantState, RequestStatus, Window, approval_problem
from custos.cameras import service as cameras
from custos.cases import service as cases
from custos.clock import parse_time
from custos.deps import Caller, DbSession, RuntimeDep, admits
from custos.errors import CustosError, InvalidInput
from custos.permissions import Permission, is_admitted
from custos.web.templating import render

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Caller, admits(Permission.VIEW_CASES)]
Manager = Annotated[Caller, admits(Permission.MANAGE_CASES)]
Requester = Annotated[Caller, admits(Permission.REQUEST_ACCESS)]
Decider = Annotated[Caller, admits(Permission.DECIDE_ACCESS)]
Reviewer = Annotated[Caller, admits(Permission.REVIEW_FOOTAGE)]

T = TypeVar("T")

FORM_WINDOWS = 3  # camera × window rows on the request form


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _act(
    db: DbSession,
    action: Callable[[], T],
    then: Callable[[T], str],
    show_again: Callable[[str], Response],
) -> Response:
    """Do a form's `action` and go where `then` says; a refusal shows the form's page again
    with the reason, and nothing of it is saved."""
    try:
        done = action()
    except CustosError as error:
        db.rollback()
        return show_again(error.message)
    return _see_other(then(done))


def _cases_page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Caller,
    status: int = 200,
    error: str | None = None,
) -> Response:
    return render(
        request,
        "cases.html",
        status_code=status,
        principal=caller.principal,
        cases=cases.list_cases(db),
        grounds=runtime.policy.profile.grounds,
        can_manage=is_admitted(caller.role, Permission.MANAGE_CASES),
        error=error,
    )


@router.get("/cases")
def cases_page(request: Request, db: DbSession, runtime: RuntimeDep, caller: Viewer) -> Response:
    """Cases, newest first, and the form that opens one."""
    return _cases_page(request, db, runtime, caller)


@router.post("/cases")
def open_case(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Manager,
    reference: Annotated[str, Form()] = "",
    legal_basis: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    """Open a case from the form."""
    return _act(
        db,
        lambda: cases.open_case(
            db,
            runtime.clock,
            caller.actor,
            runtime.policy.profile,
            reference.strip(),
            legal_basis,
            description,
        ),
        lambda case: f"/cases/{case.id}",
        lambda message: _cases_page(request, db, runtime, caller, 422, message),
    )


def _case_page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Caller,
    case_id: int,
    status: int = 200,
    error: str | None = None,
) -> Response:
    case = cases.get_case_by_id(db, case_id)
    grants = access.list_grants(db, case_id=case.id)
    return render(
        request,
        "case.html",
        status_code=status,
        principal=caller.principal,
        case=case,
        persons=cases.persons(db, case),
        requests=access.list_requests(db, case_id=case.id),
        grants=[(g, access.state_of(db, runtime.clock, g)) for g in grants],
        cameras=[c.name for c in cameras.list_cameras(db)],
        rows=range(FORM_WINDOWS),
        can_manage=is_admitted(caller.role, Permission.MANAGE_CASES),
        can_request=is_admitted(caller.role, Permission.REQUEST_ACCESS),
        live=GrantState.LIVE,
        error=error,
    )


def _on_case_page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Caller,
    case_id: int,
    action: Callable[[], object],
) -> Response:
    """Do `action`, then show the case again."""
    return _act(
        db,
        action,
        lambda _: f"/cases/{case_id}",
        lambda message: _case_page(request, db, runtime, caller, case_id, 422, message),
    )


@router.get("/cases/{case_id}")
def case_page(
    case_id: int, request: Request, db: DbSession, runtime: RuntimeDep, caller: Viewer
) -> Response:
    """A case: its persons, its requests and grants, and the request form."""
    return _case_page(request, db, runtime, caller, case_id)


@router.post("/cases/{case_id}/persons")
def add_person(
    case_id: int,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Manager,
    label: Annotated[str, Form()] = "",
    minor: Annotated[str, Form()] = "",
    vulnerable: Annotated[str, Form()] = "",
) -> Response:
    """Add a person, by pseudonym."""
    case = cases.get_case_by_id(db, case_id)
    return _on_case_page(
        request,
        db,
        runtime,
        caller,
        case_id,
        lambda: cases.add_person(
            db,
            runtime.clock,
            caller.actor,
            case.reference,
            label.strip(),
            minor=bool(minor),
            vulnerable=bool(vulnerable),
        ),
    )


@router.post("/cases/{case_id}/persons/{label}/clear")
def clear_person(
    case_id: int,
    label: str,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Manager,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Suspicion refuted: revoke the person's grants and release their holds."""
    case = cases.get_case_by_id(db, case_id)
    return _on_case_page(
        request,
        db,
        runtime,
        caller,
        case_id,
        lambda: access.clear_person(
            db, runtime.clock, caller.actor, runtime.rules, case.reference, label, reason
        ),
    )


@router.post("/cases/{case_id}/close")
def close_case(
    case_id: int,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Manager,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Close the case: its grants are revoked, its holds released."""
    case = cases.get_case_by_id(db, case_id)
    return _on_case_page(
        request,
        db,
        runtime,
        caller,
        case_id,
        lambda: access.close_case(
            db, runtime.clock, caller.actor, runtime.rules, case.reference, reason
        ),
    )


def _form_windows(
    camera: list[str], start: list[str], end: list[str], keep: list[str] | None = None
) -> list[Window]:
    """The filled rows of a form's camera × window table (all rows, or the ones kept)."""
    windows = []
    for index, (name, begins, ends) in enumerate(zip(camera, start, end, strict=False)):
        if not name.strip() or (keep is not None and str(index) not in keep):
            continue
        windows.append(Window(name.strip(), parse_time(begins, "start"), parse_time(ends, "end")))
    return windows


@router.post("/cases/{case_id}/requests")
def file_request(
    case_id: int,
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
) -> Response:
    """File an access request from the case page."""
    return _act(
        db,
        lambda: access.file_request(
            db,
            runtime.clock,
            caller.actor,
            runtime.policy.profile,
            case_id=case_id,
            windows=_form_windows(camera or [], start or [], end or []),
            persons=persons or [],
            purpose=purpose,
            justification=justification,
            identification=bool(identification),
        ),
        lambda filed: f"/requests/{filed.id}",
        lambda message: _case_page(request, db, runtime, caller, case_id, 422, message),
    )


@router.get("/requests")
def requests_page(request: Request, db: DbSession, caller: Viewer) -> Response:
    """The queue: pending requests first, oldest first; then the decided ones."""
    found = access.list_requests(db)
    return render(
        request,
        "requests.html",
        principal=caller.principal,
        pending=[r for r in found if r.status == RequestStatus.PENDING],
        decided=[r for r in found if r.status != RequestStatus.PENDING][::-1],
        case_refs={c.id: c.reference for c in cases.list_cases(db)},
    )


def _request_page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Caller,
    request_id: int,
    status: int = 200,
    error: str | None = None,
) -> Response:
    filed = access.get_request(db, request_id)
    grant = access.grant_for_request(db, filed.id)
    profile = runtime.policy.profile
    limits = profile.access.strict if filed.strict else profile.access.normal
    return render(
        request,
        "request.html",
        status_code=status,
        principal=caller.principal,
        req=filed,
        case=cases.get_case_by_id(db, filed.case_id),
        windows=access.windows_of(db, filed.windows),
        grant=grant,
        grant_windows=access.windows_of(db, grant.windows) if grant else [],
        grant_state=access.state_of(db, runtime.clock, grant) if grant else None,
        live=GrantState.LIVE,
        grant_days=limits.grant_days,
        can_decide=is_admitted(caller.role, Permission.DECIDE_ACCESS)
        and filed.status == RequestStatus.PENDING
        and approval_problem(filed.requested_by, caller.principal.name) is None,
        can_revoke=is_admitted(caller.role, Permission.DECIDE_ACCESS),
        can_review=grant is not None and grant.holder == caller.principal.name,
        error=error,
    )


def _on_request_page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Caller,
    request_id: int,
    action: Callable[[], object],
) -> Response:
    """Do `action`, then show the request again."""
    return _act(
        db,
        action,
        lambda _: f"/requests/{request_id}",
        lambda message: _request_page(request, db, runtime, caller, request_id, 422, message),
    )


@router.get("/requests/{request_id}")
def request_page(
    request_id: int, request: Request, db: DbSession, runtime: RuntimeDep, caller: Viewer
) -> Response:
    """One request: its scope, why, the decision or the decision form, the grant."""
    return _request_page(request, db, runtime, caller, request_id)


@router.post("/requests/{request_id}/approve")
def approve(
    request_id: int,
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
    hold: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Approve from the decision form: the windows kept, each perhaps shortened."""
    filed = access.get_request(db, request_id)

    def _approve() -> None:
        try:
            duration = float(days) if days.strip() else None
        except ValueError:
            raise InvalidInput(f"days: '{days}' is not a number", field="days") from None
        access.approve(
            db,
            runtime.clock,
            caller.actor,
            runtime.policy.profile,
            runtime.rules,
            request_id,
            windows=_form_windows(camera or [], start or [], end or [], keep or []),
            days=duration,
            identification=bool(identification) if filed.identification else None,
            hold=bool(hold),
            note=note,
        )

    return _on_request_page(request, db, runtime, caller, request_id, _approve)


@router.post("/requests/{request_id}/refuse")
def refuse(
    request_id: int,
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
        lambda: access.refuse(db, runtime.clock, caller.actor, request_id, reason),
    )


@router.post("/grants/{grant_id}/revoke")
def revoke(
    grant_id: int,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Decider,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Revoke a grant from its request's page."""
    grant = access.get_grant(db, grant_id)
    return _on_request_page(
        request,
        db,
        runtime,
        caller,
        grant.request_id,
        lambda: access.revoke_grant(db, runtime.clock, caller.actor, grant_id, reason),
    )


@router.get("/grants/{grant_id}/review")
def review_page(
    grant_id: int, request: Request, db: DbSession, runtime: RuntimeDep, caller: Reviewer
) -> Response:
    """The review player: a timeline per granted window, the masked clip, the track picker."""
    grant, case = access.reviewable_grant(db, runtime.clock, caller.actor, grant_id)
    return render(
        request,
        "review.html",
        principal=caller.principal,
        grant=grant,
        case=case,
        windows=access.windows_of(db, grant.windows),
    )
