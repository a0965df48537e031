"""HTTP API of data-subject access requests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from custos.deadlines import missed
from custos.deps import DbSession, RuntimeDep, SubjectRequestHandler, SubjectRequestViewer
from custos.http import answers
from custos.runtime import Runtime
from custos.subjects import service
from custos.subjects.models import SubjectRequest
from custos.subjects.schemas import AssignIn, FulfilIn, RequestIn, RequestOut, TextIn

router = APIRouter(prefix="/api/subject-requests", tags=["data subjects"])

Reference = Annotated[str, Path(pattern=r"^DSR-\d{1,9}$", description="DSR-n")]


def shown(request: SubjectRequest, runtime: Runtime) -> RequestOut:
    """A request as the API and the pages show it."""
    return RequestOut(
        reference=request.reference,
        received_at=request.received_at,
        channel=request.channel,
        identity_check=request.identity_check,
        times_and_places=request.times_and_places,
        contact=request.contact,
        recorded_by=request.recorded_by,
        due_at=request.due_at,
        late=missed(request.due_at, request.decided_at, runtime.clock.now()),
        extended=request.extended,
        extension_reason=request.extension_reason,
        status=request.status,
        decided_at=request.decided_at,
        decided_by=request.decided_by,
        answer=request.answer,
        case_id=request.case_id,
        export_id=request.export_id,
    )


@router.get("")
def list_requests(
    db: DbSession, runtime: RuntimeDep, caller: SubjectRequestViewer
) -> list[RequestOut]:
    """Every request, newest first, with its answer's due time."""
    return [shown(r, runtime) for r in service.requests(db)]


@router.post("", status_code=status.HTTP_201_CREATED, responses=answers(422))
def receive(
    body: RequestIn, db: DbSession, runtime: RuntimeDep, caller: SubjectRequestHandler
) -> RequestOut:
    """Record a person's request; the answer is due by the profile's period."""
    return shown(service.receive(caller.call(db, runtime), body.asked()), runtime)


@router.get("/{reference}", responses=answers(404))
def get_request(
    reference: Reference, db: DbSession, runtime: RuntimeDep, caller: SubjectRequestViewer
) -> RequestOut:
    """One request."""
    return shown(service.get_request(db, reference), runtime)


@router.post("/{reference}/answer", responses=answers(404, 409))
def answer(
    reference: Reference,
    body: TextIn,
    db: DbSession,
    runtime: RuntimeDep,
    caller: SubjectRequestHandler,
) -> RequestOut:
    """Tell the person what is held of them."""
    return shown(service.answer(caller.call(db, runtime), reference, body.text), runtime)


@router.post("/{reference}/refuse", responses=answers(404, 409))
def refuse(
    reference: Reference,
    body: TextIn,
    db: DbSession,
    runtime: RuntimeDep,
    caller: SubjectRequestHandler,
) -> RequestOut:
    """Refuse, with the legal ground the person is told."""
    return shown(service.refuse(caller.call(db, runtime), reference, body.text), runtime)


@router.post("/{reference}/extend", responses=answers(404, 409))
def extend(
    reference: Reference,
    body: TextIn,
    db: DbSession,
    runtime: RuntimeDep,
    caller: SubjectRequestHandler,
) -> RequestOut:
    """Put the answer off once, where the policy allows, saying why."""
    return shown(service.extend(caller.call(db, runtime), reference, body.text), runtime)


@router.post("/{reference}/assign", responses=answers(404, 409, 422))
def assign(
    reference: Reference,
    body: AssignIn,
    db: DbSession,
    runtime: RuntimeDep,
    caller: SubjectRequestHandler,
) -> RequestOut:
    """Open the request's subject-access case for an investigator, who asks for the person's
    footage, names their track and exports it to them."""
    done = service.assign(caller.call(db, runtime), reference, body.investigator, body.reason)
    return shown(done, runtime)


@router.post("/{reference}/fulfil", responses=answers(404, 409))
def fulfil(
    reference: Reference,
    body: FulfilIn,
    db: DbSession,
    runtime: RuntimeDep,
    caller: SubjectRequestHandler,
) -> RequestOut:
    """Record the export that handed the person their footage; its case closes."""
    return shown(service.fulfil(caller.call(db, runtime), reference, body.export), runtime)
