"""Pure rules of access to recorded footage: proportionality, dual control, grant expiry.

No I/O: facts in, decisions out, `now` passed in. A request names cameras and time windows
inside a case; it is refused when it asks for more than the policy allows, and each refusal
names the limit it broke. Cameras at sensitive sites (schools, clinics, shelters, places of
worship, homes), and requests naming a minor or a vulnerable person, fall under the stricter of
two rule sets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from custos.cameras.policy import SITE_NAMES
from custos.recording.policy import part_within


@dataclass(frozen=True)
class Limits:
    """How much footage one request may reach, and for how long a grant lasts."""

    max_cameras: int
    max_total_hours: float  # summed over every camera x window
    max_window_hours: float  # the longest single window
    max_footage_age_days: float  # how far back a window may start
    grant_days: float  # how long a grant lasts unless the approver shortens it

    def __post_init__(self) -> None:
        if self.max_cameras < 1:
            raise ValueError("max_cameras must be at least 1")
        for name in ("max_total_hours", "max_window_hours", "max_footage_age_days", "grant_days"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")


@dataclass(frozen=True)
class Window:
    """Footage of one camera between two moments."""

    camera: str
    start: datetime
    end: datetime

    @property
    def hours(self) -> float:
        """The window's length in hours."""
        return (self.end - self.start) / timedelta(hours=1)


@dataclass(frozen=True)
class NamedPerson:
    """A person of the case a request names, with what makes their footage need more care."""

    label: str
    minor: bool = False
    vulnerable: bool = False


@dataclass(frozen=True)
class RequestFacts:
    """What a request asks for, and what about it makes the stricter rules apply.

    Only the persons the request names count: a minor witness elsewhere in the case leaves a
    request about an adult suspect under the normal rules.
    """

    windows: tuple[Window, ...]
    sensitive_cameras: Mapping[str, str] = field(default_factory=dict)  # camera → kind of site
    persons: tuple[NamedPerson, ...] = ()


def is_strict(facts: RequestFacts) -> bool:
    """Whether the stricter rule set applies: a camera at a sensitive site is asked for, or a
    person the request names is a minor or vulnerable."""
    return bool(strict_reasons(facts))


def strict_reasons(facts: RequestFacts) -> list[str]:
    """Why the stricter rules apply, each naming its camera or person: 'camera school-3 is a
    school', 'P2 is a minor'."""
    asked = {window.camera for window in facts.windows}
    reasons = [
        f"camera {camera} is {SITE_NAMES.get(kind, 'a sensitive site')}"
        for camera, kind in sorted(facts.sensitive_cameras.items())
        if camera in asked
    ]
    for person in sorted(facts.persons, key=lambda p: p.label):
        if person.minor:
            reasons.append(f"{person.label} is a minor")
        if person.vulnerable:
            reasons.append(f"{person.label} is a vulnerable person")
    return reasons


def duration(hours: float) -> str:
    """Hours as a person reads them: '29 h 59 min', '6 h', '45 min'."""
    minutes = round(hours * 60)
    whole, rest = divmod(abs(minutes), 60)
    sign = "-" if minutes < 0 else ""
    if whole and rest:
        return f"{sign}{whole} h {rest} min"
    return f"{sign}{whole} h" if whole or not rest else f"{sign}{rest} min"


def proportionality_problems(
    facts: RequestFacts, normal: Limits, strict: Limits, now: datetime
) -> list[str]:
    """Every limit the request breaks, each named with its value; empty when it may go ahead."""
    if not facts.windows:
        return ["a request must name at least one camera and time window"]
    reasons = strict_reasons(facts)
    limits = strict if reasons else normal
    which = f" (stricter rules: {'; '.join(reasons)})" if reasons else ""
    problems = []
    for window in facts.windows:
        if window.end <= window.start:
            problems.append(f"the window on {window.camera} ends before it starts")
        if window.end > now:
            problems.append(f"the window on {window.camera} reaches into the future")
    cameras = {window.camera for window in facts.windows}
    if len(cameras) > limits.max_cameras:
        problems.append(
            f"{len(cameras)} cameras asked; the limit is {limits.max_cameras} cameras{which}"
        )
    longest = max(window.hours for window in facts.windows)
    if longest > limits.max_window_hours:
        problems.append(
            f"a window of {duration(longest)}; the limit is {duration(limits.max_window_hours)} "
            f"per window{which}"
        )
    total = sum(max(0.0, window.hours) for window in facts.windows)
    if total > limits.max_total_hours:
        problems.append(
            f"{duration(total)} of footage in all; the limit is "
            f"{duration(limits.max_total_hours)}{which}"
        )
    oldest = min(window.start for window in facts.windows)
    age_days = (now - oldest) / timedelta(days=1)
    if age_days > limits.max_footage_age_days:
        problems.append(
            f"footage {age_days:.1f} days old; the limit is {limits.max_footage_age_days:g} "
            f"days back{which}"
        )
    return problems


def approval_problem(requester: str, approver: str) -> str | None:
    """Dual control: nobody approves their own request."""
    if requester == approver:
        return "a request must be approved by someone other than the person who made it"
    return None


def approvals_needed(identification: bool, persons: Sequence[NamedPerson]) -> int:
    """How many approvers a decision takes: two to identify a person the request names who is
    a minor, one for everything else."""
    return 2 if identification and any(person.minor for person in persons) else 1


def second_approval_problem(first: str, approver: str) -> str | None:
    """The second approval of a minor's identification comes from another approver."""
    if first == approver:
        return (
            f"identifying a minor takes two approvers: {approver} approved already, "
            "another approver must approve too"
        )
    return None


def narrowing_problem(asked: Sequence[Window], granted: Sequence[Window]) -> str | None:
    """An approver may narrow a request, never widen it: each granted window inside an asked one."""
    for window in granted:
        if not any(
            other.camera == window.camera
            and other.start <= window.start
            and window.end <= other.end
            for other in asked
        ):
            return (
                f"the granted window on {window.camera} from {window.start:%Y-%m-%d %H:%M} to "
                f"{window.end:%Y-%m-%d %H:%M} lies outside what was asked"
            )
    return None


def grant_expiry(now: datetime, limits: Limits, days: float | None = None) -> datetime:
    """When a grant made now ends: the policy's duration, or a shorter one the approver set."""
    if days is not None and not 0 < days <= limits.grant_days:
        raise ValueError(f"a grant lasts more than 0 and at most {limits.grant_days:g} days")
    return now + timedelta(days=limits.grant_days if days is None else days)


class RequestStatus(StrEnum):
    """Where a request stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class GrantState(StrEnum):
    """Whether a grant reaches footage now, and if not, why not."""

    LIVE = "live"
    EXPIRED = "expired"
    REVOKED = "revoked"
    CASE_CLOSED = "case closed"


def grant_state(
    now: datetime, expires_at: datetime, revoked_at: datetime | None, case_open: bool
) -> GrantState:
    """A grant is live only while its case is open, it is not revoked, and it has not expired."""
    if revoked_at is not None and revoked_at <= now:
        return GrantState.REVOKED
    if not case_open:
        return GrantState.CASE_CLOSED
    if now >= expires_at:
        return GrantState.EXPIRED
    return GrantState.LIVE


def refusal_problem(reason: str) -> str | None:
    """A refusal is explained to the requester: it needs a reason."""
    if not reason.strip():
        return "a refusal needs a reason"
    return None


def clip_bounds(
    segment_start: datetime, segment_end: datetime, window: Window
) -> tuple[float, float] | None:
    """The part of a segment inside `window`, in seconds from the segment's start; None if none."""
    return part_within(segment_start, segment_end, window.start, window.end)


# --- viewings ----------------------------------------------------------------------------------
#
# A viewing is one sitting in front of a window: the audit log has an entry when it opens,
# before the first byte leaves, and one when it closes, with the ranges watched. A player that
# is closed says so; one left open with nothing asked of it closes after VIEWING_IDLE.

VIEWING_IDLE = timedelta(minutes=10)


def merged(ranges: Sequence[Sequence[float]], new: tuple[float, float]) -> list[list[float]]:
    """`ranges` with `new` added: sorted, and joined where they overlap or touch."""
    spans = sorted([(float(a), float(b)) for a, b in ranges] + [new])
    out: list[list[float]] = []
    for start, end in spans:
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return out


def seconds_watched(ranges: Sequence[Sequence[float]]) -> float:
    """How many seconds of the window the ranges cover."""
    return sum(b - a for a, b in ranges)


def viewing_idle(last_seen: datetime, now: datetime) -> bool:
    """Whether a viewing nothing was asked of since `last_seen` is over."""
    return now - last_seen >= VIEWING_IDLE
