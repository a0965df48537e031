"""Rules of export: who footage may be handed to. Pure, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from itertools import pairwise

from custos.cases.policy import CaseKind


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


def destination_problem(kind: CaseKind, role: RecipientRole) -> str | None:
    """Why an export of a case of `kind` may not go to a recipient in `role`, or None: the
    footage of a subject-access case goes to the person who asked, and to no one else."""
    if kind is CaseKind.SUBJECT_ACCESS and role is not RecipientRole.DATA_SUBJECT:
        return "the footage of a person's own request goes to that person alone"
    return None


@dataclass(frozen=True)
class Span:
    """Seconds `from_s` to `to_s` of a granted window (its start and end when None)."""

    window: int
    from_s: float | None = None
    to_s: float | None = None


MOST_RANGES = 12  # one package; more is more than one export


def ranges_problem(spans: Sequence[tuple[int, float, float]]) -> str | None:
    """Why ranges (window, from second, to second) cannot go in one package, or None.

    At least one and at most `MOST_RANGES`, each forward, and no two overlapping in a window:
    the same second is not handed over twice in one package."""
    if not spans:
        return "choose at least one range to export"
    if len(spans) > MOST_RANGES:
        return f"one package holds at most {MOST_RANGES} ranges"
    for window, start, end in spans:
        if not start < end:
            return f"a range of window {window} ends after it starts"
    ordered = sorted(spans)
    for (window, _start, end), (other, start, _end) in pairwise(ordered):
        if window == other and start < end:
            return f"two ranges of window {window} overlap"
    return None


class ExportState(StrEnum):
    """Where an export stands."""

    MAKING = "making"  # the disclosure is recorded; the package is being made
    READY = "ready"  # sealed in its folder
    FAILED = "failed"  # the package could not be made: nothing was handed over


DOWNLOAD_DAYS, MOST_DOWNLOAD_DAYS = 7.0, 30.0
DOWNLOADS, MOST_DOWNLOADS = 1, 5


def link_terms_problem(days: float, downloads: int) -> str | None:
    """Why a download link cannot be issued on these terms, or None."""
    if not 0 < days <= MOST_DOWNLOAD_DAYS:
        return f"a download link lasts more than 0 and at most {MOST_DOWNLOAD_DAYS:g} days"
    if not 1 <= downloads <= MOST_DOWNLOADS:
        return f"a download link works 1 to {MOST_DOWNLOADS} times"
    return None


def download_problem(
    now: datetime,
    *,
    state: ExportState,
    expires_at: datetime | None,
    downloads_left: int,
    revoked: bool,
    shredded: bool,
) -> str | None:
    """Why a package cannot be downloaded now, or None."""
    if revoked:
        return "the export was revoked"
    if shredded:
        return "the stored package has been shredded"
    if state is ExportState.MAKING:
        return "the package is still being made: try again shortly"
    if state is not ExportState.READY:
        return "the package could not be made"
    if expires_at is None or now >= expires_at:
        return "the download link has expired"
    if downloads_left <= 0:
        return "the download link has been used as many times as it allows"
    return None


def to_shred(
    now: datetime, *, expires_at: datetime | None, downloads_left: int, revoked: bool
) -> bool:
    """Whether a stored package is past use: its link expired, used up or revoked."""
    return revoked or downloads_left <= 0 or (expires_at is not None and now >= expires_at)
