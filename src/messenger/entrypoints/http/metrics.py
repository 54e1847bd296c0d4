"""``GET /metrics`` in the Prometheus text format (``MESSENGER_METRICS=1``).

Requests are counted by Litestar's Prometheus middleware (by route template and status,
with latency histograms); the server's own series come from ``messenger.metrics.Metrics``,
read at scrape time. Everything lives in a registry of this app's own, not the process-wide
default one: an embedder or a test may build many apps in one process.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Any

from litestar import Request, Response, get
from litestar.enums import ScopeType
from litestar.handlers import HTTPRouteHandler
from litestar.plugins.prometheus import PrometheusConfig, PrometheusMiddleware
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
)
from prometheus_client import Histogram as PromHistogram
from prometheus_client.metrics import MetricWrapperBase
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
    """Litestar's middleware, with its metrics in the app's registry instead of the
    process-wide one its class keeps them in."""

    def _metric(self, kind: type[MetricWrapperBase], suffix: str, doc: str, labels: Any) -> Any:
        config = self._config
        assert isinstance(config, _Config)
        name = f"{config.prefix}_{suffix}"
        metric = config.made.get(name)
        if metric is None:
            extra: dict[str, Any] = {}
            if kind is PromHistogram and config.buckets is not None:
                extra["buckets"] = config.buckets
            metric = config.made[name] = kind(
                name, doc, labelnames=[*labels], registry=config.registry, **extra
            )
        return metric

    def request_count(self, labels: dict[str, str | int | float]) -> Counter:
        return self._metric(Counter, "requests_total", "Requests answered", labels)  # type: ignore[no-any-return]

    def request_time(self, labels: dict[str, str | int | float]) -> PromHistogram:
        return self._metric(  # type: ignore[no-any-return]
            PromHistogram, "request_duration_seconds", "Request duration, in seconds", labels
        )

    def requests_in_progress(self, labels: dict[str, str | int | float]) -> Gauge:
        return self._metric(Gauge, "requests_in_progress", "Requests being handled", labels)  # type: ignore[no-any-return]

    def requests_error_count(self, labels: dict[str, str | int | float]) -> Counter:
        return self._metric(  # type: ignore[no-any-return]
            Counter, "requests_error_total", "Requests answered with a 5xx status", labels
        )


class _Config(PrometheusConfig):
    registry: CollectorRegistry
    made: dict[str, MetricWrapperBase]


def request_metrics(registry: CollectorRegistry) -> PrometheusConfig:
    """The request middleware's configuration, counting into ``registry``."""
    config = _Config(
        app_name="messenger",
        prefix="messenger_http",
        # By route template ("/api/v1/chats/{chat_id:int}"), not by path: one series per
        # route, whatever the ids.
        group_path=True,
        # Sockets are counted by the hub: a socket "request" lasts hours.
        scopes={ScopeType.HTTP},
        middleware_class=_RequestMetrics,
    )
    config.registry = registry
    config.made = {}
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
