"""Parse the free-text opening hours of the MINSA registry ("8:00 - 14:00", "24 HORAS").

Pure Python, no Django. The registry writes hours by hand in many ways; a
text counts as parseable when it is a round-the-clock statement, a number
of hours per day, or contains at least one valid clock range. Anything else
(for example "SEGUN ROL DE TURNO" or a truncated "LUNES A SABADO DE 08")
is unparseable and is flagged for review.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MINUTES_PER_DAY = 24 * 60

_ROUND_THE_CLOCK = re.compile(r"^(24\s*(HORAS|HRS?|H)\b|LAS\s+24\s+HORAS)")
_HOURS_PER_DAY = re.compile(r"^(\d{1,2})\s*(HORAS|HRS?)\b")
_CLOCK = r"(\d{1,2})(?:[:.](\d{2}))?\s*(A\.?\s?M\.?|P\.?\s?M\.?)?"
_RANGE = re.compile(_CLOCK + r"(?:\s*(?:-|–|\x96|A|AL|HASTA)\s*|\s+)" + _CLOCK)


@dataclass(frozen=True)
class OpeningHours:
    """Opening hours read from registry text.

    ``ranges_min`` contains (start, end) in minutes after midnight; an end
    before its start means the range runs past midnight. ``hours_per_day``
    is set when the text gives only a duration ("12 HORAS").
    """

    ranges_min: tuple[tuple[int, int], ...] = ()
    hours_per_day: float | None = None


def _minutes(hour: str, minute: str | None, meridiem: str | None) -> int | None:
    hours, minutes = int(hour), int(minute or 0)
    if meridiem and meridiem.replace(".", "").replace(" ", "").startswith("P") and hours < 12:
        hours += 12
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        return None
    return hours * 60 + minutes


def parse_hours(text: str) -> OpeningHours | None:
    """Read opening hours from registry text; return None when the text cannot be read.

    An empty text returns None as well; callers treat it as "no data", not
    as a parse failure.
    """
    value = " ".join(text.upper().split())
    if not value:
        return None
    if _ROUND_THE_CLOCK.match(value):
        return OpeningHours(ranges_min=((0, MINUTES_PER_DAY),), hours_per_day=24.0)
    duration = _HOURS_PER_DAY.match(value)
    if duration and 0 < int(duration.group(1)) <= 24:
        return OpeningHours(hours_per_day=float(duration.group(1)))

    ranges = []
    for match in _RANGE.finditer(value):
        start = _minutes(match.group(1), match.group(2), match.group(3))
        end = _minutes(match.group(4), match.group(5), match.group(6))
        if start is not None and end is not None and start != end:
            ranges.append((start, end))
    return OpeningHours(ranges_min=tuple(ranges)) if ranges else None
