"""HTTP API of exports: the recipients list, and the keys a recipient checks a package with."""

from __future__ import annotations

from fastapi import APIRouter, status
from fastapi.responses import PlainTextResponse

from custos.deps import PUBLIC, DbSession, RecipientManager, RecipientViewer, RuntimeDep
from custos.errors import NotFound, NotInitialised
from custos.exports import package, service
from custos.exports.schemas import RecipientIn, RecipientOut, RetireIn
from custos.http import Id, answers
from custos.storage.certificates import ROOT_CERT
from custos.storage.keys import load_signing_key

router = APIRouter(prefix="/api/recipients", tags=["exports"])
public = APIRouter(prefix="/transparency", tags=["transparency"])


@public.get(
    "/export-key",
    dependencies=[PUBLIC],
    response_class=PlainTextResponse,
    responses=answers(404),
)
def export_key(db: DbSession, runtime: RuntimeDep) -> PlainTextResponse:
    """The key that signs export manifests, as a C2SP verifier key (beside the log's, /key)."""
    try:
        key = load_signing_key(runtime.settings.export_key_path)
    except NotInitialised:
        raise NotFound("this deployment has no export key yet: run `custos init`") from None
    return PlainTextResponse(package.export_signer(db, key).verifier.vkey() + "\n")


@public.get(
    "/content-root.pem",
    dependencies=[PUBLIC],
    response_class=PlainTextResponse,
    responses=answers(404),
)
def content_root(runtime: RuntimeDep) -> PlainTextResponse:
    """The root certificate exported videos' content credentials are trusted under."""
    path = runtime.settings.content_keys_dir / ROOT_CERT
    if not path.exists():
        raise NotFound("this deployment has no content root yet: run `custos init`")
    return PlainTextResponse(path.read_text(), media_type="application/x-pem-file")


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
