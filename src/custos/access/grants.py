"""Revoking grants: by an approver, or at once when a case closes or a person is cleared.

Kept apart from the request side so the cases domain can call it without a circular import:
it knows grants by their case id, never the case itself.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.access.models import Grant
from custos.audit.policy import Action
from custos.audit.service import record
from custos.clock import Clock
from custos.context import Actor, Context


def revoke(
    session: Session,
    clock: Clock,
    actor: Actor,
    grant: Grant,
    reason: str,
    case_ref: str,
    legal_basis: str,
) -> None:
    """End `grant` now and record why; the caller commits."""
    grant.revoked_at = clock.now()
    grant.revoked_by = actor.name
    grant.revoked_reason = reason
    record(
        session,
        clock,
        actor,
        Action.CONFIGURE,
        "grant.revoked",
        object_type="grant",
        object_id=grant.reference,
        context=Context(
            case_ref=case_ref,
            grant_ref=grant.reference,
            legal_basis=legal_basis,
            justification=reason,
            recipient=grant.holder,
        ),
        details={"persons": grant.persons},
    )


def revoke_grants_of_case(
    session: Session,
    clock: Clock,
    actor: Actor,
    *,
    case_id: int,
    case_ref: str,
    legal_basis: str,
    reason: str,
    person: str | None = None,
) -> list[int]:
    """Revoke every unrevoked grant of a case, or only those naming `person`; the caller commits.

    A grant that names a cleared person is revoked whole: the investigator asks again for the
    persons still under suspicion, and an approver judges that new scope.
    """
    query = sa.select(Grant).where(Grant.case_id == case_id, Grant.revoked_at.is_(None))
    revoked = []
    for grant in session.scalars(query.order_by(Grant.id)):
        if person is not None and person not in grant.persons:
            continue
        revoke(session, clock, actor, grant, reason, case_ref, legal_basis)
        revoked.append(grant.id)
    return revoked
