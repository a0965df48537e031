"""The breach register: record a breach, write its notice, record that it was sent.

Each step is audited in its own transaction. The notice's due time is fixed when the breach is
recorded, from its discovery and the profile in force then.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit.policy import Action
from custos.audit.service import record
from custos.breaches import policy
from custos.breaches.models import Breach
from custos.breaches.policy import Facts, NoticeRule, Status
from custos.context import Call, Context
from custos.db import by_reference
from custos.deadlines import missed
from custos.errors import Conflict, InvalidInput
from custos.profile import Profile


def notice_rule(profile: Profile) -> NoticeRule:
    """The profile's notice period."""
    section = profile.breach
    return NoticeRule(section.notify_within_working_days, section.notify_within_hours)


def record_breach(call: Call, facts: Facts) -> Breach:
    """Enter a breach in the register, its notice due by the profile's period."""
    now = call.clock.now()
    problem = policy.record_problem(facts, now)
    if problem:
        raise InvalidInput(problem[1], field=problem[0])
    due = policy.due_at(
        facts.discovered_at, notice_rule(call.profile), call.profile.calendar.calendar()
    )
    breach = Breach(
        summary=facts.summary.strip(),
        discovered_at=facts.discovered_at,
        categories=sorted(set(facts.categories)),
        people_affected=facts.people_affected,
        consequences=facts.consequences.strip(),
        measures=facts.measures.strip(),
        recorded_by=call.actor.name,
        recorded_at=now,
        due_at=due,
        status=Status.RECORDED,
        notified_at=None,
        notified_by=None,
        notice_channel="",
        notice_reference="",
        notice_text="",
    )
    call.session.add(breach)
    call.session.flush()
    _audit(
        call,
        breach,
        "breach.recorded",
        {
            "discovered_at": breach.discovered_at.isoformat(),
            "due_at": due.isoformat(),
            "categories": breach.categories,
            "people_affected": breach.people_affected,
        },
    )
    call.session.commit()
    return breach


def facts_of(breach: Breach) -> Facts:
    """What a stored breach says, as the rules read it."""
    return Facts(
        summary=breach.summary,
        discovered_at=breach.discovered_at,
        categories=tuple(breach.categories),
        people_affected=breach.people_affected,
        consequences=breach.consequences,
        measures=breach.measures,
    )


def notice(breach: Breach, profile: Profile, controller: str, contact: str) -> str:
    """The notification to the authority, written from the record (as sent, once sent)."""
    if breach.notice_text:
        return breach.notice_text
    return policy.notice_text(
        breach.reference,
        facts_of(breach),
        controller,
        contact,
        profile.breach.authority,
        breach.recorded_at,
        breach.due_at,
    )


def mark_notified(
    call: Call, reference: str, channel: str, sent_reference: str, controller: str, contact: str
) -> Breach:
    """Record that the notice was sent to the authority: how, under what reference, and the
    text as it went."""
    breach = get_breach(call.session, reference)
    if breach.status is Status.NOTIFIED:
        raise Conflict(f"{reference} was notified already, on {breach.notified_at:%Y-%m-%d}")
    if not channel.strip():
        raise InvalidInput("say how the notice was sent (portal, letter, e-mail)", field="channel")
    now = call.clock.now()
    breach.notice_text = notice(breach, call.profile, controller, contact)
    breach.status, breach.notified_at, breach.notified_by = Status.NOTIFIED, now, call.actor.name
    breach.notice_channel, breach.notice_reference = channel.strip(), sent_reference.strip()
    _audit(
        call,
        breach,
        "breach.notified",
        {
            "channel": breach.notice_channel,
            "reference": breach.notice_reference,
            "due_at": breach.due_at.isoformat(),
            "on_time": not missed(breach.due_at, now, now),
        },
    )
    call.session.commit()
    return breach


def get_breach(session: Session, reference: str) -> Breach:
    """The breach BR-n, or NotFound."""
    return by_reference(session, Breach, reference, "BR-", f"no breach {reference} in the register")


def breaches(session: Session) -> Sequence[Breach]:
    """The register, newest first."""
    return list(session.scalars(sa.select(Breach).order_by(Breach.id.desc())))


def overdue(session: Session, now: datetime) -> list[Breach]:
    """Breaches whose notice is past due and not sent."""
    late = sa.select(Breach).where(Breach.status == Status.RECORDED, Breach.due_at < now)
    return list(session.scalars(late.order_by(Breach.id)))


def _audit(call: Call, breach: Breach, event: str, details: dict[str, object]) -> None:
    record(
        call.session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        event,
        object_type="breach",
        object_id=breach.reference,
        context=Context(recipient=call.profile.breach.authority),
        details=details,
    )
