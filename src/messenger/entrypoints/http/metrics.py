"""``GET /metrics`` in the Prometheus text format (``MESSENGER_METRICS=1``).

Requests are counted by Litestar's Prometheus middleware (by route template and status,
with latency histograms); the server's own series come from ``messenger.metrics.Metrics``,
read at scrape time. Everything lives in a registry of this app's own, not the process-wide
default one: an embedder or a test may build many apps in one process.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterable
from typing import Any

from litestar import Request, Response, get
from litestar.enums import ScopeType
from litestar.handlers import HTTPRouteHandler
from litestar.plugins.prometheus import PrometheusConfig, PrometheusMiddleware
from litestar.types import Message, Receive, Scope, Send
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
)
from prometheus_client import Histogram as PromHistogram
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from messenger.contract import ErrorCode
from messenger.entrypoints.http.errors import problem_response
from messenger.metrics import Metrics

METRICS_PATH = "/metrics"


class ServerCollector(Collector):
    """The ``Metrics`` the parts registered, as Prometheus metric families."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterable[Metric]:
        families: dict[str, Any] = {}
        for reading in self._metrics.readings:
            names = [k for k, _ in reading.labels]
            family = families.get(reading.name)
            if family is None:
                kind = CounterMetricFamily if reading.kind == "counter" else GaugeMetricFamily
                family = families[reading.name] = kind(reading.name, reading.help, labels=names)
            family.add_metric([v for _, v in reading.labels], float(reading.read()))
        for series in self._metrics.histograms:
            family = families.get(series.name)
            if family is None:
                family = families[series.name] = HistogramMetricFamily(
                    series.name, series.help, labels=[k for k, _ in series.labels]
                )
            h = series.histogram
            buckets, running = [], 0
            for bound, count in zip((*h.bounds, float("inf")), h.counts, strict=True):
                running += count
                buckets.append((_le(bound), float(running)))
            family.add_metric([v for _, v in series.labels], buckets, h.sum)
        yield from families.values()


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(float(bound))


class _RequestMetrics(PrometheusMiddleware):
    """Litestar's middleware with the same series, counted into the app's registry (its
    class keeps them in the process-wide one) and at a fraction of its cost: its own
    ``__call__`` built a ``Request`` and looked up four labelled children per request,
    about as much CPU as a small request itself; here a request costs two dict lookups,
    a clock read and three increments."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        config = self._config
        assert isinstance(config, _Config)
        method: str = scope["method"]  # type: ignore[typeddict-item]
        path: str = scope.get("path_template") or scope["path"]
        progress = config.in_progress.get((method, path))
        if progress is None:
            progress = config.in_progress[method, path] = config.gauge.labels(
                method, path, "messenger"
            )
        status = 500  # unless the app starts a response

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        progress.inc()
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_status)
        finally:
            elapsed = time.perf_counter() - started
            progress.dec()
            children = config.done.get((method, path, status))
            if children is None:
                children = config.done[method, path, status] = config.children(method, path, status)
            count, duration, errors = children
            count.inc()
            duration.observe(elapsed)
            if errors is not None:
                errors.inc()


class _Config(PrometheusConfig):
    """The plugin's configuration with the app's own series and their labelled children."""

    def attach(self, registry: CollectorRegistry) -> None:
        labels = ("method", "path", "status_code", "app_name")
        prefix = self.prefix
        self.requests = Counter(
            f"{prefix}_requests", "Requests answered", labels, registry=registry
        )
        self.durations = PromHistogram(
            f"{prefix}_request_duration_seconds",
            "Request duration, in seconds",
            labels,
            registry=registry,
        )
        self.errors = Counter(
            f"{prefix}_requests_error",
            "Requests answered with a 5xx status",
            labels,
            registry=registry,
        )
        self.gauge = Gauge(
            f"{prefix}_requests_in_progress",
            "Requests being handled",
            ("method", "path", "app_name"),
            registry=registry,
        )
        self.in_progress: dict[tuple[str, str], Any] = {}
        self.done: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}

    def children(self, method: str, path: str, status: int) -> tuple[Any, Any, Any]:
        values = (method, path, str(status), self.app_name)
        errors = self.errors.labels(*values) if status >= 500 else None
        return self.requests.labels(*values), self.durations.labels(*values), errors


def request_metrics(registry: CollectorRegistry) -> PrometheusConfig:
    """The request middleware's configuration, counting into ``registry``."""
    config = _Config(
        app_name="messenger",
        prefix="messenger_http",
        # By route template ("/api/v1/chats/{chat_id}"), not by path: one series per
        # route, whatever the ids.
        group_path=True,
        # Sockets are counted by the hub: a socket "request" lasts hours.
        scopes={ScopeType.HTTP},
        middleware_class=_RequestMetrics,
    )
    config.attach(registry)
    return config


def metrics_handler(registry: CollectorRegistry, token: str | None) -> HTTPRouteHandler:
    """``GET /metrics``; with a ``token``, only for ``Authorization: Bearer <token>``."""
    expected = f"Bearer {token}".encode() if token else None

    @get(METRICS_PATH, include_in_schema=False, sync_to_thread=False, name="metrics")
    def metrics(request: Request[Any, Any, Any]) -> Response[Any]:
        """The server's metrics in the Prometheus text format."""
        if expected is not None:
            given = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return problem_response(
                    401,
                    ErrorCode.UNAUTHORIZED,
                    "The metrics need the bearer token MESSENGER_METRICS_TOKEN.",
                    headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
                )
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST, status_code=200)

    return metrics


def metrics_registry(metrics: Metrics) -> CollectorRegistry:
    """A registry of this app's own with the server's series in it."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ServerCollector(metrics))
    return registry
