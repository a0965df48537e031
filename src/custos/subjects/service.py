"""Data-subject access requests: received, answered (what is held) or refused, put off once
where the policy allows; each step audited in its own transaction.

The footage itself goes out through a scoped access request the DPO files, another person
approves, and an export to the person (`exports`); this register keeps the request, its
deadline and its answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit.policy import Action
from custos.audit.service import record
from custos.context import Call, Context
from custos.deadlines import add_months, missed
from custos.errors import Conflict, InvalidInput, NotFound
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


def get_request(session: Session, reference: str) -> SubjectRequest:
    """The request DSR-n, or NotFound."""
    number = reference.removeprefix("DSR-")
    found = session.get(SubjectRequest, int(number)) if number.isdigit() else None
    if found is None:
        raise NotFound(f"no data-subject request {reference}")
    return found


def _open(session: Session, reference: str) -> SubjectRequest:
    request = get_request(session, reference)
    if request.status not in policy.OPEN:
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
