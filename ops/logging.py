"""Log formatting and filtering that keep families' personal data out of logs."""
from __future__ import annotations

import logging
import re

from pythonjsonlogger.json import JsonFormatter

# Eight-digit runs are DNI numbers; nine-digit runs starting with 9 are mobile numbers.
_IDENTIFIERS = re.compile(r"(?<!\d)(?:\d{8}|9\d{8})(?!\d)")
# Coordinates with more than two decimals locate a home to within metres.
_PRECISE_COORDINATE = re.compile(r"(-?\d{1,3}\.\d{2})\d+")


def redact(text: str) -> str:
    """Mask DNI and phone numbers and coarsen coordinates to two decimals (about 1.1 km)."""
    text = _IDENTIFIERS.sub("[redacted]", text)
    return _PRECISE_COORDINATE.sub(r"\1", text)


class PersonalDataFilter(logging.Filter):
    """Redact the formatted message and drop request objects from log records.

    Django's request loggers attach the request, whose text form includes the
    query string (a searched location); only method and path are kept.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = redact(message)
        record.args = None
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path"):
            record.request = f"{request.method} {request.path}"
        return True


class JsonLogFormatter(JsonFormatter):
    """One JSON object per line with time, level, logger and message."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger", "asctime": "time"})
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", *args, **kwargs)
