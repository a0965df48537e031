"""Pure rules of data-subject access requests: when the answer is due, when it may be
extended, what a request must hold. No I/O.

A person asks for the footage of themselves, saying when and where they were: their own times
and places are the only way in (there is no face search). The profile says how soon they must
be told what is held: in working days by its calendar (Kazakhstan, Law No. 94-V: three working
days for owners and operators), or in months (GDPR art. 12(3): one month, extendable by two
further months where necessary, with the reasons told to the person).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from custos.deadlines import Calendar, add_months, add_working_days


class Channel(StrEnum):
    """How the request came in."""

    IN_PERSON = "in_person"
    LETTER = "letter"
    EMAIL = "email"
    PORTAL = "portal"


CHANNEL_NAMES: dict[str, str] = {
    Channel.IN_PERSON: "in person",
    Channel.LETTER: "letter",
    Channel.EMAIL: "e-mail",
    Channel.PORTAL: "portal",
}
"""Each channel as a person reads it."""


class Status(StrEnum):
    """Received, then answered (told what is held) or refused; fulfilled once the footage of
    the person went out to them."""

    RECEIVED = "received"
    ANSWERED = "answered"
    REFUSED = "refused"
    FULFILLED = "fulfilled"


OPEN = frozenset({Status.RECEIVED})
# The footage may go out to the person until the request is refused or fulfilled, answered
# (told what is held) or not.
ASSIGNABLE = frozenset({Status.RECEIVED, Status.ANSWERED})


def fulfilment_problem(
    reference: str, export: int, of_its_case: bool, to_the_person: bool, ready: bool
) -> str | None:
    """Why export `export` cannot be recorded as fulfilling request `reference`, or None."""
    if not of_its_case:
        return f"export {export} was not made in the case of {reference}"
    if not to_the_person:
        return f"export {export} did not go to the person of {reference}"
    if not ready:
        return f"export {export} is not ready: only a sealed package fulfils a request"
    return None


@dataclass(frozen=True)
class AnswerRule:
    """How soon a request is answered: working days, or months (with an extension)."""

    working_days: int | None = None
    months: int | None = None
    extension_months: int = 0

    def __post_init__(self) -> None:
        if (self.working_days is None) == (self.months is None):
            raise ValueError("an answer period is in working days or in months, one of the two")

    def words(self) -> str:
        """The period as a person reads it."""
        if self.working_days is not None:
            days = self.working_days
            return f"{days} working day{'s' if days != 1 else ''}"
        months = self.months or 0
        return f"{months} month{'s' if months != 1 else ''}"


def due_at(received_at: datetime, rule: AnswerRule, calendar: Calendar) -> datetime:
    """When the person must be told what is held."""
    if rule.working_days is not None:
        return add_working_days(received_at, rule.working_days, calendar)
    assert rule.months is not None
    return add_months(received_at, rule.months)


def extension_problem(rule: AnswerRule, extended: bool, reason: str) -> str | None:
    """Why the answer may not be put off, or None."""
    if rule.extension_months <= 0:
        return f"the policy allows no extension: the answer is due within {rule.words()}"
    if extended:
        return "the answer was put off once already"
    if not reason.strip():
        return "say why the answer needs more time: the person is told the reason"
    return None


@dataclass(frozen=True)
class Asked:
    """What a request says."""

    received_at: datetime
    channel: str
    identity_check: str
    times_and_places: str
    contact: str


def request_problem(asked: Asked, now: datetime) -> tuple[str, str] | None:
    """Why a request cannot be recorded as given: (field, message), or None."""
    if asked.received_at > now:
        return "received_at", "a request is received before it is recorded, not after"
    if asked.channel not in set(Channel):
        return "channel", "how did it come in: " + ", ".join(c.value for c in Channel)
    if not asked.identity_check.strip():
        return "identity_check", "say how the person's identity was checked"
    if not asked.times_and_places.strip():
        return (
            "times_and_places",
            "say when and where the person was: their own times and places are the only way "
            "to their footage",
        )
    if not asked.contact.strip():
        return "contact", "say how the person is to be answered"
    return None
