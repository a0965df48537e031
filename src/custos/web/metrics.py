"""Prometheus metrics of the web app, in a registry of its own so that apps do not collide.

Besides the requests it answers, the registry reads the cameras' health and the system's
figures at each scrape (`HealthCollector`): camera names are labels, no person is named.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterator

import sqlalchemy as sa
from fastapi import FastAPI, Request, Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from custos.health import service as health
from custos.health.policy import HealthState
from custos.health.service import CameraHealth, SystemFigures
from custos.runtime import Runtime

log = logging.getLogger(__name__)

# Per camera: (metric name, help, the value of a camera's health; None leaves the camera out).
_CAMERA_GAUGES: list[tuple[str, str, Callable[[CameraHealth], float | None]]] = [
    (
        "custos_camera_last_segment_age_seconds",
        "Seconds since the end of the camera's newest stored segment",
        lambda h: h.last_segment_age_s,
    ),
    (
        "custos_camera_stored_bytes",
        "Bytes of footage the camera has stored and not erased",
        lambda h: h.bytes_stored,
    ),
    (
        "custos_camera_stored_segments",
        "Segments the camera has stored and not erased",
        lambda h: h.segments_stored,
    ),
    (
        "custos_camera_open_gaps",
        "Open recording gaps of the camera (0 or 1)",
        lambda h: 1 if h.open_gap_since is not None else 0,
    ),
    (
        "custos_camera_reconnects",
        "Reconnections since the camera's recorder started",
        lambda h: h.reconnects,
    ),
    (
        "custos_camera_lag_seconds",
        "How far the camera's stored footage trails real time",
        lambda h: h.lag_s,
    ),
    (
        "custos_camera_red",
        "1 while the camera is down past camera_down_alert_seconds",
        lambda h: 1 if h.red else 0,
    ),
]

_SYSTEM_GAUGES: list[tuple[str, str, Callable[[SystemFigures], float | None]]] = [
    ("custos_recorders_running", "Recorders reporting now", lambda f: f.recorders_running),
    (
        "custos_spool_segments",
        "Sealed segments waiting in the recorders' spools",
        lambda f: f.spool_segments,
    ),
    ("custos_spool_bytes", "Bytes waiting in the recorders' spools", lambda f: f.spool_bytes),
    (
        "custos_storage_free_bytes",
        "Free bytes where segments are stored",
        lambda f: f.storage_free_bytes,
    ),
    (
        "custos_sweep_lag_seconds",
        "How long the oldest segment due for erasure has waited",
        lambda f: f.sweep_lag_s,
    ),
    ("custos_audit_log_entries", "Entries in the audit log", lambda f: f.audit_log_entries),
    (
        "custos_checkpoint_age_seconds",
        "Seconds since the newest signed checkpoint",
        lambda f: f.checkpoint_age_s,
    ),
    ("custos_alerts_active", "Health alerts not cleared", lambda f: f.alerts_active),
]


class HealthCollector(Collector):
    """Reads the cameras' health and the system's figures from the database at each scrape."""

    def __init__(self, runtime: Callable[[], Runtime]) -> None:
        self._runtime = runtime

    def collect(self) -> Iterator[Metric]:
        """The gauges now; only `custos_database_up 0` when the database cannot be read."""
        runtime = self._runtime()
        up = GaugeMetricFamily("custos_database_up", "1 when the database answers")
        try:
            with runtime.sessions() as session:
                now = runtime.clock.now()
                limits = health.limits_of(runtime.settings.camera_down_alert_seconds)
                cameras = health.camera_health(session, limits, now)
                figures = health.system_figures(session, runtime.blobs, now, cameras)
        except sa.exc.SQLAlchemyError as error:
            log.warning("metrics: the database cannot be read: %s", error.__class__.__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        state = GaugeMetricFamily(
            "custos_camera_state", "1 for the state each camera is in", labels=["camera", "state"]
        )
        for camera in cameras:
            for each in HealthState:
                state.add_metric([camera.camera, each.value], 1 if camera.state is each else 0)
        yield state
        reason = GaugeMetricFamily(
            "custos_camera_reason",
            "1 for why a camera is not recording, in plain words (absent while it records)",
            labels=["camera", "reason"],
        )
        for camera in cameras:
            if camera.reason:
                reason.add_metric([camera.camera, camera.reason], 1)
        yield reason
        for name, text, value in _CAMERA_GAUGES:
            family = GaugeMetricFamily(name, text, labels=["camera"])
            for camera in cameras:
                figure = value(camera)
                if figure is not None:
                    family.add_metric([camera.camera], figure)
            yield family
        for name, text, system_value in _SYSTEM_GAUGES:
            figure = system_value(figures)
            if figure is not None:
                yield GaugeMetricFamily(name, text, value=figure)


class WebMetrics:
    """Request counts and latencies by route template and status."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "custos_http_requests",
            "HTTP requests handled",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "custos_http_request_seconds",
            "Time to answer an HTTP request",
            ["method", "route"],
            registry=self.registry,
        )

    def watch(self, runtime: Callable[[], Runtime]) -> None:
        """Add the health figures of the runtime `runtime()` returns at each scrape."""
        self.registry.register(HealthCollector(runtime))

    def exposition(self) -> Response:
        """The metrics in the Prometheus text format."""
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

    def install(self, app: FastAPI) -> None:
        """Count every request the app answers."""

        @app.middleware("http")
        async def _measure(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            started = time.perf_counter()
            response = await call_next(request)
            route = request.scope.get("route")
            template = getattr(route, "path", "unmatched")
            self.requests.labels(request.method, template, str(response.status_code)).inc()
            self.latency.labels(request.method, template).observe(time.perf_counter() - started)
            return response
