"""The breach register's table."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from custos.breaches.policy import Status
from custos.db import Base, string_enum


class Breach(Base):
    """A personal-data breach: what happened, when it was found, what it touched, what was
    done, and when (and how) the authority was told."""

    __tablename__ = "breaches"

    id: Mapped[int] = mapped_column(primary_key=True)
    summary: Mapped[str] = mapped_column(sa.Text)
    discovered_at: Mapped[datetime]
    categories: Mapped[list[str]] = mapped_column(sa.JSON)
    people_affected: Mapped[int]
    consequences: Mapped[str] = mapped_column(sa.Text, default="")
    measures: Mapped[str] = mapped_column(sa.Text)
    recorded_by: Mapped[str] = mapped_column(sa.String(128))
    recorded_at: Mapped[datetime]
    due_at: Mapped[datetime]  # when the notice to the authority is due, fixed when recorded
    status: Mapped[Status] = mapped_column(string_enum(Status, "status", 16))
    notified_at: Mapped[datetime | None]
    notified_by: Mapped[str | None] = mapped_column(sa.String(128))
    notice_channel: Mapped[str] = mapped_column(sa.String(200), default="")
    notice_reference: Mapped[str] = mapped_column(sa.String(200), default="")
    notice_text: Mapped[str] = mapped_column(sa.Text, default="")  # as it was sent

    @property
    def reference(self) -> str:
        """How people name it: BR-n."""
        return f"BR-{self.id}"
