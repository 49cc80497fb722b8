"""Care types a coverage map can be drawn for, and the facilities that give them.

A care type is either a minimum MINSA category level (``any``, ``level_i3``,
``level_i4``, ``level_ii1``) or the code of a :class:`geoservices.models.Service`
(``childbirth``, ``emergency``...), offered according to FacilityService.
"""
from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from geoservices.models import Facility, Service
from geoservices.vocabulary import CATEGORIES, CATEGORY_LEVEL

from .exceptions import UnknownCareError

#: Care types defined by a minimum category level, with the level number of
#: ``geoservices.vocabulary.CATEGORY_LEVEL`` (0 takes every facility).
LEVEL_CARE = {
    "any": (0, _("Any health facility")),
    "level_i3": (CATEGORY_LEVEL["I-3"], _("Category I-3 and up (health centre with a physician)")),
    "level_i4": (CATEGORY_LEVEL["I-4"], _("Category I-4 and up (health centre with beds)")),
    "level_ii1": (CATEGORY_LEVEL["II-1"], _("Category II-1 and up (hospital)")),
}

#: Travel-time thresholds of the coverage maps, in minutes.
THRESHOLDS_MIN = (30, 60, 120)


def care_choices() -> list[tuple[str, str]]:
    """Return ``(code, label)`` for every care type: levels first, then services."""
    name_field = "name_en" if (get_language() or "es").startswith("en") else "name_es"
    levels = [(code, str(label)) for code, (_level, label) in LEVEL_CARE.items()]
    services = list(Service.objects.order_by("code").values_list("code", name_field))
    return levels + services


def care_label(care: str) -> str:
    """Return the display name of a care type in the active language."""
    return dict(care_choices()).get(care, care)


def check_care(care: str) -> str:
    """Return ``care`` if it names a level or a service, else raise UnknownCareError."""
    if care in LEVEL_CARE or Service.objects.filter(code=care).exists():
        return care
    known = ", ".join(code for code, _label in care_choices())
    msg = f"Unknown care type {care!r}. Use one of: {known}."
    raise UnknownCareError(msg)


def qualifying_categories(care: str) -> list[str]:
    """Return the categories whose facilities give ``care`` by the category rule alone.

    For a service this is the list of the categorisation norm (Service.categories);
    FacilityService may differ per facility after an admin's correction.
    """
    check_care(care)
    if care in LEVEL_CARE:
        minimum = LEVEL_CARE[care][0]
        return [category for category in CATEGORIES if CATEGORY_LEVEL[category] >= minimum]
    return list(Service.objects.get(code=care).categories)


def facilities_for_care(care: str) -> QuerySet[Facility]:
    """Return the located, searchable facilities that give ``care``."""
    check_care(care)
    facilities = Facility.objects.filter(is_searchable=True, location__isnull=False)
    if care in LEVEL_CARE:
        if LEVEL_CARE[care][0] == 0:
            return facilities
        return facilities.filter(category__in=qualifying_categories(care))
    return facilities.filter(services__service_id=care, services__offered=True).distinct()
