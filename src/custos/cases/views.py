"""HTTP API of cases: open, list, add persons (clearing and closing are in access's API)."""

from __future__ import annotations

from fastapi import APIRouter, status

from custos.cases import service
from custos.cases.models import Case
from custos.cases.policy import CaseStatus
from custos.cases.schemas import (
    CaseCreate,
    CaseDetail,
    CaseOut,
    PersonCreate,
    PersonOut,
)
from custos.deps import CaseManager, CaseViewer, DbSession, RuntimeDep
from custos.http import Id, answers

router = APIRouter(prefix="/api/cases", tags=["cases"])


def _detail(db: DbSession, case: Case) -> CaseDetail:
    return CaseDetail.model_validate(
        {
            **CaseOut.model_validate(case).model_dump(),
            "persons": [PersonOut.model_validate(p) for p in service.persons(db, case)],
        }
    )


@router.get("")
def list_cases(
    db: DbSession, _caller: CaseViewer, status: CaseStatus | None = None
) -> list[CaseOut]:
    """Cases, newest first."""
    return [CaseOut.model_validate(case) for case in service.list_cases(db, status)]


@router.post("", status_code=status.HTTP_201_CREATED, responses=answers(409))
def open_case(body: CaseCreate, db: DbSession, runtime: RuntimeDep, caller: CaseManager) -> CaseOut:
    """Open a case on one of the legal grounds of the published policy."""
    case = service.open_case(
        caller.call(db, runtime), body.reference, body.legal_basis, body.description
    )
    return CaseOut.model_validate(case)


@router.get("/{case_id}")
def get_case(case_id: Id, db: DbSession, _caller: CaseViewer) -> CaseDetail:
    """A case and its persons."""
    return _detail(db, service.get_case_by_id(db, case_id))


@router.post("/{case_id}/persons", status_code=status.HTTP_201_CREATED, responses=answers(409))
def add_person(
    case_id: Id, body: PersonCreate, db: DbSession, runtime: RuntimeDep, caller: CaseManager
) -> PersonOut:
    """Add a person, by pseudonym, with the flags that make the access rules stricter."""
    case = service.get_case_by_id(db, case_id)
    person = service.add_person(
        caller.call(db, runtime),
        case.reference,
        body.label,
        minor=body.minor,
        vulnerable=body.vulnerable,
    )
    return PersonOut.model_validate(person)
