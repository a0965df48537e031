"""Pure rules of cases: references, person labels, what closing and clearing allow, which
cases a legal hold may be placed in, and who sees and does what in a case. No I/O."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from enum import StrEnum

from custos.permissions import Role

CASE_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/._-]{0,63}$")
# Persons are pseudonymous: a label such as "P1" or "suspect-A", never a name or an ID number.
PERSON_LABEL = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,31}$")


class CaseStatus(StrEnum):
    """A case is open until it is closed; a closed case reaches no footage."""

    OPEN = "open"
    CLOSED = "closed"


class CaseKind(StrEnum):
    """What a case is for. A subject-access case carries a person's request for the footage of
    themselves (`subjects`): the data protection officer opens it on the policy's ground and
    assigns an investigator, who asks for that footage and hands it to the person; it concerns
    that person alone."""

    CRIMINAL = "criminal"
    SUBJECT_ACCESS = "subject_access"


class PersonRole(StrEnum):
    """What a person is to the case. Persons recorded before roles existed are suspects."""

    SUSPECT = "suspect"
    WITNESS = "witness"
    VICTIM = "victim"
    OTHER = "other"


def reference_problem(reference: str) -> str | None:
    """Why `reference` cannot name a case, or None."""
    if not CASE_REFERENCE.match(reference):
        return "a case reference is 1-64 letters, digits, '/', '.', '_' or '-'"
    return None


def label_problem(label: str) -> str | None:
    """Why `label` cannot name a person of a case, or None (labels are pseudonyms)."""
    if not PERSON_LABEL.match(label):
        return (
            "a person's label is a pseudonym of 1-32 letters, digits, '.', '_' or '-' "
            "starting with a letter (e.g. P1, suspect-A), never a name"
        )
    if sum(character.isdigit() for character in label) >= 6:
        return "a person's label must not carry an identity number"
    return None


def legal_basis_problem(code: str, grounds: list[str]) -> str | None:
    """Why `code` is not a legal basis the policy lists, or None."""
    if code not in grounds:
        return f"'{code}' is not a legal basis of the policy; it lists {', '.join(grounds)}"
    return None


def change_problem(status: CaseStatus) -> str | None:
    """Why a case in `status` cannot be changed (persons added or cleared, closed again)."""
    if status is CaseStatus.CLOSED:
        return "the case is closed"
    return None


# --- legal holds inside cases ---------------------------------------------------------------


def hold_problem(reference: str, status: CaseStatus | None) -> str | None:
    """Why no hold may be placed (or kept under review) on case `reference`, or None.

    `status` is the case's, or None when the reference names no case. A hold outside an open
    case would outlive the case process: closing the case or clearing a person could never
    release it.
    """
    if status is None:
        return f"no case '{reference}': a hold is placed inside an open case"
    if status is CaseStatus.CLOSED:
        return f"case {reference} is closed: its holds were released with it"
    return None


def hold_person_problem(reference: str, label: str, persons: Mapping[str, bool]) -> str | None:
    """Why a hold cannot be placed for person `label` of case `reference`, or None.

    `persons` maps each person's label to whether they were cleared: a hold for someone not in
    the case, or already cleared, would never be released by clearing them.
    """
    if label not in persons:
        return f"case {reference} has no person '{label}'"
    if persons[label]:
        return f"{label} of case {reference} is cleared: nothing may be held for them"
    return None


def orphan_reason(status: CaseStatus | None) -> str | None:
    """Why a live hold on a case in `status` stands outside the case process, or None."""
    if status is None:
        return "no such case"
    if status is CaseStatus.CLOSED:
        return "case closed"
    return None


# --- need to know: members of a case ----------------------------------------------------------


class CaseAct(StrEnum):
    """What one does with a case."""

    SEE = "see"  # the case, its persons and members, its requests and grants
    ADD_PERSON = "add_person"
    CLEAR_PERSON = "clear_person"
    REQUEST = "request"  # file an access request in it
    REVIEW = "review"  # watch the footage of a grant of it (one's own grant)
    CLOSE = "close"
    MEMBERS = "members"  # add or remove a member
    INSPECT_DEVICE = "inspect_device"  # record a device inspection in it (state of emergency)


# The members of a case investigate it: they do everything a case allows. Approvers decide the
# requests of every case, so they see every case, and they may change who works on one; they
# do not investigate (no persons, requests, footage or closing).
MEMBER_ACTS: frozenset[CaseAct] = frozenset(CaseAct)
APPROVER_ACTS: frozenset[CaseAct] = frozenset({CaseAct.SEE, CaseAct.MEMBERS})
# A subject-access case concerns the person who asked and no one else: its members add no
# persons. The data protection officer who opened it sees it and closes it once the footage
# went out, and never reviews footage.
SUBJECT_MEMBER_ACTS: frozenset[CaseAct] = MEMBER_ACTS - {CaseAct.ADD_PERSON, CaseAct.INSPECT_DEVICE}
SUBJECT_DPO_ACTS: frozenset[CaseAct] = frozenset({CaseAct.SEE, CaseAct.CLOSE})


def acts(role: str | None, member: bool, kind: CaseKind = CaseKind.CRIMINAL) -> frozenset[CaseAct]:
    """What someone in `role` may do in a case of `kind` they are (or are not) a member of.

    Only investigators are members; an investigator who is not a member of a case, and every
    other role, may do nothing with it, not even know it exists.
    """
    subject = kind is CaseKind.SUBJECT_ACCESS
    if role == Role.APPROVER:
        return APPROVER_ACTS
    if role == Role.INVESTIGATOR and member:
        return SUBJECT_MEMBER_ACTS if subject else MEMBER_ACTS
    if role == Role.DPO and subject:
        return SUBJECT_DPO_ACTS
    return frozenset()


class Refusal(StrEnum):
    """How a refused act is answered."""

    UNKNOWN = "unknown"  # the case is not theirs to know of: answered as if it did not exist
    FORBIDDEN = "forbidden"  # they see the case, but may not do this in it


def refusal(
    role: str | None, member: bool, act: CaseAct, kind: CaseKind = CaseKind.CRIMINAL
) -> Refusal | None:
    """Why someone in `role`, a member or not, may not do `act` in a case of `kind`, or None if
    they may."""
    allowed = acts(role, member, kind)
    if act in allowed:
        return None
    return Refusal.FORBIDDEN if CaseAct.SEE in allowed else Refusal.UNKNOWN


# How a refused act is named to someone who sees the case.
ACT_WORDS: Mapping[CaseAct, str] = {
    CaseAct.SEE: "see",
    CaseAct.ADD_PERSON: "add persons to",
    CaseAct.CLEAR_PERSON: "clear persons of",
    CaseAct.REQUEST: "request footage in",
    CaseAct.REVIEW: "review footage of",
    CaseAct.CLOSE: "close",
    CaseAct.MEMBERS: "change the members of",
    CaseAct.INSPECT_DEVICE: "record device inspections in",
}


def refusal_reason(role: str | None, refused: Refusal, act: CaseAct) -> str:
    """Why `act` was refused, as the audit log records it (and, if FORBIDDEN, as told)."""
    if refused is Refusal.UNKNOWN:
        return "not a member of the case"
    return (
        f"the {role} role does not {ACT_WORDS[act]} a case: approvers decide requests, "
        "the members of a case investigate it"
    )


def sees_every_case(role: str | None) -> bool:
    """Whether `role` sees every case, member or not (approvers); else only one's own."""
    return CaseAct.SEE in acts(role, member=False)


def open_problem(role: str | None, kind: CaseKind = CaseKind.CRIMINAL) -> str | None:
    """Why someone in `role` may not open a case of `kind`, or None: the opener of a criminal
    case is its first member; the data protection officer opens a subject-access case for the
    investigator they assign."""
    if kind is CaseKind.SUBJECT_ACCESS:
        if role != Role.DPO:
            return "only the data protection officer opens a case for a person's own footage"
        return None
    if role != Role.INVESTIGATOR:
        return "only an investigator opens a case, and becomes its first member"
    return None


def member_problem(name: str, role: str | None, active: bool) -> str | None:
    """Why account `name` cannot be made a member of a case, or None.

    `role` is the account's, or None when no account has that name.
    """
    if role is None:
        return f"no account '{name}'"
    if role != Role.INVESTIGATOR:
        return f"{name} is not an investigator: only investigators are members of a case"
    if not active:
        return f"{name}'s account is disabled"
    return None


def removal_problem(reference: str, name: str, members: Collection[str]) -> str | None:
    """Why member `name` cannot leave case `reference`, whose members are `members`, or None.

    A case always keeps a member: one that had none would be reached by nobody but approvers,
    who do not investigate.
    """
    if set(members) <= {name}:
        return f"{name} is the last member of case {reference}: add another member first"
    return None
