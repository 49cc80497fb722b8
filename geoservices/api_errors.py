"""API error format: every refused request returns ``{"errors": {field: [message]}}``."""
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """Wrap DRF's error responses in the ``errors`` envelope the API documents."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        detail = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        return Response({"errors": detail}, status=status.HTTP_400_BAD_REQUEST)
    message = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
    return Response({"errors": {"non_field_errors": [str(message)]}}, status=response.status_code)
