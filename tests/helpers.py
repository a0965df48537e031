"""Small helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit.models import AuditEntry
from custos.audit.service import Actor

TESTER = Actor(name="tester", role="admin", client_address="127.0.0.1")


def bearer(token: str) -> dict[str, str]:
    """Headers that present API token `token`."""
    return {"Authorization": f"Bearer {token}"}


def audit_events(db: Session, **where: Any) -> list[AuditEntry]:
    """Audit entries in order, filtered by column values."""
    query = sa.select(AuditEntry).order_by(AuditEntry.seq)
    for column, value in where.items():
        query = query.where(getattr(AuditEntry, column) == value)
    return list(db.scalars(query))
