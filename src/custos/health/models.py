"""Tables of health: the alerts raised when a camera is down past the threshold."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from custos.db import Base


class HealthAlert(Base):
    """Something an operator must look at (a camera down too long), until it is cleared.

    Retention's storage alerts live in its own `alerts` table; these are health's.
    """

    __tablename__ = "health_alerts"
    __table_args__ = (sa.Index("ix_health_alerts_kind_subject", "kind", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(64))
    subject: Mapped[str] = mapped_column(sa.String(128))
    raised_at: Mapped[datetime]
    cleared_at: Mapped[datetime | None]
    detail: Mapped[str] = mapped_column(sa.String(512), default="")
