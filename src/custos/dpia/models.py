"""Impact assessments and their versions."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custos.db import Base, string_enum
from custos.dpia.policy import VersionState


class Assessment(Base):
    """A data protection impact assessment: one reference, successive versions."""

    __tablename__ = "dpias"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(32), unique=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(sa.String(128))
    # Generated when the registry was introduced, for the cameras that were recording then:
    # a finding until a DPO reviews it and approves a real version.
    pre_existing: Mapped[bool] = mapped_column(default=False)
    versions: Mapped[list[AssessmentVersion]] = relationship(
        order_by="AssessmentVersion.version", lazy="selectin"
    )


class AssessmentVersion(Base):
    """One version of an assessment: drafted by one person, approved by another (a DPO);
    never changed once approved."""

    __tablename__ = "dpia_versions"
    __table_args__ = (sa.UniqueConstraint("dpia_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dpia_id: Mapped[int] = mapped_column(sa.ForeignKey("dpias.id"), index=True)
    version: Mapped[int]
    state: Mapped[VersionState] = mapped_column(string_enum(VersionState, "state", 16))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    purposes: Mapped[str] = mapped_column(sa.Text, default="")
    necessity: Mapped[str] = mapped_column(sa.Text, default="")
    risks: Mapped[str] = mapped_column(sa.Text, default="")
    vulnerable_groups: Mapped[str] = mapped_column(sa.Text, default="")
    measures: Mapped[str] = mapped_column(sa.Text, default="")
    zones_not_needed: Mapped[str] = mapped_column(sa.Text, default="")
    # [[body, answer], ...]: the DPO and civil-society or human-rights bodies consulted.
    consultation: Mapped[list[list[str]]] = mapped_column(sa.JSON, default=list)
    dpo_opinion: Mapped[str] = mapped_column(sa.Text, default="")
    scope: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    analytics: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    review_by: Mapped[datetime]
    public_summary: Mapped[str] = mapped_column(sa.Text, default="")
    author: Mapped[str] = mapped_column(sa.String(128))
    written_at: Mapped[datetime]
    approved_by: Mapped[str | None] = mapped_column(sa.String(128))
    approved_at: Mapped[datetime | None]
    superseded_at: Mapped[datetime | None]
