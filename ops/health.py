"""Health checks behind ``/health/``: database, cache, road graphs and ranker model.

Apps replace or add checks with :func:`register_check`. The routing and
matcher apps know better than this module whether their data is loaded.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection

from . import metrics

logger = logging.getLogger(__name__)


@dataclass
class CheckResult:
    """Outcome of one check; ``detail`` is shown to anyone, so keep it free of secrets."""

    ok: bool
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    name: str
    run: Callable[[], CheckResult]
    #: A failed critical check turns the endpoint's status to 503.
    critical: bool = True


_checks: dict[str, Check] = {}


def register_check(name: str, run: Callable[[], CheckResult], *, critical: bool = True) -> None:
    """Add the check ``name``, replacing any check registered under that name."""
    _checks[name] = Check(name, run, critical)


def run_checks() -> tuple[bool, dict[str, dict]]:
    """Run every check and return (all critical checks passed, report by name)."""
    healthy = True
    report = {}
    for check in _checks.values():
        result = check.run()
        report[check.name] = {"ok": result.ok, "critical": check.critical, **result.detail}
        if check.critical and not result.ok:
            healthy = False
            logger.warning("Health check %s failed: %s", check.name, result.detail)
    return healthy, report


def check_database() -> CheckResult:
    """Query PostGIS once; fails while the server is down or restarting."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT postgis_lib_version()")
            (postgis_version,) = cursor.fetchone()
    except DatabaseError as exc:
        return CheckResult(False, {"error": type(exc).__name__})
    return CheckResult(True, {"postgis": postgis_version})


def check_cache() -> CheckResult:
    """Write and read a key in the default cache (Redis in production).

    With django-redis' IGNORE_EXCEPTIONS a Redis outage reads back None
    instead of raising, so the round trip is what detects it.
    """
    key = "ops:health:probe"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        return CheckResult(False, {"error": "cache round trip failed"})
    return CheckResult(True)


def check_graphs() -> CheckResult:
    """Load the graph file of every road region and mode (cached after the first call)."""
    from routing.exceptions import RoutingError
    from routing.models import RoadRegion
    from routing.services import load_graph

    file_names = [name for region in RoadRegion.objects.all() for name in region.graph_files.values()]
    if not file_names:
        return CheckResult(False, {"error": "no road graphs; run manage.py build_graphs"})
    for file_name in file_names:
        try:
            load_graph(file_name)
        except (OSError, ValueError, RoutingError) as exc:
            return CheckResult(False, {"error": f"graph {file_name} is unreadable ({type(exc).__name__}); rerun build_graphs"})
    return CheckResult(True, {"graphs": len(file_names)})


def check_model() -> CheckResult:
    """Load the promoted ranker model and publish its version in the metrics."""
    from matcher.ranking import get_ranker

    ranker = get_ranker()
    if ranker is None:
        return CheckResult(False, {"error": "no promoted ranker model; searches rank nearest first"})
    metrics.set_model_version(ranker.version)
    return CheckResult(True, {"version": ranker.version})


register_check("database", check_database)
register_check("cache", check_cache, critical=False)
register_check("graphs", check_graphs)
# Searches fall back to nearest-first ranking without a trained model, so its
# absence alone does not make the service unhealthy.
register_check("model", check_model, critical=False)
