"""Data-subject access requests: received, answered (what is held) or refused, put off once
where the policy allows, fulfilled once the footage went out; each step audited in its own
transaction.

The footage itself goes out through a subject-access case: the data protection officer opens
it for an investigator (`assign`), who asks for the person's times and places, has the request
approved by someone else, names the person's track so that everyone else stays masked, and
exports it to the person; the officer then records the export that fulfilled the request
(`fulfil`), which closes the case. The officer never sees the footage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.access import service as access
from custos.audit.policy import Action
from custos.audit.service import record
from custos.cases import service as cases
from custos.context import Actor, Call, Context
from custos.db import by_reference
from custos.deadlines import add_months, missed
from custos.errors import Conflict, InvalidInput
from custos.exports import service as exports
from custos.exports.policy import ExportState, RecipientRole
from custos.profile import Profile
from custos.subjects import policy
from custos.subjects.models import SubjectRequest
from custos.subjects.policy import AnswerRule, Asked, Status


def answer_rule(profile: Profile) -> AnswerRule:
    """The profile's answer period."""
    section = profile.data_subject
    return AnswerRule(
        section.answer_within_working_days, section.answer_within_months, section.extension_months
    )


def receive(call: Call, asked: Asked) -> SubjectRequest:
    """Enter a person's request; its answer is due by the profile's period."""
    now = call.clock.now()
    problem = policy.request_problem(asked, now)
    if problem:
        raise InvalidInput(problem[1], field=problem[0])
    due = policy.due_at(
        asked.received_at, answer_rule(call.profile), call.profile.calendar.calendar()
    )
    request = SubjectRequest(
        received_at=asked.received_at,
        channel=asked.channel,
        identity_check=asked.identity_check.strip(),
        times_and_places=asked.times_and_places.strip(),
        contact=asked.contact.strip(),
        recorded_by=call.actor.name,
        recorded_at=now,
        due_at=due,
        extended=False,
        extension_reason="",
        status=Status.RECEIVED,
        decided_at=None,
        decided_by=None,
        answer="",
    )
    call.session.add(request)
    call.session.flush()
    _audit(
        call,
        request,
        "subject.request_received",
        {"channel": asked.channel, "received_at": asked.received_at.isoformat(),
         "due_at": due.isoformat()},
    )  # fmt: skip
    call.session.commit()
    return request


def extend(call: Call, reference: str, reason: str) -> SubjectRequest:
    """Put the answer off by the policy's extension, once, saying why."""
    request = _open(call.session, reference)
    rule = answer_rule(call.profile)
    problem = policy.extension_problem(rule, request.extended, reason)
    if problem and (rule.extension_months <= 0 or request.extended):
        raise Conflict(problem)  # not for this request, whatever the reason
    if problem:
        raise InvalidInput(problem, field="reason")
    request.due_at = add_months(request.due_at, rule.extension_months)
    request.extended, request.extension_reason = True, reason.strip()
    _audit(call, request, "subject.request_extended", {"due_at": request.due_at.isoformat()},
           reason.strip())  # fmt: skip
    call.session.commit()
    return request


def answer(call: Call, reference: str, held: str) -> SubjectRequest:
    """Tell the person what is held of them (none, or which footage and until when)."""
    return _decide(call, reference, Status.ANSWERED, held, "say what is held of the person")


def refuse(call: Call, reference: str, ground: str) -> SubjectRequest:
    """Refuse the request, with the legal ground the person is told."""
    return _decide(call, reference, Status.REFUSED, ground, "give the legal ground of the refusal")


def _decide(call: Call, reference: str, status: Status, text: str, missing: str) -> SubjectRequest:
    request = _open(call.session, reference)
    if not text.strip():
        raise InvalidInput(missing, field="answer")
    now = call.clock.now()
    request.status, request.decided_at, request.decided_by = status, now, call.actor.name
    request.answer = text.strip()
    event = "subject.request_answered" if status is Status.ANSWERED else "subject.request_refused"
    _audit(call, request, event, {"on_time": not missed(request.due_at, now, now)},
           text.strip())  # fmt: skip
    call.session.commit()
    return request


def assign(call: Call, reference: str, investigator: str, reason: str) -> SubjectRequest:
    """Open the request's subject-access case for `investigator` and list the person as the
    recipient of their footage; one transaction, audited."""
    request = _open(call.session, reference, policy.ASSIGNABLE)
    if request.case_id is not None:
        raise Conflict(f"{reference} has its case already")
    description = (
        f"{reference}: a person asks for the footage of themselves. "
        f"When and where: {request.times_and_places}"
    )
    case = cases.open_subject_case(call, reference, description, investigator, reason)
    recipient = exports.stage_recipient(
        call, name=f"the person of {reference}", organisation="",
        role=RecipientRole.DATA_SUBJECT, contact=request.contact,
    )  # fmt: skip
    request.case_id, request.recipient_id = case.id, recipient.id
    _audit(call, request, "subject.request_assigned",
           {"case": case.reference, "investigator": investigator, "recipient": recipient.id},
           reason.strip())  # fmt: skip
    call.session.commit()
    return request


def fulfil(call: Call, reference: str, export_id: int) -> SubjectRequest:
    """Record the export that handed the person their footage: the request is fulfilled and its
    case closed (its grants revoked), in one transaction."""
    request = _open(call.session, reference, policy.ASSIGNABLE)
    if request.case_id is None:
        raise Conflict(f"{reference} has no case yet: assign it to an investigator first")
    export = exports.get_export(call.session, export_id)
    problem = policy.fulfilment_problem(
        reference, export.id, export.case_id == request.case_id,
        export.recipient_id == request.recipient_id, export.state is ExportState.READY,
    )  # fmt: skip
    if problem:
        raise Conflict(problem)
    now = call.clock.now()
    request.status, request.decided_at, request.decided_by = Status.FULFILLED, now, call.actor.name
    request.export_id = export.id
    request.answer = request.answer or f"the footage went out as export {export.id}"
    _audit(call, request, "subject.request_fulfilled",
           {"export": export.id, "on_time": not missed(request.due_at, now, now)})  # fmt: skip
    case = cases.get_case_by_id(call.session, request.case_id)
    access.close_case(call, case.reference, f"{reference} fulfilled by export {export.id}")
    return request


@dataclass(frozen=True)
class Progress:
    """Where the footage of a request stands: its case and who works on it, the access
    requests and grants in it, and the exports made from it."""

    case: cases.Case
    investigators: list[str]
    requests: list[access.AccessRequest]
    grants: list[access.Grant]
    exports: list[exports.Export]


def progress(session: Session, viewer: Actor, request: SubjectRequest) -> Progress | None:
    """The footage side of a request, or None before it is assigned."""
    if request.case_id is None:
        return None
    case = cases.get_case_by_id(session, request.case_id)
    return Progress(
        case,
        sorted(cases.member_names(session, case.id)),
        access.list_requests(session, viewer, case_id=case.id),
        access.list_grants(session, viewer, case_id=case.id),
        exports.exports(session, case.id),
    )


def get_request(session: Session, reference: str) -> SubjectRequest:
    """The request DSR-n, or NotFound."""
    return by_reference(
        session, SubjectRequest, reference, "DSR-", f"no data-subject request {reference}"
    )


def _open(
    session: Session, reference: str, statuses: frozenset[Status] = policy.OPEN
) -> SubjectRequest:
    request = get_request(session, reference)
    if request.status not in statuses:
        raise Conflict(f"{reference} was {request.status.value} already")
    return request


def requests(session: Session) -> Sequence[SubjectRequest]:
    """Every request, newest first."""
    return list(session.scalars(sa.select(SubjectRequest).order_by(SubjectRequest.id.desc())))


def due_soon(session: Session, now: datetime, ahead: timedelta) -> list[SubjectRequest]:
    """Open requests whose answer is due within `ahead` of `now`, or past due."""
    query = sa.select(SubjectRequest).where(
        SubjectRequest.status.in_(policy.OPEN), SubjectRequest.due_at <= now + ahead
    )
    return list(session.scalars(query.order_by(SubjectRequest.id)))


def _audit(
    call: Call,
    request: SubjectRequest,
    event: str,
    details: dict[str, object],
    justification: str | None = None,
) -> None:
    record(
        call.session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        event,
        object_type="subject_request",
        object_id=request.reference,
        context=Context(justification=justification),
        details=details,
    )
