"""Legal holds: placed by an approver on a case, over cameras × windows, reviewed, released.

A live hold keeps what it covers from every kind of erasure. Releasing it (by hand, or because
the case closed or the person was cleared) returns the footage to its normal plan at once.

Retention does not know cases (they are a domain above it): the pages, the API and the command
line place and review holds through `custos.cases.holds`, which first checks that the case is
open and the person is in it, then calls the functions here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit.policy import Action
from custos.audit.service import record
from custos.cameras import service as cameras
from custos.context import Call, Context
from custos.errors import Conflict, InvalidInput, NotFound
from custos.retention.models import HoldScope
from custos.retention.models import LegalHold as LegalHold
from custos.retention.policy import review_overdue
from custos.retention.service import replan


@dataclass(frozen=True)
class Scope:
    """A camera (by name) and a window to hold."""

    camera: str
    start: datetime
    end: datetime


def get_hold(session: Session, hold_id: int) -> LegalHold:
    """The hold numbered `hold_id`, live or released, or NotFound."""
    hold = session.get(LegalHold, hold_id)
    if hold is None:
        raise NotFound(f"no legal hold {hold_id}")
    return hold


def named_scopes(session: Session, held: list[LegalHold]) -> dict[int, list[Scope]]:
    """What each hold covers, its cameras by name, in the order the hold lists them."""
    names = cameras.camera_names(session)
    return {
        hold.id: [
            Scope(names.get(s.camera_id, f"camera {s.camera_id}"), s.starts_at, s.ends_at)
            for s in hold.scopes
        ]
        for hold in held
    }


def place_hold(
    call: Call,
    *,
    case_ref: str,
    scopes: list[Scope],
    reason: str,
    review_due: datetime | None = None,
    person_ref: str | None = None,
) -> LegalHold:
    """Place a hold; what it covers is kept until it is released."""
    hold = stage_hold(
        call,
        case_ref=case_ref,
        scopes=scopes,
        reason=reason,
        review_due=review_due,
        person_ref=person_ref,
    )
    call.session.commit()
    return hold


def stage_hold(
    call: Call,
    *,
    case_ref: str,
    scopes: list[Scope],
    reason: str,
    review_due: datetime | None = None,
    person_ref: str | None = None,
) -> LegalHold:
    """Place a hold inside the caller's transaction, which commits it with its own action."""
    session, profile = call.session, call.profile
    now = call.clock.now()
    if not case_ref.strip():
        raise InvalidInput("a hold is placed on a case: give its reference", field="case_ref")
    if not reason.strip():
        raise InvalidInput("a hold needs a reason", field="reason")
    if not scopes:
        raise InvalidInput("a hold covers at least one camera and window", field="scopes")
    longest = timedelta(days=profile.holds.max_review_interval_days)
    due = review_due or now + timedelta(days=profile.holds.review_interval_days)
    if not now < due <= now + longest:
        raise InvalidInput(
            f"the review date must fall within {profile.holds.max_review_interval_days} days",
            field="review_due",
        )
    camera_ids = cameras.camera_ids(session, [scope.camera for scope in scopes])
    hold = LegalHold(
        case_ref=case_ref.strip(),
        person_ref=person_ref,
        reason=reason.strip(),
        placed_by=call.actor.name,
        placed_at=now,
        review_due=due,
    )
    for scope in scopes:
        camera_id = camera_ids.get(scope.camera)
        if camera_id is None:
            raise NotFound(f"no camera named '{scope.camera}'")
        if scope.end <= scope.start:
            raise InvalidInput("a window must end after it starts", field="scopes")
        hold.scopes.append(HoldScope(camera_id=camera_id, starts_at=scope.start, ends_at=scope.end))
    session.add(hold)
    session.flush()
    for held in hold.scopes:
        replan(session, call.rules, [held.camera_id], held.starts_at, held.ends_at)
    record(
        session,
        call.clock,
        call.actor,
        Action.ALTER,
        "hold.placed",
        object_type="hold",
        object_id=hold.id,
        context=Context(case_ref=hold.case_ref, justification=hold.reason),
        details={
            "person": person_ref,
            "review_due": due.isoformat(),
            "scopes": [[s.camera, s.start.isoformat(), s.end.isoformat()] for s in scopes],
        },
    )
    return hold


def release_hold(call: Call, hold_id: int, reason: str) -> LegalHold:
    """Release a hold: what it covered returns to its normal retention."""
    hold = get_hold(call.session, hold_id)
    if hold.released_at is not None:
        raise Conflict(f"hold {hold_id} was released already")
    if not reason.strip():
        raise InvalidInput("releasing a hold needs a reason", field="reason")
    _release(call, hold, reason.strip())
    call.session.commit()
    return hold


def _release(call: Call, hold: LegalHold, reason: str) -> None:
    session, actor = call.session, call.actor
    hold.released_at, hold.released_by, hold.release_reason = call.clock.now(), actor.name, reason
    session.flush()
    for scope in hold.scopes:
        replan(session, call.rules, [scope.camera_id], scope.starts_at, scope.ends_at)
    record(
        session,
        call.clock,
        actor,
        Action.ALTER,
        "hold.released",
        object_type="hold",
        object_id=hold.id,
        context=Context(case_ref=hold.case_ref, justification=reason),
        details={"person": hold.person_ref},
    )


def review_hold(call: Call, hold_id: int, next_review: datetime, note: str) -> LegalHold:
    """Record that a hold was reviewed and is still needed: kept until `next_review`, when it
    is due for review again (sooner or later than before, within the policy's interval)."""
    profile = call.profile
    hold = get_hold(call.session, hold_id)
    if hold.released_at is not None:
        raise Conflict(f"hold {hold_id} was released already")
    now = call.clock.now()
    if not now < next_review <= now + timedelta(days=profile.holds.max_review_interval_days):
        raise InvalidInput(
            f"the next review must fall within {profile.holds.max_review_interval_days} days",
            field="review_due",
        )
    if not note.strip():
        raise InvalidInput("a review needs a note on why the hold is still needed", field="note")
    previous, hold.review_due = hold.review_due, next_review
    record(
        call.session,
        call.clock,
        call.actor,
        Action.ALTER,
        "hold.reviewed",
        object_type="hold",
        object_id=hold.id,
        context=Context(case_ref=hold.case_ref, justification=note.strip()),
        details={"previous_review": previous.isoformat(), "next_review": next_review.isoformat()},
    )
    call.session.commit()
    return hold


def release_holds_for_case(
    call: Call, case_ref: str, reason: str, person_ref: str | None = None
) -> list[int]:
    """Release every live hold of a case (or only those of one cleared person); returns their ids.

    The access domain calls this when a case closes or a suspicion is refuted, in the
    transaction of that change; the caller commits.
    """
    query = sa.select(LegalHold).where(
        LegalHold.case_ref == case_ref, LegalHold.released_at.is_(None)
    )
    if person_ref is not None:
        query = query.where(LegalHold.person_ref == person_ref)
    released = []
    for hold in call.session.scalars(query):
        _release(call, hold, reason)
        released.append(hold.id)
    return released


def list_holds(session: Session, live_only: bool = True) -> list[LegalHold]:
    """Holds, the ones due for review first."""
    query = sa.select(LegalHold).order_by(LegalHold.review_due)
    if live_only:
        query = query.where(LegalHold.released_at.is_(None))
    return list(session.scalars(query))


def overdue(holds: list[LegalHold], now: datetime) -> list[LegalHold]:
    """The live holds whose review date has passed."""
    return [h for h in holds if h.released_at is None and review_overdue(h.review_due, now)]
