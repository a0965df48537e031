"""HTTP API of exports: the recipients list, exports and their delivery, and the keys a
recipient checks a package with."""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status
from fastapi.responses import PlainTextResponse

from custos.access.service import StreamPlan
from custos.cases import service as cases
from custos.cases.policy import CaseAct
from custos.context import Actor, Call
from custos.deps import (
    PUBLIC,
    CaseViewer,
    DbSession,
    RecipientManager,
    RecipientViewer,
    Reviewer,
    RuntimeDep,
)
from custos.errors import Conflict, NotFound, NotInitialised
from custos.exports import delivery, making, package, service
from custos.exports.models import Export
from custos.exports.policy import Span
from custos.exports.schemas import (
    Delivery,
    ExportIn,
    ExportMade,
    ExportOut,
    LinkIn,
    PackageIn,
    RecipientIn,
    RecipientOut,
    RetireIn,
)
from custos.http import Id, answers
from custos.runtime import Runtime
from custos.storage.certificates import ROOT_CERT
from custos.storage.keys import load_signing_key

log = logging.getLogger(__name__)

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


# --- exports -----------------------------------------------------------------------------------

exports_api = APIRouter(prefix="/api", tags=["exports"])
downloads = APIRouter(tags=["exports"])


def in_background(job: Callable[[], None]) -> None:
    """Run `job` on a thread of its own: the answer does not wait for the package."""
    threading.Thread(target=job, name="export", daemon=True).start()


def make_in_background(
    runtime: Runtime, actor: Actor, export_id: int, plans: Sequence[StreamPlan]
) -> None:
    """Make, zip and store the package; the plain folder is gone once its sealed copy is kept."""
    with tempfile.TemporaryDirectory(prefix="custos-export-") as work:
        folder = FilePath(work) / f"custos-export-{export_id}"
        try:
            making.make_package(runtime, actor, export_id, plans, folder)
            with runtime.sessions() as session:
                delivery.store_package(
                    session,
                    runtime.clock,
                    runtime.sealer,
                    runtime.blobs,
                    export_id,
                    delivery.zipped(folder),
                )
        except Exception:  # make_package has marked it failed, with the reason
            log.exception("export %d could not be made", export_id)


@exports_api.post(
    "/grants/{grant_id}/windows/{window_id}/exports",
    status_code=status.HTTP_202_ACCEPTED,
    responses=answers(404, 409),
)
def create_export(
    grant_id: Id,
    window_id: Id,
    body: ExportIn,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Reviewer,
) -> ExportMade:
    """Export part of a window of your live grant that allows export, to a listed recipient.

    The disclosure is recorded at once; the package is made in the background (its state says
    when it is ready), and the recipient's download link is in this answer only.
    """
    return _made(
        begin_export(caller.call(db, runtime), runtime, grant_id, body.spans(window_id), body)
    )


@exports_api.post(
    "/grants/{grant_id}/exports",
    status_code=status.HTTP_202_ACCEPTED,
    responses=answers(404, 409),
)
def create_package(
    grant_id: Id, body: PackageIn, db: DbSession, runtime: RuntimeDep, caller: Reviewer
) -> ExportMade:
    """Export several ranges of your live grant's windows as one package, one video per range
    in the order given (at most twelve; two ranges of a window may not overlap).

    As for one window: the disclosure is recorded at once, the package made in the background,
    and the recipient's download link is in this answer only.
    """
    return _made(begin_export(caller.call(db, runtime), runtime, grant_id, body.spans(), body))


def _made(begun: tuple[Export, str]) -> ExportMade:
    export, link = begun
    out = ExportOut.model_validate(export).model_dump()
    return ExportMade(**out, link=f"/exports/download/{link}")


def begin_export(
    call: Call, runtime: Runtime, grant_id: int, spans: Sequence[Span], asked: Delivery
) -> tuple[Export, str]:
    """Record an export and its link, and make its package in the background: the export and
    the recipient's link (shown once). For the API and the review page alike."""
    try:
        key_id = making.export_key(call.session, runtime).verifier.key_id.hex()
    except NotInitialised:
        raise Conflict("this deployment has no export key yet: run `custos init`") from None
    export, plans = service.start_export(
        call,
        runtime.sealer,
        grant_id=grant_id,
        spans=spans,
        recipient_id=asked.recipient,
        export_key_id=key_id,
    )
    link = delivery.issue_link(call, export.id, days=asked.days, downloads=asked.downloads)
    actor, export_id = call.actor, export.id
    in_background(lambda: make_in_background(runtime, actor, export_id, plans))
    return export, link


def _visible(db: DbSession, runtime: RuntimeDep, caller: CaseViewer, export_id: int) -> Export:
    return service.visible_export(caller.call(db, runtime), export_id)


@exports_api.get("/exports/{export_id}")
def get_export(export_id: Id, db: DbSession, runtime: RuntimeDep, caller: CaseViewer) -> ExportOut:
    """One export of a case you see: where it stands."""
    return ExportOut.model_validate(_visible(db, runtime, caller, export_id))


@exports_api.get("/cases/{case_id}/exports", tags=["cases"])
def case_exports(
    case_id: Id, db: DbSession, runtime: RuntimeDep, caller: CaseViewer
) -> list[ExportOut]:
    """The exports of a case you see, newest first: what went to whom."""
    cases.reach(caller.call(db, runtime), case_id, CaseAct.SEE)
    return [ExportOut.model_validate(e) for e in service.exports(db, case_id)]


@exports_api.post("/exports/{export_id}/revoke", responses=answers(409))
def revoke_export(
    export_id: Id, body: RetireIn, db: DbSession, runtime: RuntimeDep, caller: CaseViewer
) -> ExportOut:
    """Stop an export's delivery (its maker, or an approver): the link refuses, the stored
    package is shredded."""
    _visible(db, runtime, caller, export_id)
    export = delivery.revoke(caller.call(db, runtime), runtime.blobs, export_id, body.reason)
    return ExportOut.model_validate(export)


@exports_api.post("/exports/{export_id}/link", responses=answers(409))
def new_link(
    export_id: Id, body: LinkIn, db: DbSession, runtime: RuntimeDep, caller: CaseViewer
) -> ExportMade:
    """Give the recipient a new link (its maker, or an approver), while the package is kept:
    the earlier link stops working; the new one is in this answer only."""
    _visible(db, runtime, caller, export_id)
    link = delivery.issue_link(
        caller.call(db, runtime), export_id, days=body.days, downloads=body.downloads
    )
    return _made((service.get_export(db, export_id), link))


@downloads.get(
    "/exports/download/{link}",
    dependencies=[PUBLIC],
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}, **answers(404, 409)},
)
def download(
    link: Annotated[str, Path(max_length=100)],
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
) -> Response:
    """The package behind a recipient's link, while it works; every download is recorded."""
    got = delivery.download(
        db,
        runtime.clock,
        runtime.sealer,
        runtime.blobs,
        link,
        request.client.host if request.client else "",
    )
    return Response(
        got.data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{got.filename}"',
            "Cache-Control": "no-store",
        },
    )
