"""Middleware for outages (503 instead of 500) and rate limits on search and feedback."""
from __future__ import annotations

import logging
import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited

from geo_config.locale import request_language

from . import metrics
from .outage import is_outage, outage_response, wants_json

logger = logging.getLogger(__name__)


class OutageMiddleware:
    """Turn exceptions from an unreachable PostGIS, Redis or broker into 503 responses."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_outage(exception):
            return None
        return outage_response(request, exception)


#: Search outcome counted for each response status of the match API.
SEARCH_OUTCOME_BY_STATUS = {200: "ok", 400: "invalid", 429: "rate_limited", 503: "unavailable"}


class SearchMetricsMiddleware:
    """Count family searches by outcome (``geosalud_searches_total``).

    Sits outside the rate limiter and the outage middleware, so rejected and
    failed searches are counted with the status the family received.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method == "POST" and request.path == settings.GEOSALUD_SEARCH_PATH:
            metrics.record_search(SEARCH_OUTCOME_BY_STATUS.get(response.status_code, "error"))
        return response


def _rules() -> list[dict]:
    # settings.GEOSALUD_RATE_LIMITS is a list of {"group", "path", "methods", "rate"};
    # re.compile caches the patterns, and reading settings each time honours override_settings.
    return [{**rule, "pattern": re.compile(rule["path"])} for rule in settings.GEOSALUD_RATE_LIMITS]


def client_ip(group: str, request: HttpRequest) -> str:
    """Return the client address used as the rate-limit key.

    Behind ``GEOSALUD_TRUSTED_PROXIES`` proxies the address comes from the
    X-Forwarded-For entry that the nearest trusted proxy appended. django-ratelimit
    hashes the key, so no address is stored in the cache in clear text.
    """
    proxies = settings.GEOSALUD_TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")


class RateLimitMiddleware:
    """Apply the per-client rates of ``GEOSALUD_RATE_LIMITS`` by URL path.

    Paths, not views, are matched, so the limits also hold for views added
    later at those paths. A Redis outage fails open (``RATELIMIT_FAIL_OPEN``),
    so families can still search.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for rule in _rules():
            if request.method not in rule["methods"] or not rule["pattern"].match(request.path):
                continue
            if is_ratelimited(request, group=rule["group"], key=client_ip, rate=rule["rate"], increment=True):
                return self._reject(request, rule)
        return self.get_response(request)

    def _reject(self, request: HttpRequest, rule: dict) -> HttpResponse:
        logger.warning("Rate limit %s (%s) reached on %s", rule["group"], rule["rate"], request.path)
        # This middleware runs before the locale middleware, so it picks the language itself.
        with translation.override(request_language(request)):
            message = _("Too many requests from your connection (limit %(rate)s). Wait a minute and try again.") % {
                "rate": rule["rate"]
            }
        if wants_json(request):
            response = JsonResponse({"errors": {"non_field_errors": [message]}}, status=429)
        else:
            response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "60"
        return response
