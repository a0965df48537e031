"""Legal holds inside cases: every hold names an open case, and a person of it if any.

A hold outside the case process would keep footage for ever: closing the case or clearing the
person releases the holds placed in them (`access.service`), but a hold on a reference that
names no case, or on a person not in it, would never be released. So the pages, the API and
the command line place and review holds here: the case is checked (`cases.policy`), then
`retention.holds` places or reviews the hold in the same transaction.

Holds placed before this check existed may name no open case; `list_holds` marks them
orphaned, with the reason, so that an approver can release them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.cases import policy
from custos.cases.models import Case, CasePerson
from custos.cases.policy import CaseStatus
from custos.context import Call
from custos.errors import Conflict, InvalidInput, NotFound
from custos.retention import holds as retention_holds
from custos.retention.holds import LegalHold, Scope


class NoSuchCase(NotFound):
    """A hold names a case reference that names no case."""


def open_cases(session: Session) -> list[Case]:
    """The cases a hold may be placed in now: the open ones, newest first.

    Approvers, who place holds, see every case.
    """
    query = sa.select(Case).where(Case.status == CaseStatus.OPEN)
    return list(session.scalars(query.order_by(Case.opened_at.desc(), Case.id.desc())))


def _checked_case(session: Session, reference: str) -> Case:
    """The open case `reference` names; NoSuchCase or Conflict (closed) with the reason."""
    case = session.scalar(sa.select(Case).where(Case.reference == reference))
    problem = policy.hold_problem(reference, None if case is None else case.status)
    if problem is not None:
        raise NoSuchCase(problem) if case is None else Conflict(problem)
    assert case is not None
    return case


def _check_person(session: Session, case: Case, label: str) -> None:
    rows = session.execute(
        sa.select(CasePerson.label, CasePerson.cleared_at).where(CasePerson.case_id == case.id)
    )
    persons = {row.label: row.cleared_at is not None for row in rows}
    problem = policy.hold_person_problem(case.reference, label, persons)
    if problem is not None:
        raise InvalidInput(problem, field="person_ref")


def place_hold(
    call: Call,
    *,
    case_ref: str,
    scopes: list[Scope],
    reason: str,
    review_due: datetime | None = None,
    person_ref: str | None = None,
) -> LegalHold:
    """Place a hold inside open case `case_ref` (for one of its persons, if given)."""
    reference = case_ref.strip()
    if not reference:
        raise InvalidInput("a hold is placed inside a case: choose one", field="case_ref")
    case = _checked_case(call.session, reference)
    person = (person_ref or "").strip() or None
    if person is not None:
        _check_person(call.session, case, person)
    hold = retention_holds.stage_hold(
        call,
        case_ref=case.reference,
        scopes=scopes,
        reason=reason,
        review_due=review_due,
        person_ref=person,
    )
    call.session.commit()
    return hold


def review_hold(call: Call, hold_id: int, keep_until: datetime, reason: str) -> LegalHold:
    """Keep a hold until `keep_until`, when it is due for review again; audited with the reason.

    Only a hold inside an open case may be kept: an orphaned one can only be released.
    """
    hold = retention_holds.get_hold(call.session, hold_id)
    if hold.released_at is None:
        try:
            _checked_case(call.session, hold.case_ref)
        except (NotFound, Conflict):
            raise Conflict(
                f"hold {hold_id} names no open case ({hold.case_ref}): release it instead"
            ) from None
    return retention_holds.review_hold(call, hold_id, keep_until, reason)


def release_hold(call: Call, hold_id: int, reason: str) -> LegalHold:
    """Release a hold, inside a case or orphaned; what it covered returns to normal retention."""
    return retention_holds.release_hold(call, hold_id, reason)


@dataclass(frozen=True)
class Listed:
    """A live hold as listed: its cameras by name, and why it is orphaned if it is."""

    hold: LegalHold
    scopes: list[Scope]
    orphaned: str | None  # the reason: "no such case", "case closed"


def _statuses(session: Session, references: set[str]) -> dict[str, CaseStatus]:
    rows = session.execute(
        sa.select(Case.reference, Case.status).where(Case.reference.in_(references))
    )
    return {reference: status for reference, status in rows}


def list_holds(session: Session, *, orphaned_only: bool = False) -> list[Listed]:
    """Live holds, the ones due for review first; each says whether it names an open case."""
    live = retention_holds.list_holds(session)
    return [
        entry for entry in _listed(session, live) if entry.orphaned is not None or not orphaned_only
    ]


def describe(session: Session, hold: LegalHold) -> Listed:
    """One hold as listed (released ones too)."""
    return _listed(session, [hold])[0]


def _listed(session: Session, held: list[LegalHold]) -> list[Listed]:
    statuses = _statuses(session, {hold.case_ref for hold in held})
    scopes = retention_holds.named_scopes(session, held)
    return [
        Listed(hold, scopes[hold.id], policy.orphan_reason(statuses.get(hold.case_ref)))
        for hold in held
    ]
