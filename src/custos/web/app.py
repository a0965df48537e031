"""The app factory: builds the FastAPI app around a runtime it is given."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from custos import __version__
from custos.access import views as access_views
from custos.audit import views as audit_views
from custos.breaches import views as breach_views
from custos.cameras import views as camera_views
from custos.cases import hold_views
from custos.cases import views as case_views
from custos.deps import PUBLIC, DbSession, RuntimeDep
from custos.devices import views as device_views
from custos.dpia import views as dpia_views
from custos.exports import views as export_views
from custos.health import service as health
from custos.health import views as health_views
from custos.inspection import views as inspection_views
from custos.recording import views as recording_views
from custos.recording.live import LiveHubs
from custos.register import views as register_views
from custos.retention import incident_views
from custos.retention import views as retention_views
from custos.runtime import Runtime
from custos.subjects import views as subject_views
from custos.transparency import views as transparency_views
from custos.users import service as user_service
from custos.users import views as user_views
from custos.web import csrf, errors, pages
from custos.web.metrics import WebMetrics
from custos.web.pages import public as public_pages

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    # The review player plays a masked clip it fetched itself (to read its track list).
    "media-src 'self' blob:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on form posts.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
# Sent only on answers that went over TLS: a browser that saw it once never again asks this host
# over plain HTTP (where a cookie or a form could be read or changed on the way), for a year.
HSTS = "max-age=31536000"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """When the server stops, the live hubs close their camera connections."""
    yield
    app.state.live_hubs.close()


def create_app(runtime: Runtime) -> FastAPI:
    """A Custos web app serving `runtime`'s database and storage."""
    app = FastAPI(
        title="Custos",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        description="Video monitoring with the law's guarantees enforced by the software.",
        # Before any route: a change sent with a cookie must come from one of our pages.
        dependencies=[Depends(csrf.check)],
        lifespan=_lifespan,
    )
    app.state.runtime = runtime
    app.state.authenticator = user_service.Accounts()
    # One connection per camera, shared by every live viewer of this process.
    app.state.live_hubs = LiveHubs(runtime.detectors, runtime.taps)
    metrics = WebMetrics()
    metrics.watch(lambda: app.state.runtime)
    app.state.metrics = metrics

    @app.middleware("http")
    async def _security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.scheme == "https":
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    metrics.install(app)
    errors.install(app)
    app.add_middleware(errors.RefuseNul)
    app.include_router(_system_router(metrics))
    app.include_router(user_views.router)
    app.include_router(camera_views.router)
    app.include_router(recording_views.router)
    app.include_router(audit_views.transparency)
    app.include_router(audit_views.api)
    app.include_router(incident_views.router)
    app.include_router(public_pages.router)  # /policy: a page for browsers, JSON otherwise
    app.include_router(retention_views.public)
    app.include_router(retention_views.api)
    app.include_router(case_views.router)
    app.include_router(hold_views.router)
    app.include_router(access_views.router)
    app.include_router(health_views.router)
    app.include_router(export_views.router)
    app.include_router(export_views.public)
    app.include_router(export_views.exports_api)
    app.include_router(export_views.downloads)
    app.include_router(dpia_views.router)
    app.include_router(breach_views.router)
    app.include_router(subject_views.router)
    app.include_router(device_views.router)
    app.include_router(register_views.router)
    app.include_router(inspection_views.router)
    app.include_router(transparency_views.router)
    app.include_router(pages.router)
    app.mount(
        "/static",
        StaticFiles(directory=str(resources.files("custos.web") / "static")),
        name="static",
    )
    return app


def _system_router(metrics: WebMetrics) -> APIRouter:
    router = APIRouter(tags=["system"])

    @router.get(
        "/healthz",
        dependencies=[PUBLIC],
        responses={
            503: {
                "description": "down: the database is unreachable (the same body as 200)",
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        },
    )
    def healthz(db: DbSession, runtime: RuntimeDep) -> JSONResponse:
        """ok; degraded (still 200) with the reasons; down (503) when the database is unreachable.

        Degraded: the recorders are not running, a camera is down past the threshold, or
        storage refuses writes. Reasons name cameras, never people.
        """
        limits = health.limits_of(runtime.settings.camera_down_alert_seconds)
        try:
            db.execute(sa.text("SELECT 1"))
            verdict = health.system_verdict(db, limits, runtime.clock.now())
        except sa.exc.SQLAlchemyError as error:
            return JSONResponse(
                {
                    "status": "down",
                    "version": __version__,
                    "reasons": ["database unreachable"],
                    "database": str(error.__class__.__name__),
                },
                status_code=503,
            )
        return JSONResponse(
            {"status": verdict.status.value, "version": __version__, "reasons": verdict.reasons}
        )

    @router.get("/metrics", dependencies=[PUBLIC], include_in_schema=False)
    def prometheus_metrics() -> Response:
        """Prometheus metrics (no personal data)."""
        return metrics.exposition()

    return router
