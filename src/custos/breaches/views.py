"""HTTP API of the breach register."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status
from fastapi.responses import PlainTextResponse

from custos.breaches import service
from custos.breaches.models import Breach
from custos.breaches.schemas import BreachIn, BreachOut, NotifiedIn
from custos.deadlines import missed
from custos.deps import BreachManager, BreachViewer, DbSession, RuntimeDep
from custos.http import answers
from custos.runtime import Runtime

router = APIRouter(prefix="/api/breaches", tags=["breaches"])

Reference = Annotated[str, Path(pattern=r"^BR-\d{1,9}$", description="BR-n")]


def shown(breach: Breach, runtime: Runtime) -> BreachOut:
    """A breach as the API and the pages show it."""
    now = runtime.clock.now()
    return BreachOut(
        reference=breach.reference,
        summary=breach.summary,
        discovered_at=breach.discovered_at,
        categories=breach.categories,
        people_affected=breach.people_affected,
        consequences=breach.consequences,
        measures=breach.measures,
        recorded_by=breach.recorded_by,
        recorded_at=breach.recorded_at,
        due_at=breach.due_at,
        overdue=missed(breach.due_at, breach.notified_at, now),
        status=breach.status,
        notified_at=breach.notified_at,
        notified_by=breach.notified_by,
        notice_channel=breach.notice_channel,
        notice_reference=breach.notice_reference,
    )


def sender(runtime: Runtime) -> tuple[str, str]:
    """Who the notice comes from: the organisation and its public contact."""
    settings = runtime.settings
    return settings.organisation, settings.public_contact or settings.organisation


@router.get("")
def list_breaches(db: DbSession, runtime: RuntimeDep, caller: BreachViewer) -> list[BreachOut]:
    """The register, newest first, each with its notice's due time."""
    return [shown(b, runtime) for b in service.breaches(db)]


@router.post("", status_code=status.HTTP_201_CREATED, responses=answers(422))
def record_breach(
    body: BreachIn, db: DbSession, runtime: RuntimeDep, caller: BreachManager
) -> BreachOut:
    """Record a breach; its notice to the authority is due by the profile's period."""
    return shown(service.record_breach(caller.call(db, runtime), body.facts()), runtime)


@router.get("/{reference}", responses=answers(404))
def get_breach(
    reference: Reference, db: DbSession, runtime: RuntimeDep, caller: BreachViewer
) -> BreachOut:
    """One breach."""
    return shown(service.get_breach(db, reference), runtime)


@router.get("/{reference}/notice", response_class=PlainTextResponse, responses=answers(404))
def get_notice(
    reference: Reference, db: DbSession, runtime: RuntimeDep, caller: BreachViewer
) -> str:
    """The notification to the authority, written from the record (as sent, once sent)."""
    breach = service.get_breach(db, reference)
    return service.notice(breach, runtime.policy.profile, *sender(runtime))


@router.post("/{reference}/notified", responses=answers(404, 409))
def mark_notified(
    reference: Reference,
    body: NotifiedIn,
    db: DbSession,
    runtime: RuntimeDep,
    caller: BreachManager,
) -> BreachOut:
    """Record that the notice went to the authority: how, and its reference there."""
    breach = service.mark_notified(
        caller.call(db, runtime), reference, body.channel, body.reference, *sender(runtime)
    )
    return shown(breach, runtime)
