"""The table of periodic runs: one row per job and period, so each period runs once."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from custos.db import Base


class JobRun(Base):
    """One period's run of a periodic job: who runs it, until when, and how it ended."""

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    period: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(16))
    worker: Mapped[str] = mapped_column(sa.String(128))
    attempts: Mapped[int]
    claimed_at: Mapped[datetime]
    lease_until: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    detail: Mapped[str] = mapped_column(sa.String(512), default="")
