"""Audit entries written in the caller's transaction: entry and action stand or fall together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit.models import AuditEntry
from custos.audit.policy import Action, Outcome
from custos.clock import Clock


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in user, a command-line operator or the system itself."""

    name: str
    role: str | None = None
    user_id: int | None = None
    client_address: str | None = None


SYSTEM = Actor(name="system")

# A Core INSERT on the table: compiled once, cheap enough for every recorded segment.
_INSERT_ENTRY = sa.insert(cast(sa.Table, AuditEntry.__table__))


def record(
    session: Session,
    clock: Clock,
    actor: Actor,
    action: Action,
    event: str,
    *,
    object_type: str | None = None,
    object_id: str | int | None = None,
    outcome: Outcome = Outcome.SUCCESS,
    details: dict[str, Any] | None = None,
) -> None:
    """Insert an entry now, in the session's transaction, so a failing audit write fails the action.

    A plain INSERT rather than an ORM object: it runs at once (after any pending changes of
    the action itself are flushed) and costs little on the recording hot path.
    """
    session.execute(
        _INSERT_ENTRY,
        {
            "at": clock.now(),
            "actor": actor.name,
            "actor_role": actor.role,
            "client_address": actor.client_address,
            "action": action.value,
            "event": event,
            "object_type": object_type,
            "object_id": None if object_id is None else str(object_id),
            "outcome": outcome.value,
            "details": details or {},
        },
    )


def entries(session: Session, *, event: str | None = None, limit: int = 100) -> list[AuditEntry]:
    """The newest entries first, optionally only one kind of event."""
    query = sa.select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if event is not None:
        query = query.where(AuditEntry.event == event)
    return list(session.scalars(query))
