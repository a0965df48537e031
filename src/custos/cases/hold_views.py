"""HTTP API of legal holds: placed and reviewed inside open cases, released, listed."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status

from custos.cases import holds
from custos.deps import DbSession, HoldManager, HoldViewer, RuntimeDep
from custos.http import Id, answers
from custos.retention.holds import Scope
from custos.retention.schemas import HeldScopeOut, HoldIn, HoldOut, ReleaseIn, ReviewIn

router = APIRouter(prefix="/api/holds", tags=["holds"])


def _out(listed: holds.Listed, now: datetime) -> HoldOut:
    hold = listed.hold
    return HoldOut(
        id=hold.id,
        case_ref=hold.case_ref,
        person_ref=hold.person_ref,
        reason=hold.reason,
        review_due=hold.review_due,
        released_at=hold.released_at,
        overdue=hold.released_at is None and hold.review_due <= now,
        scopes=[HeldScopeOut(camera=s.camera, start=s.start, end=s.end) for s in listed.scopes],
        orphaned=listed.orphaned is not None,
        orphan_reason=listed.orphaned,
    )


@router.get("")
def list_holds(
    db: DbSession, runtime: RuntimeDep, _caller: HoldViewer, orphaned: bool = False
) -> list[HoldOut]:
    """Live holds, the ones due for review first; `orphaned=true`: only those in no open case."""
    now = runtime.clock.now()
    return [_out(listed, now) for listed in holds.list_holds(db, orphaned_only=orphaned)]


@router.post("", status_code=status.HTTP_201_CREATED, responses=answers(404, 409))
def place_hold(data: HoldIn, db: DbSession, runtime: RuntimeDep, caller: HoldManager) -> HoldOut:
    """Place a legal hold inside an open case over cameras × windows (404: no such case,
    409: the case is closed)."""
    hold = holds.place_hold(
        caller.call(db, runtime),
        case_ref=data.case_ref,
        person_ref=data.person_ref,
        reason=data.reason,
        review_due=data.review_due,
        scopes=[Scope(s.camera, s.start, s.end) for s in data.scopes],
    )
    return _out(holds.describe(db, hold), runtime.clock.now())


@router.post("/{hold_id}/review", responses=answers(409))
def review_hold(
    hold_id: Id, data: ReviewIn, db: DbSession, runtime: RuntimeDep, caller: HoldManager
) -> HoldOut:
    """Review a hold: still needed, kept until `keep_until`, when it is due for review again."""
    hold = holds.review_hold(caller.call(db, runtime), hold_id, data.keep_until, data.reason)
    return _out(holds.describe(db, hold), runtime.clock.now())


@router.post("/{hold_id}/release", responses=answers(409))
def release_hold(
    hold_id: Id, data: ReleaseIn, db: DbSession, runtime: RuntimeDep, caller: HoldManager
) -> HoldOut:
    """Release a hold (orphaned ones too)."""
    hold = holds.release_hold(caller.call(db, runtime), hold_id, data.reason)
    return _out(holds.describe(db, hold), runtime.clock.now())
