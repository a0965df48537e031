"""The preparation of each segment of a grant's windows: its state, and its sealed tracks."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from custos.db import Base, string_enum
from custos.prepared.policy import WorkState


class PreparedSegment(Base):
    """One segment of one window of a grant: waiting, being prepared, or its tracks.

    The tracks (every frame's boxes in the part of the segment inside the window) are sealed
    under a key derived from the segment's own data key (`storage.crypto.seal_derived`):
    erasing the segment destroys them with it. What was prepared for a grant is deleted when
    the grant ends.
    """

    __tablename__ = "prepared_segments"
    __table_args__ = (
        sa.UniqueConstraint("window_id", "segment_id"),
        sa.Index("ix_prepared_segments_state_rank", "state", "rank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(sa.ForeignKey("grants.id"), index=True)
    window_id: Mapped[int] = mapped_column(sa.ForeignKey("grant_windows.id"))
    segment_id: Mapped[str] = mapped_column(sa.ForeignKey("segments.id"))
    rank: Mapped[int]  # lower first: the window's start, or what a player waits for
    state: Mapped[WorkState] = mapped_column(string_enum(WorkState, "state", 16))
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(128))
    lease_until: Mapped[datetime | None]
    error: Mapped[str] = mapped_column(sa.String(512), default="")
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    frames: Mapped[int | None]
    tracks: Mapped[int | None]  # how many tracks the segment's part holds
    sealed: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
