"""Pages of cases: the list and the form that opens one; a case with its persons, members,
requests and grants, and the forms that add or clear a person, add or remove a member and
close the case.

Each page shows a case only to its members and to approvers, and its forms only to those who
may use them (`cases.policy.acts`); anyone else is shown the page of a case that does not
exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from custos.access import service as access
from custos.access.policy import GrantState
from custos.cameras import service as cameras
from custos.cases import service as cases
from custos.cases.policy import CaseAct, PersonRole
from custos.cases.schemas import CaseCreate, MemberIn, PersonCreate, Reason
from custos.deps import Caller, CaseManager, CaseViewer, DbSession, MemberManager, RuntimeDep
from custos.errors import Conflict
from custos.exports import delivery
from custos.exports import service as exports
from custos.http import Id
from custos.permissions import Permission, is_admitted
from custos.web import forms
from custos.web.templating import render

router = APIRouter(include_in_schema=False)

OPEN = "case"
ADD_PERSON = "person"
CLOSE = "close"
REQUEST = "request"
ADD_MEMBER = "member"
FORM_WINDOWS = 3  # camera × window rows on the request form


def _cases_page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Caller,
    form: forms.Form | None = None,
) -> Response:
    form = form or forms.Form(OPEN)
    return render(
        request,
        "cases.html",
        status_code=form.status,
        principal=caller.principal,
        cases=cases.visible_cases(db, caller.actor),
        grounds=runtime.policy.profile.grounds,
        can_open=is_admitted(caller.role, Permission.MANAGE_CASES),
        form=form,
    )


@router.get("/cases")
def cases_page(
    request: Request, db: DbSession, runtime: RuntimeDep, caller: CaseViewer
) -> Response:
    """Cases, newest first, and the form that opens one."""
    return _cases_page(request, db, runtime, caller)


@router.post("/cases")
def open_case(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: CaseManager,
    reference: Annotated[str, Form()] = "",
    legal_basis: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    """Open a case from the form."""
    form = forms.Form(
        OPEN,
        forms.typed(reference=reference, legal_basis=legal_basis, description=description),
    )

    def _open() -> int:
        data = CaseCreate(
            reference=reference.strip(), legal_basis=legal_basis, description=description
        )
        case = cases.open_case(
            caller.call(db, runtime), data.reference, data.legal_basis, data.description
        )
        return case.id

    return forms.act(
        db,
        form,
        _open,
        lambda case_id: f"/cases/{case_id}",
        lambda refused: _cases_page(request, db, runtime, caller, refused),
        forms.Placement(unnamed={Conflict: "reference"}),
    )


def case_page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Caller,
    case_id: int,
    form: forms.Form | None = None,
) -> Response:
    """The page of a case, with `form` (one of its forms, perhaps refused) as typed."""
    form = form or forms.Form(REQUEST)
    case = cases.reach(caller.call(db, runtime), case_id, CaseAct.SEE)
    acts = cases.acts_of(db, caller.actor, case)
    grants = access.list_grants(db, caller.actor, case_id=case.id)
    return render(
        request,
        "case.html",
        status_code=form.status,
        principal=caller.principal,
        case=case,
        persons=cases.persons(db, case),
        members=cases.members(db, case),
        former_members=cases.members(db, case, former=True),
        candidates=cases.member_candidates(db, case) if CaseAct.MEMBERS in acts else [],
        requests=access.list_requests(db, caller.actor, case_id=case.id),
        grants=[(g, access.state_of(db, runtime.clock, g)) for g in grants],
        exports=[
            (
                export,
                exports.get_recipient(db, export.recipient_id),
                delivery.may_manage(caller.actor, export) and delivery.deliverable(export),
            )
            for export in exports.exports(db, case.id)
        ],
        cameras=[c.name for c in cameras.list_cameras(db)],
        rows=range(FORM_WINDOWS),
        can_add=CaseAct.ADD_PERSON in acts,
        person_roles=[r.value for r in PersonRole],
        can_clear=CaseAct.CLEAR_PERSON in acts,
        can_close=CaseAct.CLOSE in acts,
        can_request=CaseAct.REQUEST in acts,
        can_review=CaseAct.REVIEW in acts,
        can_members=CaseAct.MEMBERS in acts,
        live=GrantState.LIVE,
        form=form,
    )


def _on_case_page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Caller,
    case_id: int,
    form: forms.Form,
    action: Callable[[], object],
    where: forms.Placement = forms.ANYWHERE,
) -> Response:
    """Do `action`, then show the case again."""
    return forms.act(
        db,
        form,
        action,
        lambda _: f"/cases/{case_id}",
        lambda refused: case_page(request, db, runtime, caller, case_id, refused),
        where,
    )


@router.get("/cases/{case_id}")
def show_case(
    case_id: Id, request: Request, db: DbSession, runtime: RuntimeDep, caller: CaseViewer
) -> Response:
    """A case: its persons, its requests and grants, and the request form."""
    return case_page(request, db, runtime, caller, case_id)


@router.post("/cases/{case_id}/persons")
def add_person(
    case_id: Id,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: CaseManager,
    label: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = PersonRole.SUSPECT.value,
    minor: Annotated[str, Form()] = "",
    vulnerable: Annotated[str, Form()] = "",
) -> Response:
    """Add a person, by pseudonym, with their role in the case."""
    case = cases.reach(caller.call(db, runtime), case_id, CaseAct.ADD_PERSON)
    form = forms.Form(
        ADD_PERSON, forms.typed(label=label, role=role, minor=minor, vulnerable=vulnerable)
    )

    def _add() -> object:
        data = PersonCreate(
            label=label.strip(),
            role=role,  # checked by the model
            minor=bool(minor),
            vulnerable=bool(vulnerable),
        )
        return cases.add_person(
            caller.call(db, runtime),
            case.reference,
            data.label,
            minor=data.minor,
            vulnerable=data.vulnerable,
            role=data.role,
        )

    return _on_case_page(
        request,
        db,
        runtime,
        caller,
        case_id,
        form,
        _add,
        forms.Placement(unnamed={Conflict: "label"}),
    )


@router.post("/cases/{case_id}/persons/{label}/clear")
def clear_person(
    case_id: Id,
    label: str,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: CaseManager,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Suspicion refuted: revoke the person's grants and release their holds."""
    case = cases.reach(caller.call(db, runtime), case_id, CaseAct.CLEAR_PERSON)
    return _on_case_page(
        request,
        db,
        runtime,
        caller,
        case_id,
        forms.Form(f"clear:{label}", forms.typed(reason=reason)),
        lambda: access.clear_person(
            caller.call(db, runtime), case.reference, label, Reason(reason=reason).reason
        ),
    )


@router.post("/cases/{case_id}/close")
def close_case(
    case_id: Id,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: CaseManager,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Close the case: its grants are revoked, its holds released."""
    case = cases.reach(caller.call(db, runtime), case_id, CaseAct.CLOSE)
    return _on_case_page(
        request,
        db,
        runtime,
        caller,
        case_id,
        forms.Form(CLOSE, forms.typed(reason=reason)),
        lambda: access.close_case(
            caller.call(db, runtime), case.reference, Reason(reason=reason).reason
        ),
    )


@router.post("/cases/{case_id}/members")
def add_member(
    case_id: Id,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: MemberManager,
    name: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Add an investigator to the members of the case, saying why."""
    case = cases.reach(caller.call(db, runtime), case_id, CaseAct.MEMBERS)

    def _add() -> object:
        data = MemberIn(name=name.strip(), reason=reason)
        return cases.add_member(caller.call(db, runtime), case.reference, data.name, data.reason)

    return _on_case_page(
        request,
        db,
        runtime,
        caller,
        case_id,
        forms.Form(ADD_MEMBER, forms.typed(name=name, reason=reason)),
        _add,
        forms.Placement(unnamed={Conflict: "name"}),
    )


@router.post("/cases/{case_id}/members/{name}/remove")
def remove_member(
    case_id: Id,
    name: str,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: MemberManager,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Take a member off the case, saying why: the grants they hold in it are revoked."""
    case = cases.reach(caller.call(db, runtime), case_id, CaseAct.MEMBERS)
    return _on_case_page(
        request,
        db,
        runtime,
        caller,
        case_id,
        forms.Form(f"remove:{name}", forms.typed(reason=reason)),
        lambda: access.remove_member(
            caller.call(db, runtime), case.reference, name, Reason(reason=reason).reason
        ),
    )
