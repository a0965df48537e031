"""Pages of the breach register: the register with its form, one breach with the notice to
the authority and the form that records its sending."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from custos.breaches import service
from custos.breaches.models import Breach
from custos.breaches.policy import CATEGORIES, Facts
from custos.breaches.views import sender, shown
from custos.clock import parse_time
from custos.deps import BreachManager, BreachViewer, Caller, DbSession, RuntimeDep
from custos.web import forms
from custos.web.templating import render

router = APIRouter(include_in_schema=False)

RECORD, NOTIFIED = "record", "notified"
Reference = Annotated[str, Path(pattern=r"^BR-\d{1,9}$")]


def _register(
    request: Request, db: DbSession, runtime: RuntimeDep, caller: Caller, form: forms.Form
) -> Response:
    return render(
        request,
        "breaches.html",
        status_code=form.status,
        principal=caller.principal,
        breaches=[shown(b, runtime) for b in service.breaches(db)],
        categories=CATEGORIES,
        period=service.notice_rule(runtime.policy.profile).words(),
        authority=runtime.policy.profile.breach.authority,
        form=form,
    )


@router.get("/breaches")
def register(
    request: Request, db: DbSession, runtime: RuntimeDep, caller: BreachViewer
) -> Response:
    """The breach register, newest first, with each notice's due time; the form to record one."""
    return _register(request, db, runtime, caller, forms.Form(RECORD))


@router.post("/breaches")
def record(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: BreachManager,
    summary: Annotated[str, Form()] = "",
    discovered_at: Annotated[str, Form()] = "",
    categories: Annotated[list[str] | None, Form()] = None,
    people_affected: Annotated[str, Form()] = "",
    consequences: Annotated[str, Form()] = "",
    measures: Annotated[str, Form()] = "",
) -> Response:
    """Record a breach; its notice is due by the profile's period from its discovery."""
    form = forms.Form(
        RECORD,
        forms.typed(
            summary=summary,
            discovered_at=discovered_at,
            categories=categories,
            people_affected=people_affected,
            consequences=consequences,
            measures=measures,
        ),
    )

    def _record() -> Breach:
        count = people_affected.strip()
        return service.record_breach(
            caller.call(db, runtime),
            Facts(
                summary=summary,
                discovered_at=parse_time(discovered_at.strip(), "discovered_at"),
                categories=tuple(categories or ()),
                people_affected=int(count) if count.isdigit() else -1,
                consequences=consequences,
                measures=measures,
            ),
        )

    return forms.act(
        db,
        form,
        _record,
        lambda breach: f"/breaches/{breach.reference}",
        lambda refused: _register(request, db, runtime, caller, refused),
    )


def _breach_page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Caller,
    reference: str,
    form: forms.Form | None = None,
) -> Response:
    breach = service.get_breach(db, reference)
    form = form or forms.Form(NOTIFIED)
    return render(
        request,
        "breach.html",
        status_code=form.status,
        principal=caller.principal,
        breach=shown(breach, runtime),
        notice=service.notice(breach, runtime.policy.profile, *sender(runtime)),
        categories=CATEGORIES,
        authority=runtime.policy.profile.breach.authority,
        form=form,
    )


@router.get("/breaches/{reference}")
def breach_page(
    reference: Reference,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: BreachViewer,
) -> Response:
    """One breach: what happened, when its notice is due, the notice itself."""
    return _breach_page(request, db, runtime, caller, reference)


@router.post("/breaches/{reference}/notified")
def notified(
    reference: Reference,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: BreachManager,
    channel: Annotated[str, Form()] = "",
    sent_reference: Annotated[str, Form()] = "",
) -> Response:
    """Record that the notice went to the authority."""
    form = forms.Form(NOTIFIED, forms.typed(channel=channel, sent_reference=sent_reference))
    return forms.act(
        db,
        form,
        lambda: service.mark_notified(
            caller.call(db, runtime), reference, channel, sent_reference, *sender(runtime)
        ),
        lambda _breach: f"/breaches/{reference}",
        lambda refused: _breach_page(request, db, runtime, caller, reference, refused),
    )
