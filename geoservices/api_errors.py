"""API error format: every refused request returns ``{"errors": {field: [message]}}``.

Nested serializer errors are flattened to dotted field paths, for example
``household.0.age``. Errors of a whole object use the object's path
(``location``), and errors of the whole request use ``non_field_errors``.
"""
from rest_framework import status
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

GENERAL_KEY = api_settings.NON_FIELD_ERRORS_KEY


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested error detail into ``{"a.0.b": [messages]}``."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            path = prefix if key == GENERAL_KEY and prefix else ".".join(filter(None, [prefix, str(key)]))
            for field, messages in flatten_errors(value, path).items():
                flat.setdefault(field, []).extend(messages)
        return flat
    if isinstance(detail, list) and detail and all(isinstance(item, (dict, list)) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            for field, messages in flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)).items():
                flat.setdefault(field, []).extend(messages)
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or GENERAL_KEY: [str(message) for message in messages]} if messages else {}


def exception_handler(exc, context):
    """Wrap DRF's error responses in the ``errors`` envelope the API documents."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        return Response({"errors": flatten_errors(response.data)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ParseError):
        # DRF's own text quotes the JSON decoder ("Expecting value: line 1 column 13"), untranslated.
        message = _("The request body is not valid JSON. Send one JSON object, as in the API documentation.")
        return Response({"errors": {GENERAL_KEY: [message]}}, status=status.HTTP_400_BAD_REQUEST)
    message = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
    return Response({"errors": {GENERAL_KEY: [str(message)]}}, status=response.status_code, headers=response.headers)
