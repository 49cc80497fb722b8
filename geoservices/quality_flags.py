"""Plain descriptions of the facility quality flags, for staff pages.

The loaders and imports store short codes in ``Facility.quality_flags``
(see ``geoservices.loaders.facilities``). Staff pages show these
descriptions and keep the code as small text or a tooltip, because the
data-quality page's ``?flag=`` filter takes the code.
"""
from django.utils.translation import gettext_lazy as _

FLAG_DESCRIPTIONS = {
    "missing_coordinates": _("No coordinates, or they are not numbers"),
    "zero_coordinates": _("Coordinates are 0, 0, which is not a real place"),
    "coordinates_swapped": _("Latitude and longitude were swapped and were exchanged on import"),
    "outside_peru": _("The point is outside Peru"),
    "outside_districts": _("The point is in no stored district"),
    "district_mismatch": _("The point is in another district than its declared ubigeo"),
    "no_name": _("No name in the registry"),
    "no_category": _("No MINSA category in the registry"),
    "not_operating": _("Not operating according to the registry"),
    "hours_unparseable": _("The opening hours cannot be read"),
    "duplicate_code": _("The RENAES code is repeated in the uploaded file"),
}


def describe_flag(code: str) -> str:
    """Return the description of a flag in the active language, or the code for an unknown flag."""
    description = FLAG_DESCRIPTIONS.get(code)
    return str(description) if description is not None else code
