"""HTTP API of retention: the published policy, the plan, holds, states of emergency, sunsets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status

from custos.cameras.schemas import CameraOut, RetentionChange
from custos.deps import (
    PUBLIC,
    CameraManager,
    DbSession,
    EmergencyManager,
    HoldManager,
    HoldViewer,
    RetentionViewer,
    RuntimeDep,
)
from custos.http import Id, Time, answers
from custos.retention import emergency, holds
from custos.retention import service as retention
from custos.retention.models import EmergencyRegime, LegalHold
from custos.retention.schemas import (
    HoldIn,
    HoldOut,
    PlanItemOut,
    PlanOut,
    PolicyOut,
    RegimeEnd,
    RegimeIn,
    RegimeOut,
    ReleaseIn,
)

public = APIRouter(tags=["retention"])
api = APIRouter(prefix="/api", tags=["retention"])


@public.get("/policy", dependencies=[PUBLIC])
def published_policy(runtime: RuntimeDep) -> PolicyOut:
    """The retention and access policy in force, read-only, with the hash of its text."""
    loaded = runtime.policy
    return PolicyOut(
        name=loaded.profile.name,
        version=loaded.profile.version,
        title=loaded.profile.title,
        sha256=loaded.sha256,
        source=loaded.source,
        profile=loaded.profile.model_dump(),
        toml=loaded.text,
    )


@public.get("/transparency/sunsets", dependencies=[PUBLIC])
def sunsets(db: DbSession) -> list[dict[str, object]]:
    """Sunset reports of ended states of emergency: counts and reasons, no personal data."""
    return [
        {"published_at": r.published_at.isoformat(), **r.report}
        for r in emergency.sunset_reports(db)
    ]


@api.get("/retention/plan")
def plan(
    db: DbSession,
    runtime: RuntimeDep,
    _caller: RetentionViewer,
    at: Time | None = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> PlanOut:
    """The erasures due by `at` (default now), re-decided from fresh facts."""
    moment = at or runtime.clock.now()
    items = retention.due(db, runtime.rules, moment, limit=limit)
    return PlanOut(
        at=moment,
        summary=retention.plan_summary(items),
        segments=[
            PlanItemOut(
                segment=i.segment_id,
                camera=i.camera,
                started_at=i.started_at,
                expires_at=i.expires_at,
                reason=i.reason.value,
                rule=i.detail,
            )
            for i in items
        ],
    )


def _hold_out(hold: LegalHold, now: datetime) -> HoldOut:
    return HoldOut(
        id=hold.id,
        case_ref=hold.case_ref,
        person_ref=hold.person_ref,
        reason=hold.reason,
        review_due=hold.review_due,
        released_at=hold.released_at,
        overdue=hold.released_at is None and hold.review_due <= now,
    )


@api.get("/holds")
def list_holds(db: DbSession, runtime: RuntimeDep, _caller: HoldViewer) -> list[HoldOut]:
    """Live holds, the ones due for review first."""
    now = runtime.clock.now()
    return [_hold_out(h, now) for h in holds.list_holds(db)]


@api.post("/holds", status_code=status.HTTP_201_CREATED, responses=answers(404))
def place_hold(data: HoldIn, db: DbSession, runtime: RuntimeDep, caller: HoldManager) -> HoldOut:
    """Place a legal hold on a case over cameras × windows."""
    hold = holds.place_hold(
        caller.call(db, runtime),
        case_ref=data.case_ref,
        person_ref=data.person_ref,
        reason=data.reason,
        review_due=data.review_due,
        scopes=[holds.Scope(s.camera, s.start, s.end) for s in data.scopes],
    )
    return _hold_out(hold, runtime.clock.now())


@api.post("/holds/{hold_id}/release", responses=answers(409))
def release_hold(
    hold_id: Id, data: ReleaseIn, db: DbSession, runtime: RuntimeDep, caller: HoldManager
) -> HoldOut:
    """Release a hold."""
    hold = holds.release_hold(caller.call(db, runtime), hold_id, data.reason)
    return _hold_out(hold, runtime.clock.now())


def _regime_out(regime: EmergencyRegime) -> RegimeOut:
    return RegimeOut(
        id=regime.id,
        regions=regime.regions,
        start=regime.starts_at,
        end=regime.ends_at,
        decree_ref=regime.decree_ref,
    )


@api.get("/emergencies")
def list_emergencies(db: DbSession, _caller: RetentionViewer) -> list[RegimeOut]:
    """States of emergency, newest first."""
    return [_regime_out(r) for r in emergency.list_regimes(db)]


@api.post("/emergencies", status_code=status.HTTP_201_CREATED)
def declare(
    data: RegimeIn, db: DbSession, runtime: RuntimeDep, caller: EmergencyManager
) -> RegimeOut:
    """Record a state of emergency."""
    regime = emergency.declare(
        caller.call(db, runtime),
        regions=data.regions,
        start=data.start,
        end=data.end,
        decree_ref=data.decree_ref,
    )
    return _regime_out(regime)


@api.post("/emergencies/{regime_id}/end", responses=answers(409))
def end_emergency(
    regime_id: Id, data: RegimeEnd, db: DbSession, runtime: RuntimeDep, caller: EmergencyManager
) -> RegimeOut:
    """Record the end of a state of emergency."""
    regime = emergency.end_regime(caller.call(db, runtime), regime_id, data.end)
    return _regime_out(regime)


# A camera keeps footage longer only within what the policy allows: retention decides it.


@api.put("/cameras/{name}/retention", response_model=CameraOut, tags=["cameras"])
def set_retention(
    name: str, change: RetentionChange, db: DbSession, runtime: RuntimeDep, caller: CameraManager
) -> CameraOut:
    """Set how long a camera keeps footage; longer than the default needs the policy's reasons."""
    camera = retention.set_camera_retention(
        caller.call(db, runtime),
        name,
        change.days,
        change.justification,
        change.dpia_reference,
    )
    return CameraOut.model_validate(camera)
