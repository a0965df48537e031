"""Exports: the recipients evidence may be handed to, and the exports made to them.

The data protection officer keeps the list; every change is audited. A recipient is retired,
never deleted, because the exports made to it keep naming it. An export is recorded (a
disclose entry naming the recipient) before its package is made, in a transaction of its own;
making the package holds none open (`making.py`).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.access import service as access
from custos.audit.policy import Action
from custos.audit.service import record
from custos.cases import service as cases
from custos.context import Call, Context
from custos.errors import Conflict, InvalidInput, NotFound
from custos.exports.models import Export, Recipient
from custos.exports.policy import ROLE_NAMES, ExportState, RecipientRole, recipient_problem
from custos.storage.crypto import Sealer


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


# --- exports ------------------------------------------------------------------------------------


def start_export(
    call: Call,
    sealer: Sealer,
    *,
    grant_id: int,
    window_id: int,
    recipient_id: int,
    from_s: float | None,
    to_s: float | None,
    export_key_id: str,
) -> tuple[Export, access.StreamPlan]:
    """Record an export of seconds `from_s` to `to_s` of a granted window (the whole window by
    default) to a listed recipient: a disclose entry naming the recipient and the key that
    will sign the manifest, written before anything is rendered. Only the grant's holder,
    while the grant is live and allows export; a refusal is audited."""
    session, clock = call.session, call.clock
    grant = access.get_grant(session, grant_id)
    window = next((w for w in grant.windows if w.id == window_id), None)
    length = (window.ends_at - window.starts_at).total_seconds() if window else 0.0
    start, end = from_s or 0.0, length if to_s is None else to_s
    plan = access.export_plan(call, sealer, grant_id, window_id, start, end)
    recipient = get_recipient(session, recipient_id)
    if recipient.retired_at is not None:
        raise Conflict(f"recipient {recipient.id} was retired: {recipient.retired_reason}")
    assert window is not None  # export_plan refused a window not in the grant
    case = cases.get_case_by_id(session, grant.case_id)
    asked = access.get_request(session, grant.request_id)
    export = Export(
        grant_id=grant.id,
        window_id=window.id,
        case_id=case.id,
        recipient_id=recipient.id,
        camera=plan.camera,
        starts_at=window.starts_at + timedelta(seconds=start),
        ends_at=window.starts_at + timedelta(seconds=end),
        created_by=call.actor.name,
        created_at=clock.now(),
        entry_seq=0,
        state=ExportState.MAKING,
        folder="",
        manifest_sha256="",
        problem="",
        finished_at=None,
    )
    session.add(export)
    session.flush()
    export.entry_seq = record(
        session,
        clock,
        call.actor,
        Action.DISCLOSE,
        "export.created",
        object_type="export",
        object_id=export.id,
        context=Context(
            case_ref=case.reference,
            grant_ref=grant.reference,
            legal_basis=case.legal_basis,
            justification=asked.purpose,
            recipient=recipient_line(recipient),
        ),
        details={
            "recipient": recipient.id,
            "recipient_role": recipient.role.value,
            "camera": plan.camera,
            "from": export.starts_at.isoformat(),
            "to": export.ends_at.isoformat(),
            "segments": [piece.segment for piece in plan.pieces],
            "export_key_id": export_key_id,
        },
    )
    session.commit()
    return export, plan


def recipient_line(recipient: Recipient) -> str:
    named = f"{recipient.name}, {ROLE_NAMES[recipient.role]}"
    return f"{named}, {recipient.organisation}" if recipient.organisation else named


def get_export(session: Session, export_id: int) -> Export:
    export = session.get(Export, export_id)
    if export is None:
        raise NotFound(f"no export {export_id}")
    return export


def exports(session: Session, case_id: int | None = None) -> list[Export]:
    """Exports, newest first (of one case, if given)."""
    query = sa.select(Export).order_by(Export.id.desc())
    if case_id is not None:
        query = query.where(Export.case_id == case_id)
    return list(session.scalars(query))
