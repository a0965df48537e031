"""Input and output of retention: the published policy, the plan, holds, states of emergency,
and incidents (whose footage takes incident retention)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from custos.http import Time


class PolicyOut(BaseModel):
    """The policy in force, as published."""

    name: str
    version: str
    title: str
    sha256: str
    source: str
    profile: dict[str, object]
    toml: str


class PlanItemOut(BaseModel):
    """One planned erasure."""

    segment: str
    camera: str
    started_at: datetime
    expires_at: datetime
    reason: str
    rule: str


class PlanOut(BaseModel):
    """What is due by a moment, by reason (a dry run: nothing is erased)."""

    at: datetime
    summary: dict[str, int]
    segments: list[PlanItemOut]


class ScopeIn(BaseModel):
    """A camera and a window."""

    model_config = ConfigDict(extra="forbid")

    camera: str
    start: Time
    end: Time


class HoldIn(BaseModel):
    """A hold to place, inside an open case."""

    model_config = ConfigDict(extra="forbid")

    case_ref: str = Field(
        min_length=1, max_length=128, description="The reference of an open case."
    )
    person_ref: str | None = Field(
        default=None, max_length=128, description="A person of that case, not cleared."
    )
    scopes: list[ScopeIn] = Field(min_length=1)
    reason: str = Field(min_length=1)
    review_due: Time | None = None


class HeldScopeOut(BaseModel):
    """A camera, by name, and a window a hold covers."""

    camera: str
    start: datetime
    end: datetime


class HoldOut(BaseModel):
    """A hold."""

    id: int
    case_ref: str
    person_ref: str | None
    reason: str
    review_due: datetime
    released_at: datetime | None
    overdue: bool
    scopes: list[HeldScopeOut]
    orphaned: bool = Field(
        description="The hold names no open case (unknown reference, or a closed case): "
        "nothing in the case process will release it, so an approver should."
    )
    orphan_reason: str | None = Field(description="'no such case' or 'case closed'.")


class ReviewIn(BaseModel):
    """A review of a hold: still needed, kept until a new date (the next review)."""

    model_config = ConfigDict(extra="forbid")

    keep_until: Time = Field(description="When the hold is due for review again.")
    reason: str = Field(min_length=1, description="Why the hold is still needed.")


class ReleaseIn(BaseModel):
    """Why a hold ends."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1)


class RegimeIn(BaseModel):
    """A state of emergency to record."""

    model_config = ConfigDict(extra="forbid")

    regions: list[str] = Field(min_length=1)
    start: Time
    end: Time | None = None
    decree_ref: str = Field(min_length=1)


class RegimeEnd(BaseModel):
    """When a state of emergency ended."""

    model_config = ConfigDict(extra="forbid")

    end: Time


class RegimeOut(BaseModel):
    """A state of emergency."""

    id: int
    regions: list[str]
    start: datetime
    end: datetime | None
    decree_ref: str


class IncidentIn(BaseModel):
    """An incident to mark."""

    model_config = ConfigDict(extra="forbid")

    cameras: list[str] = Field(min_length=1)
    start: Time
    end: Time
    description: str = Field(min_length=1)
    reference: str = Field(min_length=1, max_length=256)
    justification: str = Field(min_length=1)
    offence: bool = False


class Unmark(BaseModel):
    """Why an incident is withdrawn."""

    model_config = ConfigDict(extra="forbid")

    justification: str = Field(min_length=1)


class IncidentOut(BaseModel):
    """A marked incident."""

    id: int
    cameras: list[str]
    start: datetime
    end: datetime
    description: str
    reference: str
    offence: bool
    unmarked_at: datetime | None
