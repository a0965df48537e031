"""Input and output of access: requests, decisions, grants, and the footage a grant reaches."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from custos.access.policy import GrantState, RequestStatus
from custos.http import Id, Time


class WindowIO(BaseModel):
    """A camera and a time window."""

    model_config = ConfigDict(extra="forbid")

    camera: str = Field(min_length=1, max_length=128)
    start: Time
    end: Time


class RequestIn(BaseModel):
    """An access request."""

    model_config = ConfigDict(extra="forbid")

    case_id: Id
    windows: list[WindowIO] = Field(min_length=1, max_length=100)
    persons: list[str] = Field(min_length=1, description="labels of the case's persons")
    purpose: str = Field(min_length=1, max_length=4000)
    justification: str = Field(min_length=1, max_length=4000)
    identification: bool = Field(
        default=False, description="whether unmasking the named persons is sought"
    )
    export: bool = Field(
        default=False,
        description="whether handing the footage to a named recipient (a court, a prosecutor, "
        "defence counsel, the person filmed) is sought",
    )


class RequestOut(BaseModel):
    """An access request as shown."""

    id: int
    case_id: int
    windows: list[WindowIO]
    persons: list[str]
    purpose: str
    justification: str
    identification: bool
    export: bool
    stricter_rules: bool
    requested_by: str
    requested_at: datetime
    status: RequestStatus
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str
    grant_id: int | None
    first_approved_by: str | None = None  # identifying a minor: the first of two approvers
    first_approved_at: datetime | None = None


class ApproveIn(BaseModel):
    """A decision to approve, as asked or narrowed."""

    model_config = ConfigDict(extra="forbid")

    windows: list[WindowIO] | None = Field(
        default=None, description="narrowed scope; every window inside one asked"
    )
    days: float | None = Field(default=None, description="shorter than the policy's duration")
    identification: bool | None = Field(default=None, description="false to withhold it")
    export: bool | None = Field(default=None, description="false to withhold it")
    hold: bool = Field(default=False, description="keep the granted footage from erasure")
    note: str = Field(default="", max_length=4000)


class ReasonIn(BaseModel):
    """Why a request is refused or a grant revoked."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=4000)


class LinkOut(BaseModel):
    """A track of a granted window named as a person of the case, and why."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    window_id: int
    person: str
    track: int
    kind: str
    first_s: float = Field(description="seconds into the window where the track begins")
    last_s: float
    reason: str
    linked_by: str
    linked_at: datetime
    removed_at: datetime | None
    removed_by: str | None
    removed_reason: str


class GrantOut(BaseModel):
    """A grant as shown."""

    id: int
    reference: str
    request_id: int
    case_id: int
    holder: str
    persons: list[str]
    windows: list[WindowIO]
    identification: bool
    export: bool
    granted_by: str
    granted_at: datetime
    expires_at: datetime
    state: GrantState
    revoked_at: datetime | None
    revoked_reason: str
    links: list[LinkOut] = Field(
        description="tracks its holder named as persons of the case (the removed ones too)"
    )


class PieceOut(BaseModel):
    """The part of a stored segment inside a granted window, and where to play it."""

    segment: str
    start: datetime
    end: datetime
    url: str


class PreparedOut(BaseModel):
    """How far the tracks of a window's segments are prepared ahead."""

    done: int
    failed: int = Field(description="given up on: those pieces are detected as they play")
    total: int


class WindowFootageOut(BaseModel):
    """A granted window, the footage stored inside it, and where to stream it whole."""

    id: int
    camera: str
    start: datetime
    end: datetime
    pieces: list[PieceOut]
    stream: str = Field(description="the window as one masked stream (`?from=` seconds)")
    rate: float | None = Field(description="frames per second of its footage (None: none)")
    prepared: PreparedOut


class BookmarkOut(BaseModel):
    """A moment of a granted window marked with a note."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    window_id: int
    at: datetime
    note: str
    created_by: str
    created_at: datetime


class BookmarkCreate(BaseModel):
    """Mark a moment of a window."""

    model_config = ConfigDict(extra="forbid")

    window_id: Id
    at_s: float = Field(ge=0, le=1e9, allow_inf_nan=False, description="seconds into the window")
    note: str = Field(min_length=1, max_length=500)


class FootageOut(BaseModel):
    """What a live grant reaches."""

    grant: GrantOut
    windows: list[WindowFootageOut]
    bookmarks: list[BookmarkOut]


class WindowTrackOut(BaseModel):
    """One track across a granted window."""

    track: int
    kind: str
    first_s: float
    last_s: float
    segments: int
    box: tuple[float, float, float, float] = Field(
        description="where it is first seen: x0, y0, x1, y1 in the picture's pixels"
    )


class WindowTracksOut(BaseModel):
    """A granted window's tracks, numbered once across it, and the links made on them."""

    window_id: int
    camera: str
    ready: bool = Field(description="false while some of its pieces are still being prepared")
    tracks: list[WindowTrackOut]
    links: list[LinkOut]


class LinkCreate(BaseModel):
    """Name a track of a window as a person of the case."""

    model_config = ConfigDict(extra="forbid")

    window_id: Id
    track: int = Field(ge=1, le=1_000_000)
    person: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=2000)
