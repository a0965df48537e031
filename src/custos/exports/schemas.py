"""API shapes of exports."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from custos.exports.policy import (
    DOWNLOAD_DAYS,
    DOWNLOADS,
    MOST_DOWNLOAD_DAYS,
    MOST_DOWNLOADS,
    MOST_RANGES,
    ExportState,
    RecipientRole,
    Span,
)


class RecipientIn(BaseModel):
    """A recipient to list."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    organisation: str = Field(default="", max_length=200)
    role: RecipientRole
    contact: str = Field(default="", max_length=2000, description="how the package reaches them")


class RecipientOut(BaseModel):
    """A recipient as listed."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    organisation: str
    role: RecipientRole
    contact: str
    added_by: str
    added_at: datetime
    retired_at: datetime | None
    retired_reason: str


class RetireIn(BaseModel):
    """Why a recipient is taken off the list."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=4000)


class LinkIn(BaseModel):
    """The terms of a recipient's download link."""

    model_config = ConfigDict(extra="forbid")

    days: float = Field(
        default=DOWNLOAD_DAYS, gt=0, le=MOST_DOWNLOAD_DAYS, description="how long the link works"
    )
    downloads: int = Field(
        default=DOWNLOADS, ge=1, le=MOST_DOWNLOADS, description="how many times the link works"
    )


class Delivery(LinkIn):
    """Who a package goes to, and the terms of their link."""

    recipient: int = Field(ge=1, le=2**31 - 1, description="the recipient's number")


class ExportIn(Delivery):
    """An export of part of one granted window to a listed recipient."""

    from_s: float | None = Field(default=None, ge=0, description="seconds into the window")
    to_s: float | None = Field(default=None, gt=0, description="the window's end by default")

    def spans(self, window: int) -> list[Span]:
        return [Span(window, self.from_s, self.to_s)]


class RangeIn(BaseModel):
    """One range of a package: part of a granted window (the whole window by default)."""

    model_config = ConfigDict(extra="forbid")

    window: int = Field(ge=1, le=2**31 - 1, description="the granted window's number")
    from_s: float | None = Field(default=None, ge=0, description="seconds into the window")
    to_s: float | None = Field(default=None, gt=0, description="the window's end by default")


class PackageIn(Delivery):
    """One package of several ranges of a grant's windows, one video each, to a recipient."""

    ranges: list[RangeIn] = Field(min_length=1, max_length=MOST_RANGES)

    def spans(self) -> list[Span]:
        return [Span(r.window, r.from_s, r.to_s) for r in self.ranges]


class RangeOut(BaseModel):
    """One range of an export."""

    model_config = ConfigDict(from_attributes=True)

    window_id: int
    camera: str
    starts_at: datetime
    ends_at: datetime


class ExportOut(BaseModel):
    """An export as listed: what went to whom, and where it stands."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    grant_id: int
    window_id: int
    case_id: int
    recipient_id: int
    camera: str
    starts_at: datetime
    ends_at: datetime
    created_by: str
    created_at: datetime
    state: ExportState
    problem: str
    finished_at: datetime | None
    link_expires_at: datetime | None
    downloads_left: int
    revoked_at: datetime | None
    revoked_reason: str
    shredded_at: datetime | None
    manifest_sha256: str
    ranges: list[RangeOut]


class ExportMade(ExportOut):
    """An export just recorded: the recipient's download link, shown this once."""

    link: str = Field(description="the path of the recipient's download link (shown once)")
