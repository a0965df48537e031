"""The camera table."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from custos.cameras.policy import DEFAULT_SEGMENT_SECONDS, CameraCategory, CameraStatus
from custos.db import Base, string_enum


class Camera(Base):
    """A registered camera and the facts the law asks about it."""

    __tablename__ = "cameras"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    source_url: Mapped[str] = mapped_column(sa.String(2048))
    category: Mapped[CameraCategory] = mapped_column(string_enum(CameraCategory, "category", 32))
    region: Mapped[str] = mapped_column(sa.String(128), index=True)
    operator_org: Mapped[str] = mapped_column(sa.String(256), default="")
    location: Mapped[str] = mapped_column(sa.String(256), default="")
    purpose: Mapped[str] = mapped_column(sa.Text, default="")
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    record_audio: Mapped[bool] = mapped_column(default=False)
    segment_seconds: Mapped[int] = mapped_column(default=DEFAULT_SEGMENT_SECONDS)
    # Which cameras recorders claim first when they cannot take them all (higher first).
    priority: Mapped[int] = mapped_column(default=0)
    # A justified extension of retention beyond the policy's default (None: the default).
    retention_days: Mapped[float | None]
    retention_justification: Mapped[str] = mapped_column(sa.Text, default="")
    retention_dpia_ref: Mapped[str] = mapped_column(sa.String(128), default="")
    status: Mapped[CameraStatus] = mapped_column(string_enum(CameraStatus, "status", 16))
    # The public register: where it is (shown on the profile's grid), what signs tell the
    # people filmed, who answers their questions, and why it is withheld (empty: shown).
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    signage: Mapped[str] = mapped_column(sa.Text, default="")
    contact: Mapped[str] = mapped_column(sa.String(256), default="")
    withheld_reason: Mapped[str] = mapped_column(sa.String(32), default="")
    withheld_note: Mapped[str] = mapped_column(sa.Text, default="")
    # Why a suspended camera was suspended (its gap says so); empty otherwise.
    suspended_for: Mapped[str] = mapped_column(sa.String(16), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PrivacyZone(Base):
    """A part of a camera's picture that is never stored nor shown (a home's window, a door)."""

    __tablename__ = "privacy_zones"
    __table_args__ = (sa.UniqueConstraint("camera_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    camera_id: Mapped[int] = mapped_column(sa.ForeignKey("cameras.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    # Corners as [[x, y], ...], fractions of the picture's width and height.
    points: Mapped[list[list[float]]] = mapped_column(sa.JSON)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(sa.String(128))
