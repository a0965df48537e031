"""Exports: the recipients evidence may be handed to, and the exports made to them.

The data protection officer keeps the list; every change is audited. A recipient is retired,
never deleted, because the exports made to it keep naming it. An export is recorded (a
disclose entry naming the recipient) before its package is made, in a transaction of its own;
making the package holds none open (`making.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.access import service as access
from custos.audit.policy import Action
from custos.audit.service import record
from custos.cases import service as cases
from custos.cases.policy import CaseAct
from custos.context import Call, Context
from custos.errors import Conflict, InvalidInput, NotFound
from custos.exports.models import Export as Export
from custos.exports.models import ExportRange, Recipient
from custos.exports.policy import (
    MOST_RANGES,
    ROLE_NAMES,
    ExportState,
    RecipientRole,
    Span,
    destination_problem,
    ranges_problem,
    recipient_problem,
)
from custos.storage.crypto import Sealer


def add_recipient(
    call: Call, *, name: str, organisation: str, role: RecipientRole, contact: str = ""
) -> Recipient:
    """List a recipient; the same name, organisation and role twice is refused."""
    recipient = stage_recipient(
        call, name=name, organisation=organisation, role=role, contact=contact
    )
    call.session.commit()
    return recipient


def stage_recipient(
    call: Call, *, name: str, organisation: str, role: RecipientRole, contact: str = ""
) -> Recipient:
    """List a recipient as `add_recipient` does, audited; the caller commits."""
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
    spans: Sequence[Span],
    recipient_id: int,
    export_key_id: str,
) -> tuple[Export, list[access.StreamPlan]]:
    """Record an export of ranges of a grant's windows (each the whole window by default), one
    package to a listed recipient: a disclose entry naming the recipient, the ranges and the
    key that will sign the manifest, written before anything is rendered. Only the grant's
    holder, while the grant is live and allows export; a refusal is audited."""
    session, clock = call.session, call.clock
    grant = access.get_grant(session, grant_id)
    if len(spans) > MOST_RANGES:
        raise InvalidInput(f"one package holds at most {MOST_RANGES} ranges", field="ranges")
    plans, resolved = [], []
    for span in spans:
        window = next((w for w in grant.windows if w.id == span.window), None)
        length = (window.ends_at - window.starts_at).total_seconds() if window else 0.0
        start, end = span.from_s or 0.0, length if span.to_s is None else span.to_s
        plans.append(access.export_plan(call, sealer, grant_id, span.window, start, end))
        resolved.append((span.window, start, end))
    problem = ranges_problem(resolved)
    if problem:
        raise InvalidInput(problem, field="ranges")
    recipient = get_recipient(session, recipient_id)
    if recipient.retired_at is not None:
        raise Conflict(f"recipient {recipient.id} was retired: {recipient.retired_reason}")
    case = cases.get_case_by_id(session, grant.case_id)
    problem = destination_problem(case.kind, recipient.role)
    if problem:
        raise Conflict(problem)
    asked = access.get_request(session, grant.request_id)
    windows = {w.id: w for w in grant.windows}
    ranges = [
        ExportRange(
            position=position,
            window_id=window_id,
            camera=plan.camera,
            starts_at=windows[window_id].starts_at + timedelta(seconds=start),
            ends_at=windows[window_id].starts_at + timedelta(seconds=end),
        )
        for position, ((window_id, start, end), plan) in enumerate(
            zip(resolved, plans, strict=True)
        )
    ]
    export = Export(
        grant_id=grant.id,
        window_id=ranges[0].window_id,
        case_id=case.id,
        recipient_id=recipient.id,
        camera=ranges[0].camera,
        starts_at=min(r.starts_at for r in ranges),
        ends_at=max(r.ends_at for r in ranges),
        created_by=call.actor.name,
        created_at=clock.now(),
        entry_seq=0,
        state=ExportState.MAKING,
        folder="",
        manifest_sha256="",
        problem="",
        finished_at=None,
        ranges=ranges,
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
            "ranges": [
                {
                    "window": r.window_id,
                    "camera": r.camera,
                    "from": r.starts_at.isoformat(),
                    "to": r.ends_at.isoformat(),
                }
                for r in ranges
            ],
            "segments": [piece.segment for plan in plans for piece in plan.pieces],
            "export_key_id": export_key_id,
        },
    )
    session.commit()
    return export, plans


def recipient_line(recipient: Recipient) -> str:
    named = f"{recipient.name}, {ROLE_NAMES[recipient.role]}"
    return f"{named}, {recipient.organisation}" if recipient.organisation else named


def get_export(session: Session, export_id: int) -> Export:
    export = session.get(Export, export_id)
    if export is None:
        raise NotFound(f"no export {export_id}")
    return export


def visible_export(call: Call, export_id: int) -> Export:
    """An export of a case the caller sees; as not found otherwise."""
    export = get_export(call.session, export_id)
    cases.reach(call, export.case_id, CaseAct.SEE, unknown=f"no export {export_id}")
    return export


def exports(session: Session, case_id: int | None = None) -> list[Export]:
    """Exports, newest first (of one case, if given)."""
    query = sa.select(Export).order_by(Export.id.desc())
    if case_id is not None:
        query = query.where(Export.case_id == case_id)
    return list(session.scalars(query))
