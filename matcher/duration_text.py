"""Travel times and distances as families read them, in the active language.

The API keeps its numeric fields (``travel_time_min``, ``distance_km``);
these helpers only write the texts of reasons, slips and PDFs.
frontend/static/frontend/app.js writes the same forms on the results page.
"""
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _, ngettext

MINUTES_PER_HOUR = 60
MINUTES_PER_DAY = 24 * MINUTES_PER_HOUR

#: Minutes over roads beyond which the page and the slip tell the family to ask
#: locally about river or air transport.
LONG_TRIP_MIN = 12 * MINUTES_PER_HOUR


def format_duration(minutes: float) -> str:
    """Write a travel time as "45 min", "2 h 15 min" or "3,1 días" (from 24 hours)."""
    whole_minutes = round(minutes)
    if whole_minutes < MINUTES_PER_HOUR:
        return _("%(minutes)s min") % {"minutes": whole_minutes}
    if whole_minutes < MINUTES_PER_DAY:
        hours, rest = divmod(whole_minutes, MINUTES_PER_HOUR)
        if rest == 0:
            return _("%(hours)s h") % {"hours": hours}
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}
    days = round(whole_minutes / MINUTES_PER_DAY, 1)
    whole_days = days == int(days)
    # gettext takes an integer count, and a fractional number of days ("1,5 días") takes the plural.
    plural_count = int(days) if whole_days else 2
    return ngettext("%(days)s day", "%(days)s days", plural_count) % {
        "days": number_format(days, 0 if whole_days else 1)
    }


def format_distance(kilometres: float) -> str:
    """Write a distance with one decimal in the locale's format.

    Halves round up from the decimal text, as JavaScript's toLocaleString does
    on the results page, so that 0.75 km reads "0,8 km" on both.
    """
    rounded = Decimal(str(kilometres)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return _("%(km)s km") % {"km": number_format(rounded, 1)}
