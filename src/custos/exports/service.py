"""Exports: the recipients evidence may be handed to.

The data protection officer keeps the list; every change is audited. A recipient is retired,
never deleted, because the exports made to it keep naming it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit.policy import Action
from custos.audit.service import record
from custos.context import Call
from custos.errors import Conflict, InvalidInput, NotFound
from custos.exports.models import Recipient
from custos.exports.policy import RecipientRole, recipient_problem


def add_recipient(
    call: Call, *, name: str, organisation: str, role: RecipientRole, contact: str = ""
) -> Recipient:
    """List a recipient; the same name, organisation and role twice is refused."""
    session, clock = call.session, call.clock
    problem = recipient_problem(name, organisation, role)
    if problem:
        raise InvalidInput(problem, field="organisation" if name.strip() else "name")
    name, organisation = name.strip(), organisation.strip()
    existing = session.scalar(
        sa.select(Recipient).where(
            Recipient.name == name,
            Recipient.organisation == organisation,
            Recipient.role == role,
            Recipient.retired_at.is_(None),
        )
    )
    if existing is not None:
        raise Conflict(
            f"{name} ({organisation or role}) is listed already as recipient {existing.id}"
        )
    recipient = Recipient(
        name=name,
        organisation=organisation,
        role=role,
        contact=contact.strip(),
        added_by=call.actor.name,
        added_at=clock.now(),
        retired_at=None,
        retired_by=None,
        retired_reason="",
    )
    session.add(recipient)
    session.flush()
    record(
        session,
        clock,
        call.actor,
        Action.CONFIGURE,
        "export.recipient_added",
        object_type="recipient",
        object_id=recipient.id,
        details={"name": name, "organisation": organisation, "role": role.value},
    )
    session.commit()
    return recipient


def recipients(session: Session, *, retired: bool = False) -> list[Recipient]:
    """The recipients by name (the retired ones too, if asked)."""
    query = sa.select(Recipient).order_by(Recipient.name, Recipient.id)
    if not retired:
        query = query.where(Recipient.retired_at.is_(None))
    return list(session.scalars(query))


def get_recipient(session: Session, recipient_id: int) -> Recipient:
    recipient = session.get(Recipient, recipient_id)
    if recipient is None:
        raise NotFound(f"no recipient {recipient_id}")
    return recipient


def retire_recipient(call: Call, recipient_id: int, reason: str) -> Recipient:
    """Take a recipient off the list: nothing more can be exported to it."""
    session, clock = call.session, call.clock
    recipient = get_recipient(session, recipient_id)
    if recipient.retired_at is not None:
        raise Conflict(f"recipient {recipient_id} was retired already")
    if not reason.strip():
        raise InvalidInput("say why the recipient is retired", field="reason")
    recipient.retired_at, recipient.retired_by = clock.now(), call.actor.name
    recipient.retired_reason = reason.strip()
    record(
        session,
        clock,
        call.actor,
        Action.CONFIGURE,
        "export.recipient_retired",
        object_type="recipient",
        object_id=recipient.id,
        details={"reason": recipient.retired_reason},
    )
    session.commit()
    return recipient
