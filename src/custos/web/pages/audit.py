"""The audit log page for oversight: size, checkpoints and cosignatures, and an entry browser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from custos.audit import checkpoint as checkpoints
from custos.audit import log as audit_log
from custos.audit.policy import Action, Outcome
from custos.audit.service import EntryFilter, read_entries
from custos.deps import AuditReader, DbSession, RuntimeDep
from custos.errors import InvalidInput
from custos.http import Index
from custos.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/audit")
def audit_page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: AuditReader,
    event: str = "",
    action: str = "",
    actor: str = "",
    object_id: str = "",
    outcome: str = "",
    since: str = "",
    until: str = "",
    before: Index | None = None,
    hide_collection: bool = False,
) -> Response:
    """The audit log for oversight: size, checkpoints and cosignatures, and an entry browser.

    An event ending in '.' or '*' is a prefix ('access.' finds every access event); collection
    (segments named, gaps, recorders' claims) can be hidden.
    """
    prefix = event.rstrip("*") if event.endswith(("*", ".")) else ""
    try:
        where = EntryFilter(
            event=(event or None) if not prefix else None,
            event_prefix=prefix or None,
            hidden_action=Action.COLLECT.value if hide_collection else None,
            action=action or None,
            actor=actor or None,
            object_id=object_id or None,
            outcome=outcome or None,
            since=_day(since),
            until=_day(until, end=True),
            before_seq=before,
        )
    except (ValueError, OverflowError):  # not a date, or a day after which no day comes
        raise InvalidInput("dates are YYYY-MM-DD") from None
    page_size = 50
    found = read_entries(caller.call(db, runtime), where, page_size + 1)
    recent = checkpoints.recent_checkpoints(db, 10)
    return render(
        request,
        "audit.html",
        principal=caller.principal,
        size=audit_log.size(db),
        origin=audit_log.origin(db),
        vkey=checkpoints.log_signer(db, runtime.log_key).verifier.vkey(),
        checkpoints=[(c, checkpoints.cosignatures(db, c)) for c in recent],
        entries=found[:page_size],
        more=found[page_size - 1].seq if len(found) > page_size else None,
        filters={
            "event": event,
            "action": action,
            "actor": actor,
            "object_id": object_id,
            "outcome": outcome,
            "since": since,
            "until": until,
            "hide_collection": "1" if hide_collection else "",
        },
        actions=[a.value for a in Action],
        outcomes=[o.value for o in Outcome],
    )


def _day(text: str, end: bool = False) -> datetime | None:
    if not text:
        return None
    day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    return day + timedelta(days=1) if end else day
