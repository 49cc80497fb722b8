"""Health, metrics and error views for operators and monitoring."""
from __future__ import annotations

import hmac
import sys

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.defaults import server_error as django_server_error
from django.views.decorators.csrf import requires_csrf_token

from .health import check_model, run_checks
from .metrics import render_metrics
from .outage import is_outage, outage_response

LOOPBACK_ADDRESSES = ("127.0.0.1", "::1")


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Return 200 when the database and graphs are ready, else 503, with each check's result."""
    healthy, report = run_checks()
    body = {"status": "ok" if healthy else "unavailable", "checks": report}
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
def live(request: HttpRequest) -> JsonResponse:
    """Return 200 while the process serves requests, whatever the state of its services."""
    return JsonResponse({"status": "ok"})


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Serve Prometheus metrics to loopback clients or to holders of GEOSALUD_METRICS_TOKEN."""
    if not _may_read_metrics(request):
        return HttpResponseForbidden("Metrics need the bearer token set in GEOSALUD_METRICS_TOKEN.\n")
    check_model()  # refresh geosalud_model_info from the ranker this process uses
    body, content_type = render_metrics()
    return HttpResponse(body, content_type=content_type)


def _may_read_metrics(request: HttpRequest) -> bool:
    token = settings.GEOSALUD_METRICS_TOKEN
    if token:
        sent = request.META.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(sent.encode(), token.encode())
    return request.META.get("REMOTE_ADDR") in LOOPBACK_ADDRESSES


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a 503 when the failure was a service outage, else Django's 500 page.

    Catches outages raised outside views (in middleware), which the outage
    middleware cannot see.
    """
    exc = sys.exc_info()[1]
    if is_outage(exc):
        return outage_response(request, exc)
    return django_server_error(request)
