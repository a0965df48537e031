"""HTTP API of cases: open, list, add persons and members (clearing a person, closing a case
and removing a member end grants, so they are in access's API).

Only members and approvers see a case: anyone else is answered 404, as for a case that does
not exist.
"""

from __future__ import annotations

from fastapi import APIRouter, status

from custos.cases import service
from custos.cases.models import Case
from custos.cases.policy import CaseAct, CaseStatus
from custos.cases.schemas import (
    CaseCreate,
    CaseDetail,
    CaseOut,
    MemberIn,
    MemberOut,
    PersonCreate,
    PersonOut,
)
from custos.deps import CaseManager, CaseViewer, DbSession, MemberManager, RuntimeDep
from custos.http import Id, answers

router = APIRouter(prefix="/api/cases", tags=["cases"])


def _detail(db: DbSession, case: Case) -> CaseDetail:
    return CaseDetail.model_validate(
        {
            **CaseOut.model_validate(case).model_dump(),
            "persons": [PersonOut.model_validate(p) for p in service.persons(db, case)],
            "members": [MemberOut.model_validate(m) for m in service.members(db, case)],
        }
    )


@router.get("")
def list_cases(
    db: DbSession, caller: CaseViewer, status: CaseStatus | None = None
) -> list[CaseOut]:
    """The cases you are a member of (approvers: every case), newest first."""
    return [
        CaseOut.model_validate(case) for case in service.visible_cases(db, caller.actor, status)
    ]


@router.post("", status_code=status.HTTP_201_CREATED, responses=answers(409))
def open_case(body: CaseCreate, db: DbSession, runtime: RuntimeDep, caller: CaseManager) -> CaseOut:
    """Open a case on one of the legal grounds of the published policy; you are its member."""
    case = service.open_case(
        caller.call(db, runtime), body.reference, body.legal_basis, body.description
    )
    return CaseOut.model_validate(case)


@router.get("/{case_id}")
def get_case(case_id: Id, db: DbSession, runtime: RuntimeDep, caller: CaseViewer) -> CaseDetail:
    """A case, its persons and its members."""
    return _detail(db, service.reach(caller.call(db, runtime), case_id, CaseAct.SEE))


@router.post("/{case_id}/persons", status_code=status.HTTP_201_CREATED, responses=answers(409))
def add_person(
    case_id: Id, body: PersonCreate, db: DbSession, runtime: RuntimeDep, caller: CaseManager
) -> PersonOut:
    """Add a person, by pseudonym, with their role in the case (suspect, witness, victim,
    other) and the flags that make the access rules stricter."""
    call = caller.call(db, runtime)
    case = service.reach(call, case_id, CaseAct.ADD_PERSON)
    person = service.add_person(
        call,
        case.reference,
        body.label,
        minor=body.minor,
        vulnerable=body.vulnerable,
        role=body.role,
    )
    return PersonOut.model_validate(person)


@router.post("/{case_id}/members", status_code=status.HTTP_201_CREATED, responses=answers(404, 409))
def add_member(
    case_id: Id, body: MemberIn, db: DbSession, runtime: RuntimeDep, caller: MemberManager
) -> MemberOut:
    """Add an investigator to the members of the case, saying why (a member or an approver)."""
    call = caller.call(db, runtime)
    case = service.reach(call, case_id, CaseAct.MEMBERS)
    return MemberOut.model_validate(
        service.add_member(call, case.reference, body.name, body.reason)
    )
