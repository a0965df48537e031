"""Prometheus metrics of the web app, in a registry of its own so that apps do not collide."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


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
