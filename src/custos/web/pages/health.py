"""The health page: every camera at a glance, worst first, and the alerts still open."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from custos.deps import DbSession, HealthViewer, RuntimeDep
from custos.health import service as health
from custos.health.policy import duration_text
from custos.web.templating import render

router = APIRouter(include_in_schema=False)

REFRESH_SECONDS = 5


@router.get("/health")
def health_page(
    request: Request, db: DbSession, runtime: RuntimeDep, caller: HealthViewer
) -> Response:
    """Every camera's state, picture and open gap, worst first; red when down too long."""
    now = runtime.clock.now()
    threshold = runtime.settings.camera_down_alert_seconds
    limits = health.limits_of(threshold)
    cameras = health.camera_health(db, limits, now)
    return render(
        request,
        "health.html",
        principal=caller.principal,
        cameras=cameras,
        verdict=health.system_verdict(db, limits, now, cameras),
        alerts=health.active_alerts(db),
        now=now,
        threshold=duration_text(timedelta(seconds=threshold)),
        refresh_seconds=REFRESH_SECONDS,
        ago=lambda at: _ago(now, at),
        span=lambda seconds: "" if seconds is None else duration_text(timedelta(seconds=seconds)),
    )


def _ago(now: datetime, at: datetime | None) -> str:
    return "" if at is None else duration_text(max(timedelta(0), now - at))
