"""Audit entries written in the caller's transaction: entry and action stand or fall together."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit import log
from custos.audit.log import NewEntry
from custos.audit.models import AuditEntry
from custos.audit.policy import Action, Outcome
from custos.clock import Clock
from custos.context import NO_CONTEXT, Actor, Call, Context


@dataclass(frozen=True)
class Entry:
    """One entry for `record_many`: what was done, to what, why and how it ended."""

    action: Action
    event: str
    object_type: str | None = None
    object_id: str | int | None = None
    outcome: Outcome = Outcome.SUCCESS
    context: Context = NO_CONTEXT
    details: dict[str, Any] | None = None


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
    context: Context = NO_CONTEXT,
    details: dict[str, Any] | None = None,
) -> int:
    """Append an entry to the log now, in the session's transaction; returns its position.

    If the append fails, the exception propagates and the caller's action fails with it. It
    takes the session, clock and actor, not a Call: the writer under every domain is also used
    by work that no caller or policy stands behind (the sweeper, the recorders, applying a
    policy, the first admin, a sign-in that failed). A service passes its call's three.
    """
    entry = Entry(
        action,
        event,
        object_type=object_type,
        object_id=object_id,
        outcome=outcome,
        context=context,
        details=details,
    )
    return record_many(session, clock, actor, [entry])


def record_many(session: Session, clock: Clock, actor: Actor, entries: Iterable[Entry]) -> int:
    """Append entries by one actor in one append, in the session's transaction, all at one time.

    Returns the position of the first. For work that records thousands at once (a sweep): one
    lock of the log, one insert. If the append fails, none of them is written.
    """
    return log.append(session, clock, [_new_entry(actor, entry) for entry in entries])


def _new_entry(actor: Actor, entry: Entry) -> NewEntry:
    context = entry.context
    return NewEntry(
        actor=actor.name,
        actor_role=actor.role,
        client_address=actor.client_address,
        action=entry.action.value,
        event=entry.event,
        object_type=entry.object_type,
        object_id=None if entry.object_id is None else str(entry.object_id),
        outcome=entry.outcome.value,
        case_ref=context.case_ref,
        grant_ref=context.grant_ref,
        legal_basis=context.legal_basis,
        justification=context.justification,
        recipient=context.recipient,
        details=entry.details or {},
    )


@dataclass(frozen=True)
class EntryFilter:
    """What an auditor is looking for in the log."""

    event: str | None = None
    action: str | None = None
    actor: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    case_ref: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_seq: int | None = None
    event_prefix: str | None = None  # events that begin with it ("access." for all of access)
    hidden_action: str | None = None  # leave out entries of this action ("collect")

    def described(self) -> dict[str, str]:
        """The filters that are set, for the audit entry of the search itself."""
        return {k: str(v) for k, v in self.__dict__.items() if v is not None}


def find_entries(session: Session, where: EntryFilter, limit: int = 100) -> list[AuditEntry]:
    """Entries matching `where`, newest first, at most `limit`."""
    query = sa.select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    for column in ("event", "action", "actor", "object_type", "object_id", "case_ref", "outcome"):
        value = getattr(where, column)
        if value is not None:
            query = query.where(getattr(AuditEntry, column) == value)
    if where.since is not None:
        query = query.where(AuditEntry.at >= where.since)
    if where.until is not None:
        query = query.where(AuditEntry.at < where.until)
    if where.before_seq is not None:
        query = query.where(AuditEntry.seq < where.before_seq)
    if where.event_prefix:
        query = query.where(AuditEntry.event.startswith(where.event_prefix, autoescape=True))
    if where.hidden_action is not None:
        query = query.where(AuditEntry.action != where.hidden_action)
    return list(session.scalars(query))


def entries_at(session: Session, positions: Iterable[int]) -> list[AuditEntry]:
    """The entries at these positions in the log, in the log's order."""
    wanted = sorted(set(positions))
    if not wanted:
        return []
    return list(
        session.scalars(
            sa.select(AuditEntry).where(AuditEntry.seq.in_(wanted)).order_by(AuditEntry.seq)
        )
    )


def read_entries(call: Call, where: EntryFilter, limit: int = 100) -> list[AuditEntry]:
    """Entries matching `where` for an auditor; the reading is itself logged and committed."""
    session = call.session
    found = find_entries(session, where, limit)
    record(
        session,
        call.clock,
        call.actor,
        Action.CONSULT,
        "audit.entries_read",
        object_type="audit_log",
        details={"filters": where.described(), "returned": len(found)},
    )
    session.commit()
    return found
