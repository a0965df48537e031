"""Opening, changing and closing cases; every change audited in its own transaction.

Closing a case, or clearing a person ("suspicion refuted"), revokes the grants that reach
footage for them and releases the legal holds tied to them, at once and in one transaction.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit.policy import Action
from custos.audit.service import record
from custos.cases import policy
from custos.cases.models import Case as Case
from custos.cases.models import CasePerson
from custos.cases.policy import CaseStatus
from custos.context import Call, Context
from custos.errors import Conflict, InvalidInput, NotFound


def _audit(
    call: Call,
    case: Case,
    event: str,
    justification: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """The audit entry of a change to `case`, carrying its reference and legal basis."""
    record(
        call.session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        event,
        object_type="case",
        object_id=case.reference,
        context=Context(
            case_ref=case.reference, legal_basis=case.legal_basis, justification=justification
        ),
        details=details,
    )


def get_case(session: Session, reference: str) -> Case:
    """The case with `reference`, or NotFound."""
    case = session.scalar(sa.select(Case).where(Case.reference == reference))
    if case is None:
        raise NotFound(f"no case '{reference}'")
    return case


def get_case_by_id(session: Session, case_id: int) -> Case:
    """The case with `case_id`, or NotFound; URLs name cases by id, as references hold '/'."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    return case


def list_cases(session: Session, status: CaseStatus | None = None) -> list[Case]:
    """Cases, newest first."""
    query = sa.select(Case).order_by(Case.opened_at.desc(), Case.id.desc())
    if status is not None:
        query = query.where(Case.status == status)
    return list(session.scalars(query))


def persons(session: Session, case: Case) -> list[CasePerson]:
    """The persons of a case, by label."""
    return list(
        session.scalars(
            sa.select(CasePerson).where(CasePerson.case_id == case.id).order_by(CasePerson.label)
        )
    )


def open_case(call: Call, reference: str, legal_basis: str, description: str) -> Case:
    """Open a case on one of the policy's legal grounds."""
    problem = policy.reference_problem(reference)
    if problem:
        raise InvalidInput(problem, field="reference")
    grounds = [ground.code for ground in call.profile.grounds]
    problem = policy.legal_basis_problem(legal_basis, grounds)
    if problem:
        raise InvalidInput(problem, field="legal_basis")
    if not description.strip():
        raise InvalidInput("say what the case is about", field="description")
    session = call.session
    if session.scalar(sa.select(Case.id).where(Case.reference == reference)) is not None:
        raise Conflict(f"a case '{reference}' exists already")
    case = Case(
        reference=reference,
        legal_basis=legal_basis,
        description=description.strip(),
        status=CaseStatus.OPEN,
        opened_at=call.clock.now(),
        opened_by=call.actor.name,
        closed_at=None,
        closed_reason="",
    )
    session.add(case)
    session.flush()
    _audit(call, case, "case.opened")
    session.commit()
    return case


def add_person(
    call: Call,
    reference: str,
    label: str,
    *,
    minor: bool = False,
    vulnerable: bool = False,
) -> CasePerson:
    """Add a person to an open case, by pseudonym, with the flags that make rules stricter."""
    session = call.session
    case = get_case(session, reference)
    problem = policy.change_problem(case.status)
    if problem:
        raise Conflict(f"case {reference}: {problem}")
    problem = policy.label_problem(label)
    if problem:
        raise InvalidInput(problem, field="label")
    exists = sa.select(CasePerson.id).where(
        CasePerson.case_id == case.id, CasePerson.label == label
    )
    if session.scalar(exists) is not None:
        raise Conflict(f"case {reference} has a person '{label}' already")
    person = CasePerson(
        case_id=case.id,
        label=label,
        minor=minor,
        vulnerable=vulnerable,
        added_at=call.clock.now(),
        cleared_at=None,
        cleared_reason="",
    )
    session.add(person)
    session.flush()
    _audit(
        call,
        case,
        "case.person_added",
        details={"person": label, "minor": minor, "vulnerable": vulnerable},
    )
    session.commit()
    return person


def clear_person(call: Call, reference: str, label: str, reason: str) -> Case:
    """Mark a person of an open case cleared and audit it; returns the case. The caller commits.

    Only the access domain calls this, inside the cascade that also revokes the person's
    grants and releases their holds in the same transaction.
    """
    session = call.session
    case = get_case(session, reference)
    if not reason.strip():
        raise InvalidInput("say why the suspicion is refuted", field="reason")
    person = session.scalar(
        sa.select(CasePerson).where(CasePerson.case_id == case.id, CasePerson.label == label)
    )
    if person is None:
        raise NotFound(f"case {reference} has no person '{label}'")
    if person.cleared_at is not None:
        raise Conflict(f"{label} of case {reference} is cleared already")
    person.cleared_at = call.clock.now()
    person.cleared_reason = reason.strip()
    _audit(
        call,
        case,
        "case.person_cleared",
        justification=reason,
        details={"person": label},
    )
    return case


def close_case(call: Call, reference: str, reason: str) -> Case:
    """Mark a case closed and audit it; returns the case. The caller commits.

    Only the access domain calls this, inside the cascade that also revokes the case's grants
    and releases its holds in the same transaction.
    """
    case = get_case(call.session, reference)
    problem = policy.change_problem(case.status)
    if problem:
        raise Conflict(f"case {reference}: {problem}")
    if not reason.strip():
        raise InvalidInput("say why the case is closed", field="reason")
    case.status = CaseStatus.CLOSED
    case.closed_at = call.clock.now()
    case.closed_reason = reason.strip()
    _audit(call, case, "case.closed", justification=reason)
    return case
