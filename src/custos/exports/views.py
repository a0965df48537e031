"""HTTP API of exports: the recipients list."""

from __future__ import annotations

from fastapi import APIRouter, status

from custos.deps import DbSession, RecipientManager, RecipientViewer, RuntimeDep
from custos.exports import service
from custos.exports.schemas import RecipientIn, RecipientOut, RetireIn
from custos.http import Id, answers

router = APIRouter(prefix="/api/recipients", tags=["exports"])


@router.get("")
def list_recipients(
    db: DbSession, caller: RecipientViewer, retired: bool = False
) -> list[RecipientOut]:
    """Who evidence may be handed to, by name (with `retired`, those taken off the list too)."""
    return [RecipientOut.model_validate(r) for r in service.recipients(db, retired=retired)]


@router.post("", status_code=status.HTTP_201_CREATED, responses=answers(409))
def add_recipient(
    body: RecipientIn, db: DbSession, runtime: RuntimeDep, caller: RecipientManager
) -> RecipientOut:
    """List a court, a prosecutor, defence counsel or a person filmed (the DPO)."""
    recipient = service.add_recipient(
        caller.call(db, runtime),
        name=body.name,
        organisation=body.organisation,
        role=body.role,
        contact=body.contact,
    )
    return RecipientOut.model_validate(recipient)


@router.post("/{recipient_id}/retire", responses=answers(404, 409))
def retire_recipient(
    recipient_id: Id, body: RetireIn, db: DbSession, runtime: RuntimeDep, caller: RecipientManager
) -> RecipientOut:
    """Take a recipient off the list; the exports made to it keep naming it."""
    recipient = service.retire_recipient(caller.call(db, runtime), recipient_id, body.reason)
    return RecipientOut.model_validate(recipient)
