"""Prometheus metrics of the application beyond django-prometheus' request metrics.

django-prometheus' middleware already exports request latency by view
(``django_http_requests_latency_seconds_by_view_method``). This module adds:

- ``geosalud_searches_total{outcome}``: family searches by response status,
  counted by ``ops.middleware.SearchMetricsMiddleware``;
- ``geosalud_job_duration_seconds{job,status}``: count and sum of the durations of
  finished background jobs, read from the Job table at scrape time, so jobs run
  by workers on other machines are included;
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
    generate_latest,
    multiprocess,
)
from prometheus_client.core import SummaryMetricFamily

SEARCH_OUTCOMES = ("ok", "invalid", "rate_limited", "unavailable", "error")

SEARCHES = Counter("geosalud_searches", "Family searches by outcome.", ["outcome"])
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


class JobTableCollector:
    """Collect job durations from the Job table (all finished jobs, by name and status)."""

    def collect(self):
        from django.db.models import Count, F, Sum

        from .models import Job

        family = SummaryMetricFamily(
            "geosalud_job_duration_seconds", "Duration of finished background jobs.", labels=["job", "status"]
        )
        rows = (
            Job.objects.filter(status__in=Job.FINISHED, started_at__isnull=False, finished_at__isnull=False)
            .values("name", "status")
            .annotate(count=Count("id"), total=Sum(F("finished_at") - F("started_at")))
        )
        for row in rows:
            family.add_metric([row["name"], row["status"]], row["count"], row["total"].total_seconds())
        yield family


def render_metrics() -> tuple[bytes, str]:
    """Return the exposition text of all metrics and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    jobs = CollectorRegistry()
    jobs.register(JobTableCollector())
    return generate_latest(registry) + generate_latest(jobs), CONTENT_TYPE_LATEST
