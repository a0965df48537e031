"""HTTP API of retention: the published policy, the plan, states of emergency, sunsets.

Legal holds are placed inside cases: their API is `custos.cases.hold_views`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from custos.cameras.schemas import CameraOut, RetentionChange
from custos.deps import (
    PUBLIC,
    CameraManager,
    DbSession,
    EmergencyManager,
    RetentionViewer,
    RuntimeDep,
)
from custos.http import Id, Time, answers
from custos.retention import emergency
from custos.retention import service as retention
from custos.retention.models import EmergencyRegime
from custos.retention.schemas import (
    PlanItemOut,
    PlanOut,
    PolicyOut,
    RegimeEnd,
    RegimeIn,
    RegimeOut,
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
