"""Pages of data-subject access requests: the register with its form, one request with the
forms that answer it, refuse it or put it off."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from custos.access import service as access
from custos.cases import service as cases
from custos.clock import parse_time
from custos.deps import Caller, DbSession, RuntimeDep, SubjectRequestHandler, SubjectRequestViewer
from custos.errors import InvalidInput
from custos.exports.policy import ExportState
from custos.subjects import service
from custos.subjects.models import SubjectRequest
from custos.subjects.policy import ASSIGNABLE, CHANNEL_NAMES, Asked
from custos.subjects.views import shown
from custos.web import forms
from custos.web.templating import render

router = APIRouter(include_in_schema=False)

RECEIVE, DECIDE, EXTEND, ASSIGN, FULFIL = "receive", "decide", "extend", "assign", "fulfil"
Reference = Annotated[str, Path(pattern=r"^DSR-\d{1,9}$")]


def _register(
    request: Request, db: DbSession, runtime: RuntimeDep, caller: Caller, form: forms.Form
) -> Response:
    return render(
        request,
        "subject_requests.html",
        status_code=form.status,
        principal=caller.principal,
        requests=[shown(r, runtime) for r in service.requests(db)],
        channels=CHANNEL_NAMES,
        period=service.answer_rule(runtime.policy.profile).words(),
        form=form,
    )


@router.get("/subject-requests")
def register(
    request: Request, db: DbSession, runtime: RuntimeDep, caller: SubjectRequestViewer
) -> Response:
    """The requests of the people filmed, newest first, with each answer's due time."""
    return _register(request, db, runtime, caller, forms.Form(RECEIVE))


@router.post("/subject-requests")
def receive(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: SubjectRequestHandler,
    received_at: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "",
    identity_check: Annotated[str, Form()] = "",
    times_and_places: Annotated[str, Form()] = "",
    contact: Annotated[str, Form()] = "",
) -> Response:
    """Record a person's request; its answer is due by the profile's period."""
    form = forms.Form(
        RECEIVE,
        forms.typed(
            received_at=received_at,
            channel=channel,
            identity_check=identity_check,
            times_and_places=times_and_places,
            contact=contact,
        ),
    )

    def _receive() -> SubjectRequest:
        asked = Asked(
            parse_time(received_at.strip(), "received_at"),
            channel,
            identity_check,
            times_and_places,
            contact,
        )
        return service.receive(caller.call(db, runtime), asked)

    return forms.act(
        db,
        form,
        _receive,
        lambda made: f"/subject-requests/{made.reference}",
        lambda refused: _register(request, db, runtime, caller, refused),
    )


def _request_page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Caller,
    reference: str,
    form: forms.Form | None = None,
) -> Response:
    found = service.get_request(db, reference)
    form = form or forms.Form(DECIDE)
    rule = service.answer_rule(runtime.policy.profile)
    progress = service.progress(db, caller.actor, found)
    grants = progress.grants if progress else []
    return render(
        request,
        "subject_request.html",
        status_code=form.status,
        principal=caller.principal,
        req=shown(found, runtime),
        progress=progress,
        grant_states={g.id: access.state_of(db, runtime.clock, g).value for g in grants},
        to_the_person=[
            e.id
            for e in (progress.exports if progress else [])
            if e.recipient_id == found.recipient_id and e.state is ExportState.READY
        ],
        investigators=cases.investigators(db),
        assignable=found.status in ASSIGNABLE,
        may_extend=rule.extension_months > 0 and not found.extended,
        channel_name=CHANNEL_NAMES.get(found.channel, found.channel),
        extension_months=rule.extension_months,
        form=form,
    )


@router.get("/subject-requests/{reference}")
def request_page(
    reference: Reference,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: SubjectRequestViewer,
) -> Response:
    """One request: what the person said, when the answer is due, the answer."""
    return _request_page(request, db, runtime, caller, reference)


@router.post("/subject-requests/{reference}/decide")
def decide(
    reference: Reference,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: SubjectRequestHandler,
    answer: Annotated[str, Form()] = "",
    refuse: Annotated[str, Form()] = "",
) -> Response:
    """Answer (what is held), or refuse with the legal ground when `refuse` is set."""
    form = forms.Form(DECIDE, forms.typed(answer=answer, refuse=refuse))
    act = service.refuse if refuse else service.answer
    return forms.act(
        db,
        form,
        lambda: act(caller.call(db, runtime), reference, answer),
        lambda _done: f"/subject-requests/{reference}",
        lambda refused: _request_page(request, db, runtime, caller, reference, refused),
    )


@router.post("/subject-requests/{reference}/extend")
def extend(
    reference: Reference,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: SubjectRequestHandler,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Put the answer off once, where the policy allows, saying why."""
    form = forms.Form(EXTEND, forms.typed(reason=reason))
    return forms.act(
        db,
        form,
        lambda: service.extend(caller.call(db, runtime), reference, reason),
        lambda _done: f"/subject-requests/{reference}",
        lambda refused: _request_page(request, db, runtime, caller, reference, refused),
    )


@router.post("/subject-requests/{reference}/assign")
def assign(
    reference: Reference,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: SubjectRequestHandler,
    investigator: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Open the request's case for the investigator who is to hand the person their footage."""
    form = forms.Form(ASSIGN, forms.typed(investigator=investigator, reason=reason))
    return forms.act(
        db,
        form,
        lambda: service.assign(caller.call(db, runtime), reference, investigator, reason),
        lambda _done: f"/subject-requests/{reference}",
        lambda refused: _request_page(request, db, runtime, caller, reference, refused),
    )


@router.post("/subject-requests/{reference}/fulfil")
def fulfil(
    reference: Reference,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: SubjectRequestHandler,
    export: Annotated[str, Form()] = "",
) -> Response:
    """Record the export that handed the person their footage; the case closes."""
    form = forms.Form(FULFIL, forms.typed(export=export))

    def _fulfil() -> SubjectRequest:
        if not export.strip().isdigit():
            raise InvalidInput("choose the export that went to the person", field="export")
        return service.fulfil(caller.call(db, runtime), reference, int(export))

    return forms.act(
        db,
        form,
        _fulfil,
        lambda _done: f"/subject-requests/{reference}",
        lambda refused: _request_page(request, db, runtime, caller, reference, refused),
    )
