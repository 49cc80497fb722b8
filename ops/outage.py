"""Responses for requests that fail because PostGIS, Redis or the broker is down."""
from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from geo_config.locale import request_language
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

#: Exceptions that mean a backing service is unreachable, not that the code is wrong.
OUTAGE_ERRORS = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError, BrokerOperationalError)
#: Seconds a client should wait before retrying, sent as Retry-After.
RETRY_AFTER_S = 15


def is_outage(exc: BaseException | None) -> bool:
    """Return True when ``exc`` (or an exception it was raised from) is a service outage."""
    while exc is not None:
        if isinstance(exc, OUTAGE_ERRORS):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def wants_json(request: HttpRequest) -> bool:
    """Return True for API paths and for requests that send or accept JSON (the page's fetch calls)."""
    return (
        request.path.startswith("/api/")
        or request.content_type == "application/json"
        or "application/json" in request.headers.get("Accept", "")
    )


def outage_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """Return a 503 with Retry-After, as JSON for API and fetch requests and as HTML for pages."""
    logger.error("Service outage on %s %s: %s", request.method, request.path, type(exc).__name__)
    with translation.override(request_language(request)):
        return _unavailable(request)


def _unavailable(request: HttpRequest) -> HttpResponse:
    message = _("The service is briefly unavailable while a database or queue restarts. Please try again in a few seconds.")
    if wants_json(request):
        response = JsonResponse({"errors": {"non_field_errors": [message]}}, status=503)
    else:
        html = render_to_string("ops/unavailable.html", {"message": message}, request=None)
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_S)
    return response
