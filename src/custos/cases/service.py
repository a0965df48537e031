"""Opening, changing and closing cases, and who works on them; every change audited in the
transaction that makes it.

Closing a case, or clearing a person ("suspicion refuted"), revokes the grants that reach
footage for them and releases the legal holds tied to them, at once and in one transaction.

Need to know: a case is seen by its members and by approvers, and acted in by its members
alone (`policy.acts`). `reach` is the one door to a case for someone: it answers a refusal as
`NotFound` to whoever may not know the case exists, exactly as for a case that does not, and
`Forbidden` to an approver who sees it but may not do that in it; every refusal is audited.
Listings go through `visible_cases` and `visible_case_ids`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit.policy import Action, Outcome
from custos.audit.service import record
from custos.cases import policy
from custos.cases.models import Case as Case
from custos.cases.models import CaseMember as CaseMember
from custos.cases.models import CasePerson
from custos.cases.policy import CaseAct, CaseKind, CaseStatus, PersonRole, Refusal
from custos.context import Actor, Call, Context
from custos.errors import Conflict, Forbidden, InvalidInput, NotFound
from custos.users import service as users


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


def visible_case_ids(session: Session, viewer: Actor) -> set[int] | None:
    """The ids of the cases `viewer` may see; None when they see every case (approvers). The
    data protection officer sees the subject-access cases they open."""
    if policy.sees_every_case(viewer.role):
        return None
    seen: set[int] = set()
    if CaseAct.SEE in policy.acts(viewer.role, member=True):
        seen.update(
            session.scalars(
                sa.select(CaseMember.case_id).where(
                    CaseMember.name == viewer.name, CaseMember.removed_at.is_(None)
                )
            )
        )
    if CaseAct.SEE in policy.acts(viewer.role, member=False, kind=CaseKind.SUBJECT_ACCESS):
        seen.update(session.scalars(sa.select(Case.id).where(Case.kind == CaseKind.SUBJECT_ACCESS)))
    return seen


def visible_cases(session: Session, viewer: Actor, status: CaseStatus | None = None) -> list[Case]:
    """The cases `viewer` may see, newest first: their own, or every case for an approver."""
    query = sa.select(Case).order_by(Case.opened_at.desc(), Case.id.desc())
    if status is not None:
        query = query.where(Case.status == status)
    ids = visible_case_ids(session, viewer)
    if ids is not None:
        query = query.where(Case.id.in_(ids))
    return list(session.scalars(query))


# --- members ----------------------------------------------------------------------------------


def members(session: Session, case: Case, *, former: bool = False) -> list[CaseMember]:
    """The members of a case by name (with `former`: those removed from it instead)."""
    query = sa.select(CaseMember).where(CaseMember.case_id == case.id)
    gone = CaseMember.removed_at.is_not(None) if former else CaseMember.removed_at.is_(None)
    return list(session.scalars(query.where(gone).order_by(CaseMember.name)))


def member_names(session: Session, case_id: int) -> set[str]:
    """The names of the members of case `case_id` now."""
    return set(
        session.scalars(
            sa.select(CaseMember.name).where(
                CaseMember.case_id == case_id, CaseMember.removed_at.is_(None)
            )
        )
    )


def is_member(session: Session, case_id: int, name: str) -> bool:
    """Whether `name` is a member of case `case_id` now."""
    return name in member_names(session, case_id)


def acts_of(session: Session, viewer: Actor, case: Case) -> frozenset[CaseAct]:
    """What `viewer` may do in `case` (nothing at all for a case they may not know of)."""
    return policy.acts(viewer.role, is_member(session, case.id, viewer.name), case.kind)


def refusal_of(session: Session, viewer: Actor, case: Case, act: CaseAct) -> Refusal | None:
    """How `viewer` is refused `act` in `case`, or None if they may do it. Records nothing."""
    return policy.refusal(viewer.role, is_member(session, case.id, viewer.name), act, case.kind)


def reach(call: Call, case_id: int, act: CaseAct, *, unknown: str | None = None) -> Case:
    """Case `case_id`, if the caller may do `act` in it.

    NotFound, with the message `unknown` (by default the one for a case id that names no
    case), when there is no such case or the caller may not know of it; Forbidden when they
    see it but may not do `act`. Each refusal of an existing case is audited and committed, so
    call this before staging anything.
    """
    missing = unknown or f"no case {case_id}"
    return _reached(call, call.session.get(Case, case_id), act, missing)


def reach_reference(call: Call, reference: str, act: CaseAct) -> Case:
    """The case with `reference`, if the caller may do `act` in it; refused as `reach` is."""
    case = call.session.scalar(sa.select(Case).where(Case.reference == reference))
    return _reached(call, case, act, f"no case '{reference}'")


def _reached(call: Call, case: Case | None, act: CaseAct, missing: str) -> Case:
    if case is None:
        raise NotFound(missing)
    refused = refusal_of(call.session, call.actor, case, act)
    if refused is None:
        return case
    why = policy.refusal_reason(call.actor.role, refused, act)
    record(
        call.session,
        call.clock,
        call.actor,
        Action.CONSULT if act is CaseAct.SEE else Action.CONFIGURE,
        "case.refused",
        object_type="case",
        object_id=case.reference,
        outcome=Outcome.DENIED,
        context=Context(case_ref=case.reference, legal_basis=case.legal_basis),
        details={"act": act.value, "why": why},
    )
    call.session.commit()
    if refused is Refusal.UNKNOWN:
        raise NotFound(missing)
    raise Forbidden(why)


def member_candidates(session: Session, case: Case) -> list[str]:
    """The accounts that may be added to `case`: active investigators not members of it yet."""
    present = member_names(session, case.id)
    return [name for name in investigators(session) if name not in present]


def investigators(session: Session) -> list[str]:
    """The accounts that may work on a case: active investigators."""
    return [
        user.name
        for user in users.list_users(session)
        if policy.member_problem(user.name, user.role, user.active) is None
    ]


def _reason(reason: str, what: str) -> str:
    if not reason.strip():
        raise InvalidInput(f"say why {what}", field="reason")
    return reason.strip()


def _member_problem(session: Session, name: str) -> str | None:
    try:
        account = users.get_user(session, name)
    except NotFound:
        return policy.member_problem(name, None, False)
    return policy.member_problem(name, account.role, account.active)


def add_member(call: Call, reference: str, name: str, reason: str) -> CaseMember:
    """Add investigator `name` to the members of an open case, saying why; audited."""
    session = call.session
    case = reach_reference(call, reference, CaseAct.MEMBERS)
    problem = policy.change_problem(case.status)
    if problem:
        raise Conflict(f"case {reference}: {problem}")
    name = name.strip()
    row = session.scalar(
        sa.select(CaseMember).where(CaseMember.case_id == case.id, CaseMember.name == name)
    )
    if row is not None and row.removed_at is None:
        raise Conflict(f"{name} is a member of case {reference} already")
    problem = _member_problem(session, name)
    if problem:
        raise InvalidInput(problem, field="name")
    why = _reason(reason, f"{name} joins the case")
    now = call.clock.now()
    if row is None:
        row = CaseMember(case_id=case.id, name=name, removed_reason="")
        session.add(row)
    row.added_by, row.added_at, row.reason = call.actor.name, now, why
    row.removed_at, row.removed_by, row.removed_reason = None, None, ""
    session.flush()
    _audit(call, case, "case.member_added", justification=why, details={"member": name})
    session.commit()
    return row


def remove_member(call: Call, reference: str, name: str, reason: str) -> Case:
    """Remove `name` from the members of an open case, saying why; returns the case.

    The caller commits: the access domain calls this inside the step that also revokes the
    grants the member held in the case, in the same transaction.
    """
    session = call.session
    case = reach_reference(call, reference, CaseAct.MEMBERS)
    problem = policy.change_problem(case.status)
    if problem:
        raise Conflict(f"case {reference}: {problem}")
    row = session.scalar(
        sa.select(CaseMember).where(
            CaseMember.case_id == case.id,
            CaseMember.name == name,
            CaseMember.removed_at.is_(None),
        )
    )
    if row is None:
        raise NotFound(f"{name} is not a member of case {reference}")
    problem = policy.removal_problem(reference, name, member_names(session, case.id))
    if problem:
        raise Conflict(problem)
    why = _reason(reason, f"{name} leaves the case")
    row.removed_at, row.removed_by, row.removed_reason = call.clock.now(), call.actor.name, why
    _audit(call, case, "case.member_removed", justification=why, details={"member": name})
    return case


def persons(session: Session, case: Case) -> list[CasePerson]:
    """The persons of a case, by label."""
    return list(
        session.scalars(
            sa.select(CasePerson).where(CasePerson.case_id == case.id).order_by(CasePerson.label)
        )
    )


def open_case(call: Call, reference: str, legal_basis: str, description: str) -> Case:
    """Open a case on one of the policy's legal grounds; its opener is its first member."""
    problem = policy.open_problem(call.actor.role)
    if problem:
        raise Forbidden(problem)
    grounds = [ground.code for ground in call.profile.grounds]
    problem = policy.legal_basis_problem(legal_basis, grounds)
    if problem:
        raise InvalidInput(problem, field="legal_basis")
    case = _open(call, reference, legal_basis, description, CaseKind.CRIMINAL)
    _add_first_member(call, case, call.actor.name, "opened the case")
    _audit(call, case, "case.opened", details={"member": call.actor.name})
    call.session.commit()
    return case


def open_subject_case(
    call: Call, reference: str, description: str, investigator: str, reason: str
) -> Case:
    """Open the case through which a person's own footage goes out to them (the data protection
    officer, on the policy's ground for a person's access): its one person is P1, the person
    who asked; the investigator named works on it (they ask for the footage, name P1's track
    and export it). Audited; the caller commits."""
    problem = policy.open_problem(call.actor.role, CaseKind.SUBJECT_ACCESS)
    if problem:
        raise Forbidden(problem)
    ground = call.profile.data_subject.ground
    if ground is None:
        raise Conflict("the policy names no legal ground for a person's access to their footage")
    problem = _member_problem(call.session, investigator)
    if problem:
        raise InvalidInput(problem, field="investigator")
    why = _reason(reason, f"{investigator} handles the request")
    case = _open(call, reference, ground.code, description, CaseKind.SUBJECT_ACCESS)
    _add_first_member(call, case, investigator, why)
    call.session.add(
        CasePerson(
            case_id=case.id, label=SUBJECT_LABEL, role=PersonRole.OTHER, minor=False,
            vulnerable=False, added_at=case.opened_at, cleared_at=None, cleared_reason="",
        )
    )  # fmt: skip
    _audit(
        call, case, "case.opened", justification=why,
        details={"kind": case.kind.value, "member": investigator, "person": SUBJECT_LABEL},
    )  # fmt: skip
    return case


SUBJECT_LABEL = "P1"
"""The person who asked, in their subject-access case."""


def _open(call: Call, reference: str, legal_basis: str, description: str, kind: CaseKind) -> Case:
    problem = policy.reference_problem(reference)
    if problem:
        raise InvalidInput(problem, field="reference")
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
        kind=kind,
        opened_at=call.clock.now(),
        opened_by=call.actor.name,
        closed_at=None,
        closed_reason="",
    )
    session.add(case)
    session.flush()
    return case


def _add_first_member(call: Call, case: Case, name: str, reason: str) -> None:
    call.session.add(
        CaseMember(
            case_id=case.id,
            name=name,
            added_by=call.actor.name,
            added_at=case.opened_at,
            reason=reason,
            removed_at=None,
            removed_by=None,
            removed_reason="",
        )
    )
    call.session.flush()


def add_person(
    call: Call,
    reference: str,
    label: str,
    *,
    minor: bool = False,
    vulnerable: bool = False,
    role: PersonRole = PersonRole.SUSPECT,
) -> CasePerson:
    """Add a person to an open case, by pseudonym, with what they are to the case and the flags
    that make the rules stricter."""
    session = call.session
    case = reach_reference(call, reference, CaseAct.ADD_PERSON)
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
        role=role,
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
        details={"person": label, "role": role.value, "minor": minor, "vulnerable": vulnerable},
    )
    session.commit()
    return person


def clear_person(call: Call, reference: str, label: str, reason: str) -> Case:
    """Mark a person of an open case cleared and audit it; returns the case. The caller commits.

    Only the access domain calls this, inside the cascade that also revokes the person's
    grants and releases their holds in the same transaction.
    """
    session = call.session
    case = reach_reference(call, reference, CaseAct.CLEAR_PERSON)
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
    case = reach_reference(call, reference, CaseAct.CLOSE)
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
