"""Rules of export: who footage may be handed to. Pure, no I/O."""

from __future__ import annotations

from enum import StrEnum


class RecipientRole(StrEnum):
    """The parties a package of evidence goes to."""

    COURT = "court"
    PROSECUTOR = "prosecutor"
    DEFENCE = "defence"  # defence counsel
    DATA_SUBJECT = "data_subject"  # the person filmed, asking for footage of themselves


ROLE_NAMES = {
    RecipientRole.COURT: "court",
    RecipientRole.PROSECUTOR: "prosecutor",
    RecipientRole.DEFENCE: "defence counsel",
    RecipientRole.DATA_SUBJECT: "the person filmed",
}


def recipient_problem(name: str, organisation: str, role: RecipientRole) -> str | None:
    """Why a recipient cannot be listed as given, or None.

    A court, a prosecutor and defence counsel act for an organisation, which must be named; a
    person filmed receives footage of themselves as themselves.
    """
    if not name.strip():
        return "name the recipient"
    if role is not RecipientRole.DATA_SUBJECT and not organisation.strip():
        return f"name the organisation of the {ROLE_NAMES[role]}"
    return None


class ExportState(StrEnum):
    """Where an export stands."""

    MAKING = "making"  # the disclosure is recorded; the package is being made
    READY = "ready"  # sealed in its folder
    FAILED = "failed"  # the package could not be made: nothing was handed over
