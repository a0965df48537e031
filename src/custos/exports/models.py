"""Recipients of exported evidence."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from custos.db import Base, string_enum
from custos.exports.policy import RecipientRole


class Recipient(Base):
    """Someone evidence may be handed to: a court, a prosecutor, defence counsel, the person
    filmed. Kept after it is retired, since the exports made to it name it."""

    __tablename__ = "export_recipients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    organisation: Mapped[str] = mapped_column(sa.String(200), default="")
    role: Mapped[RecipientRole] = mapped_column(string_enum(RecipientRole, "role", 16))
    contact: Mapped[str] = mapped_column(sa.Text, default="")
    added_by: Mapped[str] = mapped_column(sa.String(128))
    added_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
    retired_by: Mapped[str | None] = mapped_column(sa.String(128))
    retired_reason: Mapped[str] = mapped_column(sa.Text, default="")
