"""HTTP API of health: every camera at a glance, and the alerts."""

from __future__ import annotations

from fastapi import APIRouter

from custos.deps import DbSession, HealthViewer, RuntimeDep
from custos.health import service
from custos.health.schemas import AlertOut, CameraHealthOut

router = APIRouter(prefix="/api/health", tags=["health"])


@router.get("/cameras", response_model=list[CameraHealthOut])
def camera_health(
    db: DbSession, runtime: RuntimeDep, _caller: HealthViewer
) -> list[CameraHealthOut]:
    """Every camera's state, picture and open gap, worst first."""
    limits = service.limits_of(runtime.settings.camera_down_alert_seconds)
    rows = service.camera_health(db, limits, runtime.clock.now())
    return [CameraHealthOut.model_validate(row) for row in rows]


@router.get("/alerts", response_model=list[AlertOut])
def alerts(db: DbSession, _caller: HealthViewer, active: bool = True) -> list[AlertOut]:
    """The alerts not cleared yet; with `active=false`, the latest hundred of all."""
    rows = service.active_alerts(db) if active else service.list_alerts(db)
    return [AlertOut.model_validate(row) for row in rows]
