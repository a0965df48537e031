"""Pure retention rules: from the facts about a segment to when it must be erased, and why.

Order of precedence, strongest first:

1. a live legal hold over the segment's camera and time: never erased while it lasts;
2. a state of emergency that has ended: footage recorded in its regions during it is erased
   `grace` after its end, unless it shows an offence (an incident marked as evidence) —
   earlier than usual if need be, never later than it would have been anyway;
3. an incident over the segment (padded by the policy): kept the incident period, whole, even
   if it only touches the incident window;
4. otherwise the camera's period: the default, or a justified extension; at a sensitive site,
   the profile's shorter period where it sets one (never extended).

Nothing here reads a clock, a file or a database: the planner gathers the facts, the sweeper
carries out the plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from custos.profile import Rules


class Reason(StrEnum):
    """Why a segment expires when it does (or never)."""

    DEFAULT = "default"
    CAMERA_EXTENSION = "camera_extension"
    INCIDENT = "incident"
    EMERGENCY_SUNSET = "emergency_sunset"
    LEGAL_HOLD = "legal_hold"
    STORAGE_PRESSURE = "storage_pressure"
    SENSITIVE_SITE = "sensitive_site"


@dataclass(frozen=True)
class Window:
    """A half-open stretch of time [start, end)."""

    start: datetime
    end: datetime

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether [start, end) shares any instant with this window."""
        return start < self.end and self.start < end


@dataclass(frozen=True)
class SegmentFacts:
    """What retention needs to know of one segment."""

    camera_id: int
    started_at: datetime
    ended_at: datetime
    camera_retention: timedelta | None = None  # a justified extension for this camera
    region: str = ""
    sensitive: bool = False  # the camera is at a sensitive site


@dataclass(frozen=True)
class IncidentFacts:
    """A marked incident: its cameras, window, and whether it shows an offence."""

    id: int
    camera_ids: frozenset[int]
    window: Window
    offence: bool


@dataclass(frozen=True)
class HoldFacts:
    """A live legal hold: cameras × windows."""

    id: int
    scopes: tuple[tuple[int, Window], ...]

    def covers(self, segment: SegmentFacts) -> bool:
        """Whether any scope of the hold touches the segment."""
        return any(
            camera == segment.camera_id and window.overlaps(segment.started_at, segment.ended_at)
            for camera, window in self.scopes
        )


@dataclass(frozen=True)
class RegimeFacts:
    """A state of emergency: its regions and window (end None while it lasts)."""

    id: int
    regions: frozenset[str]
    start: datetime
    end: datetime | None

    def tags(self, segment: SegmentFacts) -> bool:
        """Whether the segment was recorded in the regime's regions during it."""
        if segment.region not in self.regions:
            return False
        end = (
            self.end
            if self.end is not None
            else datetime.max.replace(tzinfo=segment.ended_at.tzinfo)
        )
        return Window(self.start, end).overlaps(segment.started_at, segment.ended_at)


@dataclass(frozen=True)
class Decision:
    """When a segment expires (None: not while a hold lasts) and why."""

    expires_at: datetime | None
    reason: Reason
    detail: str = ""

    @property
    def held(self) -> bool:
        """Whether nothing may erase the segment now."""
        return self.expires_at is None


def incident_covers(incident: IncidentFacts, segment: SegmentFacts, rules: Rules) -> bool:
    """Whether the padded incident touches the segment (the whole segment then counts)."""
    if segment.camera_id not in incident.camera_ids:
        return False
    padded = Window(incident.window.start - rules.pad_before, incident.window.end + rules.pad_after)
    return padded.overlaps(segment.started_at, segment.ended_at)


def decide(
    segment: SegmentFacts,
    incidents: Iterable[IncidentFacts],
    holds: Iterable[HoldFacts],
    regimes: Iterable[RegimeFacts],
    rules: Rules,
) -> Decision:
    """The retention decision for one segment, from the facts alone."""
    for hold in holds:
        if hold.covers(segment):
            return Decision(None, Reason.LEGAL_HOLD, f"hold {hold.id}")
    if segment.sensitive and rules.sensitive is not None:
        expires, reason, detail = segment.ended_at + rules.sensitive, Reason.SENSITIVE_SITE, ""
    elif segment.camera_retention is not None and segment.camera_retention > rules.default:
        expires, reason, detail = (
            segment.ended_at + segment.camera_retention,
            Reason.CAMERA_EXTENSION,
            "",
        )
    else:
        expires, reason, detail = segment.ended_at + rules.default, Reason.DEFAULT, ""
    touching = [i for i in incidents if incident_covers(i, segment, rules)]
    if touching and segment.ended_at + rules.incident > expires:
        expires, reason = segment.ended_at + rules.incident, Reason.INCIDENT
        detail = f"incident {min(i.id for i in touching)}"
    offence = any(i.offence for i in touching)
    for regime in regimes:
        if regime.end is None or offence or not regime.tags(segment):
            continue
        sunset = regime.end + rules.emergency_grace
        if sunset < expires:
            expires, reason, detail = sunset, Reason.EMERGENCY_SUNSET, f"regime {regime.id}"
    return Decision(expires, reason, detail)


def storage_pressure_victims(
    candidates: Sequence[tuple[str, datetime, int, Decision]], bytes_to_free: int
) -> list[str]:
    """Which segments to erase early to free `bytes_to_free`: the oldest of the default class.

    `candidates` are (segment id, start, size, decision). Held, incident, extended and sunset
    footage is never chosen; if the default class does not suffice, it all goes and the
    caller must stop recording rather than touch the rest.
    """
    chosen: list[str] = []
    freed = 0
    for segment_id, _start, size, decision in sorted(candidates, key=lambda c: (c[1], c[0])):
        if freed >= bytes_to_free:
            break
        if decision.reason is Reason.DEFAULT and not decision.held:
            chosen.append(segment_id)
            freed += size
    return chosen


def review_overdue(review_due: datetime, now: datetime) -> bool:
    """Whether a hold's review date has passed."""
    return review_due <= now


def extension_problem(
    days: float | None,
    default_days: float,
    max_days: float,
    justification: str,
    dpia_reference: str,
    needs_justification: bool,
    needs_dpia: bool,
) -> str | None:
    """Why a camera may not keep footage `days` long, or None if it may."""
    if days is None or days <= default_days:
        return None
    if days > max_days:
        return f"the policy allows at most {max_days:g} days"
    if needs_justification and not justification.strip():
        return "keeping footage longer than the default needs a recorded justification"
    if needs_dpia and not dpia_reference.strip():
        return "keeping footage longer than the default needs a DPIA reference"
    return None
