"""The table of data-subject access requests."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from custos.db import Base, string_enum
from custos.subjects.policy import Status


class SubjectRequest(Base):
    """A person's request for the footage of themselves: how it came in, how their identity
    was checked, when and where they say they were, when the answer is due, the answer."""

    __tablename__ = "subject_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(sa.String(16))
    identity_check: Mapped[str] = mapped_column(sa.Text)
    times_and_places: Mapped[str] = mapped_column(sa.Text)
    contact: Mapped[str] = mapped_column(sa.String(256))
    recorded_by: Mapped[str] = mapped_column(sa.String(128))
    recorded_at: Mapped[datetime]
    due_at: Mapped[datetime]  # moved once by an extension, where the policy allows one
    extended: Mapped[bool] = mapped_column(default=False)
    extension_reason: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[Status] = mapped_column(string_enum(Status, "status", 16))
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(sa.String(128))
    answer: Mapped[str] = mapped_column(sa.Text, default="")  # what is held, or the ground
    # The footage going out: the case its access goes through, the person as recipient, and
    # the export that fulfilled the request.
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"))
    recipient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("export_recipients.id"))
    export_id: Mapped[int | None] = mapped_column(sa.ForeignKey("exports.id"))

    @property
    def reference(self) -> str:
        """How people name it: DSR-n."""
        return f"DSR-{self.id}"
