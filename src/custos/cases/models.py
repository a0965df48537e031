"""Cases and the persons involved in them (pseudonymous labels only)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from custos.cases.policy import CaseKind, CaseStatus, PersonRole
from custos.db import Base, string_enum


class Case(Base):
    """A case inside which footage may be requested: a criminal case, or a person's access to
    the footage of themselves."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(64), unique=True)
    legal_basis: Mapped[str] = mapped_column(sa.String(64))
    description: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[CaseStatus] = mapped_column(string_enum(CaseStatus, "status", 16))
    kind: Mapped[CaseKind] = mapped_column(
        string_enum(CaseKind, "kind", 16), default=CaseKind.CRIMINAL
    )
    opened_at: Mapped[datetime]
    opened_by: Mapped[str] = mapped_column(sa.String(128))
    closed_at: Mapped[datetime | None]
    closed_reason: Mapped[str] = mapped_column(sa.Text, default="")


class CasePerson(Base):
    """A person involved in a case, by pseudonym; cleared when the suspicion is refuted."""

    __tablename__ = "case_persons"
    __table_args__ = (sa.UniqueConstraint("case_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    label: Mapped[str] = mapped_column(sa.String(32))
    role: Mapped[PersonRole] = mapped_column(
        string_enum(PersonRole, "role", 16), default=PersonRole.SUSPECT
    )
    minor: Mapped[bool] = mapped_column(default=False)
    vulnerable: Mapped[bool] = mapped_column(default=False)
    added_at: Mapped[datetime]
    cleared_at: Mapped[datetime | None]
    cleared_reason: Mapped[str] = mapped_column(sa.Text, default="")


class CaseMember(Base):
    """An investigator who works on a case: its opener, or one a member or an approver added.

    Only members (and approvers, who decide requests) see a case; only members act in it. A
    removed member keeps their row, with when, by whom and why they left; added again, the row
    is theirs again.
    """

    __tablename__ = "case_members"
    __table_args__ = (sa.UniqueConstraint("case_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(128))  # the investigator's account
    added_by: Mapped[str] = mapped_column(sa.String(128))
    added_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(sa.Text)
    removed_at: Mapped[datetime | None]
    removed_by: Mapped[str | None] = mapped_column(sa.String(128))
    removed_reason: Mapped[str] = mapped_column(sa.Text, default="")
