"""Pure rules of the breach register: when the notice to the authority is due, what a record
must hold, and the notice's text. No I/O: the clock's time and the profile come in.

A breach must be notified to the authorised body within a period counted from its discovery:
in working days by the profile's calendar (Kazakhstan, Law No. 94-V as amended in 2023: one
working day), or in hours (GDPR art. 33: 72 hours). A working day is one the calendar does not
name as a weekend day or a holiday, counted in the calendar's time zone: a breach discovered
on a Friday evening is due on Monday evening.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from custos.deadlines import Calendar, add_working_days

CATEGORIES = {
    "footage": "recorded footage",
    "live": "live pictures",
    "exports": "exported evidence",
    "cases": "case records (pseudonymous persons, requests, grants)",
    "accounts": "staff accounts",
    "audit": "audit log entries",
    "keys": "encryption keys",
    "other": "other personal data",
}
"""The categories of personal data a breach may concern, by code."""


class Status(StrEnum):
    """A breach is recorded, then notified to the authority."""

    RECORDED = "recorded"
    NOTIFIED = "notified"


@dataclass(frozen=True)
class NoticeRule:
    """How long after discovery the authority must be told: working days or hours."""

    working_days: int | None = None
    hours: float | None = None

    def __post_init__(self) -> None:
        if (self.working_days is None) == (self.hours is None):
            raise ValueError("a notice period is in working days or in hours, one of the two")

    def words(self) -> str:
        """The period as a person reads it."""
        if self.working_days is not None:
            days = self.working_days
            return f"{days} working day{'s' if days != 1 else ''}"
        return f"{self.hours:g} hours"


def due_at(discovered_at: datetime, rule: NoticeRule, calendar: Calendar) -> datetime:
    """When the notice is due: `rule`'s period after discovery (working days by `calendar`)."""
    if rule.hours is not None:
        return discovered_at + timedelta(hours=rule.hours)
    assert rule.working_days is not None
    return add_working_days(discovered_at, rule.working_days, calendar)


@dataclass(frozen=True)
class Facts:
    """What a breach record says."""

    summary: str
    discovered_at: datetime
    categories: Sequence[str]
    people_affected: int
    consequences: str
    measures: str


def record_problem(facts: Facts, now: datetime) -> tuple[str, str] | None:
    """Why a breach cannot be recorded as given: (field, message), or None."""
    if not facts.summary.strip():
        return "summary", "say what happened"
    if facts.discovered_at > now:
        return "discovered_at", "a breach is discovered before it is recorded, not after"
    if not facts.categories:
        return "categories", "name the categories of personal data concerned"
    unknown = sorted(set(facts.categories) - set(CATEGORIES))
    if unknown:
        return "categories", f"unknown categories: {', '.join(unknown)}; known: " + ", ".join(
            CATEGORIES
        )
    if facts.people_affected < 0:
        return "people_affected", "the number of people affected is zero or more"
    if not facts.measures.strip():
        return "measures", "say what was done, or is being done, about it"
    return None


def notice_text(
    reference: str,
    facts: Facts,
    controller: str,
    contact: str,
    authority: str,
    recorded_at: datetime,
    due: datetime,
) -> str:
    """The notification to the authority, written from the record (plain text)."""
    kinds = "; ".join(CATEGORIES.get(code, code) for code in facts.categories)
    return "\n".join(
        [
            f"To: {authority}",
            f"From: {controller} ({contact})",
            f"Subject: notification of a personal data breach, {reference}",
            "",
            f"Discovered: {facts.discovered_at:%Y-%m-%d %H:%M} UTC; recorded "
            f"{recorded_at:%Y-%m-%d %H:%M} UTC; this notice is due by {due:%Y-%m-%d %H:%M} UTC.",
            "",
            "What happened:",
            facts.summary.strip(),
            "",
            f"Categories of personal data concerned: {kinds}.",
            f"Approximate number of people concerned: {facts.people_affected}.",
            "",
            "Likely consequences:",
            facts.consequences.strip() or "being assessed",
            "",
            "Measures taken or proposed:",
            facts.measures.strip(),
            "",
            f"Contact for further information: {contact}.",
        ]
    )
