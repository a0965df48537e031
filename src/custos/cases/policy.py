"""Pure rules of cases: references, person labels, what closing and clearing allow, and which
cases a legal hold may be placed in. No I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum

CASE_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/._-]{0,63}$")
# Persons are pseudonymous: a label such as "P1" or "suspect-A", never a name or an ID number.
PERSON_LABEL = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,31}$")


class CaseStatus(StrEnum):
    """A case is open until it is closed; a closed case reaches no footage."""

    OPEN = "open"
    CLOSED = "closed"


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
