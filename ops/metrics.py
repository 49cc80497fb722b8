"""Prometheus metrics of the application beyond django-prometheus' request metrics.

django-prometheus' middleware already exports request latency by view
(``django_http_requests_latency_seconds_by_view_method``). This module adds:

- ``geosalud_searches_total{outcome}``: family searches by response status,
  counted by ``ops.middleware.SearchMetricsMiddleware``;
- ``geosalud_job_duration_seconds{job,status}``: durations of background jobs;
- ``geosalud_model_info{version}``: the ranker model version this process uses,
  set by the code that loads it through :func:`set_model_version`.

Under gunicorn, ``PROMETHEUS_MULTIPROC_DIR`` makes every worker write its
samples to files that :func:`render_metrics` aggregates.
"""
from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

SEARCH_OUTCOMES = ("ok", "invalid", "rate_limited", "unavailable", "error")

SEARCHES = Counter("geosalud_searches", "Family searches by outcome.", ["outcome"])
JOB_DURATION = Histogram(
    "geosalud_job_duration_seconds",
    "Duration of background jobs from start to finish.",
    ["job", "status"],
    buckets=(1, 5, 15, 60, 300, 900, 1800, 3600, 7200, float("inf")),
)
MODEL_INFO = Gauge(
    "geosalud_model_info",
    "Ranker model version in use (value 1 for the current version).",
    ["version"],
    multiprocess_mode="max",
)

_model_version: str | None = None


def record_search(outcome: str) -> None:
    """Count one family search; ``outcome`` is one of ``SEARCH_OUTCOMES``."""
    if outcome not in SEARCH_OUTCOMES:
        msg = f"Unknown search outcome {outcome!r}; use one of {', '.join(SEARCH_OUTCOMES)}."
        raise ValueError(msg)
    SEARCHES.labels(outcome=outcome).inc()


def set_model_version(version: str) -> None:
    """Publish the ranker model version that this process now uses."""
    global _model_version
    if _model_version is not None and _model_version != version:
        MODEL_INFO.labels(version=_model_version).set(0)
    MODEL_INFO.labels(version=version).set(1)
    _model_version = version


def model_version() -> str | None:
    """Return the model version set in this process, or None before a model loads."""
    return _model_version


def render_metrics() -> tuple[bytes, str]:
    """Return the exposition text of all metrics and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST
