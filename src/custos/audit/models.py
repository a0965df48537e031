"""The audit entry table: append-only, enforced by database triggers as well as by the code."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from custos.db import Base


class AuditEntry(Base):
    """One recorded action: who did what to which object, when, from where, with what outcome."""

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(sa.String(128))
    actor_role: Mapped[str | None] = mapped_column(sa.String(32))
    client_address: Mapped[str | None] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(32))
    event: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(32))
    object_id: Mapped[str | None] = mapped_column(sa.String(128))
    outcome: Mapped[str] = mapped_column(sa.String(16))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
