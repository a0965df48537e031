"""Incident tables."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custos.db import Base

incident_cameras = sa.Table(
    "incident_cameras",
    Base.metadata,
    sa.Column("incident_id", sa.ForeignKey("incidents.id"), primary_key=True),
    sa.Column("camera_id", sa.ForeignKey("cameras.id"), primary_key=True),
)


class Incident(Base):
    """A marked incident: cameras × a window, why, and whether it shows an offence."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    description: Mapped[str] = mapped_column(sa.Text)
    legal_reference: Mapped[str] = mapped_column(sa.String(256))
    offence: Mapped[bool]
    justification: Mapped[str] = mapped_column(sa.Text)
    marked_by: Mapped[str] = mapped_column(sa.String(128))
    marked_at: Mapped[datetime]
    unmarked_at: Mapped[datetime | None]
    unmarked_by: Mapped[str | None] = mapped_column(sa.String(128))
    unmark_justification: Mapped[str | None] = mapped_column(sa.Text)

    cameras = relationship("Camera", secondary=incident_cameras, lazy="selectin")
