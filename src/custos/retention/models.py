"""Retention tables: incidents, holds, states of emergency, erasure intents, alerts, sunsets."""

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


class LegalHold(Base):
    """A hold placed by an approver on a case: nothing it covers may be erased while it lasts."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_ref: Mapped[str] = mapped_column(sa.String(128), index=True)
    person_ref: Mapped[str | None] = mapped_column(sa.String(128))
    reason: Mapped[str] = mapped_column(sa.Text)
    placed_by: Mapped[str] = mapped_column(sa.String(128))
    placed_at: Mapped[datetime]
    review_due: Mapped[datetime]
    released_at: Mapped[datetime | None]
    released_by: Mapped[str | None] = mapped_column(sa.String(128))
    release_reason: Mapped[str | None] = mapped_column(sa.Text)

    scopes: Mapped[list[HoldScope]] = relationship(
        back_populates="hold", lazy="selectin", cascade="all"
    )


class HoldScope(Base):
    """One camera × window a hold covers."""

    __tablename__ = "hold_scopes"

    id: Mapped[int] = mapped_column(primary_key=True)
    hold_id: Mapped[int] = mapped_column(sa.ForeignKey("legal_holds.id"), index=True)
    camera_id: Mapped[int] = mapped_column(sa.ForeignKey("cameras.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]

    hold: Mapped[LegalHold] = relationship(back_populates="scopes")


class EmergencyRegime(Base):
    """A state of emergency: regions, window, the decree that declared it."""

    __tablename__ = "emergency_regimes"

    id: Mapped[int] = mapped_column(primary_key=True)
    regions: Mapped[list[str]] = mapped_column(sa.JSON)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    decree_ref: Mapped[str] = mapped_column(sa.String(256))
    declared_by: Mapped[str] = mapped_column(sa.String(128))
    declared_at: Mapped[datetime]


class ErasureIntent(Base):
    """A segment the sweeper has decided to erase; present until every step is done."""

    __tablename__ = "erasure_intents"

    segment_id: Mapped[str] = mapped_column(sa.ForeignKey("segments.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(sa.String(32))
    detail: Mapped[str] = mapped_column(sa.String(128), default="")
    planned_at: Mapped[datetime]


class Alert(Base):
    """Something a person must act on (storage full of protected footage, an overdue review)."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(64), index=True)
    message: Mapped[str] = mapped_column(sa.Text)
    raised_at: Mapped[datetime]
    cleared_at: Mapped[datetime | None]


class SunsetReport(Base):
    """What the end of a state of emergency erased and kept: counts and reasons, nobody named."""

    __tablename__ = "sunset_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    regime_id: Mapped[int] = mapped_column(sa.ForeignKey("emergency_regimes.id"), unique=True)
    published_at: Mapped[datetime]
    report: Mapped[dict[str, object]] = mapped_column(sa.JSON)


class RetentionPlanState(Base):
    """Which policy profile the stored plan was made with (one row)."""

    __tablename__ = "retention_plan_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    profile_name: Mapped[str] = mapped_column(sa.String(64))
    profile_sha256: Mapped[str] = mapped_column(sa.String(64))
    planned_at: Mapped[datetime]
