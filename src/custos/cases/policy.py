"""Pure rules of cases: references, person labels, what closing and clearing allow. No I/O."""

from __future__ import annotations

import re
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
