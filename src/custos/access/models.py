"""Access requests, the grants that answer them, and the camera × window scope of each."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custos.access.policy import RequestStatus
from custos.db import Base, string_enum


class AccessRequest(Base):
    """An investigator's request for footage inside a case, waiting for someone else's decision."""

    __tablename__ = "access_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    persons: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # labels it concerns
    purpose: Mapped[str] = mapped_column(sa.Text)
    justification: Mapped[str] = mapped_column(sa.Text)
    identification: Mapped[bool] = mapped_column(default=False)  # unmasking the persons asked
    export: Mapped[bool] = mapped_column(default=False)  # handing the footage to a recipient
    strict: Mapped[bool] = mapped_column(default=False)  # judged by the stricter rule set
    requested_by: Mapped[str] = mapped_column(sa.String(128))
    requested_at: Mapped[datetime]
    status: Mapped[RequestStatus] = mapped_column(string_enum(RequestStatus, "status", 16))
    decided_by: Mapped[str | None] = mapped_column(sa.String(128))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # Identifying a minor takes two approvers: the first one's approval waits here.
    first_approved_by: Mapped[str | None] = mapped_column(sa.String(128), default=None)
    first_approved_at: Mapped[datetime | None] = mapped_column(default=None)

    windows: Mapped[list[RequestWindow]] = relationship(
        lazy="selectin", cascade="all", order_by="RequestWindow.id"
    )


class RequestWindow(Base):
    """One camera × window a request asks for."""

    __tablename__ = "request_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("access_requests.id"), index=True)
    camera_id: Mapped[int] = mapped_column(sa.ForeignKey("cameras.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]


class Grant(Base):
    """Time-limited access to what an approver allowed of a request; revocable at any moment."""

    __tablename__ = "grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("access_requests.id"), unique=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    holder: Mapped[str] = mapped_column(sa.String(128))  # the investigator who asked
    persons: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    identification: Mapped[bool] = mapped_column(default=False)
    export: Mapped[bool] = mapped_column(default=False)
    granted_by: Mapped[str] = mapped_column(sa.String(128))
    granted_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    hold_id: Mapped[int | None] = mapped_column(sa.ForeignKey("legal_holds.id"))
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(sa.String(128))
    revoked_reason: Mapped[str] = mapped_column(sa.Text, default="")

    windows: Mapped[list[GrantWindow]] = relationship(
        lazy="selectin", cascade="all", order_by="GrantWindow.id"
    )

    @property
    def reference(self) -> str:
        """How the grant is named in the audit log and on pages."""
        return f"G-{self.id}"


class GrantWindow(Base):
    """One camera × window a grant reaches."""

    __tablename__ = "grant_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(sa.ForeignKey("grants.id"), index=True)
    camera_id: Mapped[int] = mapped_column(sa.ForeignKey("cameras.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]


class Viewing(Base):
    """One sitting of a grant's holder in front of a window of footage: opened before the first
    byte of it leaves, closed when the player is closed or left idle, with what was watched."""

    __tablename__ = "viewings"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(sa.ForeignKey("grants.id"), index=True)
    window_id: Mapped[int] = mapped_column(sa.ForeignKey("grant_windows.id"))
    holder: Mapped[str] = mapped_column(sa.String(128))
    opened_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # Seconds of the window sent to the player, as [from, to] ranges merged where they touch.
    watched: Mapped[list[list[float]]] = mapped_column(sa.JSON, default=list)


class PersonLink(Base):
    """A track of a granted window named as a person of the case, with the reason, by the
    grant's holder: where the grant allows identification, that person is shown unmasked
    wherever the track appears in the window. Lasts as long as the grant; removable.

    `members` are the pieces of the track: [segment id, the segment's own track number], so
    the link holds whatever numbering the window's tracks get later.
    """

    __tablename__ = "person_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(sa.ForeignKey("grants.id"), index=True)
    window_id: Mapped[int] = mapped_column(sa.ForeignKey("grant_windows.id"))
    person: Mapped[str] = mapped_column(sa.String(64))
    track: Mapped[int]  # the window's number of the track when it was linked
    kind: Mapped[str] = mapped_column(sa.String(16))
    members: Mapped[list[list[str | int]]] = mapped_column(sa.JSON)
    first_s: Mapped[float]
    last_s: Mapped[float]
    reason: Mapped[str] = mapped_column(sa.Text)
    linked_by: Mapped[str] = mapped_column(sa.String(128))
    linked_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]
    removed_by: Mapped[str | None] = mapped_column(sa.String(128))
    removed_reason: Mapped[str] = mapped_column(sa.Text, default="")


class Bookmark(Base):
    """A moment of a granted window marked with a note by the grant's holder; it stays with
    the case (the grant may end, the case's record of what was found does not)."""

    __tablename__ = "bookmarks"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    grant_id: Mapped[int] = mapped_column(sa.ForeignKey("grants.id"), index=True)
    window_id: Mapped[int] = mapped_column(sa.ForeignKey("grant_windows.id"))
    camera_id: Mapped[int] = mapped_column(sa.ForeignKey("cameras.id"))
    at: Mapped[datetime]  # the moment filmed
    note: Mapped[str] = mapped_column(sa.Text)
    created_by: Mapped[str] = mapped_column(sa.String(128))
    created_at: Mapped[datetime]
