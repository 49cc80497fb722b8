"""Controlled vocabularies shared by the loaders, the API and the matcher.

Codes are stable English identifiers; labels are translated for display.
Peru's own terms (SIS, EsSalud, SISFOH, categories I-1 to III-E) are kept.
"""
from django.utils.translation import gettext_lazy as _

#: MINSA facility categories (NTS 021-MINSA/DGSP), in order of complexity.
#: Specialised categories (II-E, III-E) sit beside their general level.
CATEGORIES = ("I-1", "I-2", "I-3", "I-4", "II-1", "II-2", "II-E", "III-1", "III-2", "III-E")

#: Numeric level used to compare categories; II-E counts as level II.
CATEGORY_LEVEL = {
    "I-1": 1, "I-2": 2, "I-3": 3, "I-4": 4,
    "II-1": 5, "II-2": 6, "II-E": 6,
    "III-1": 7, "III-2": 8, "III-E": 8,
}

INSTITUTION_CHOICES = [
    ("minsa", "MINSA"),
    ("gobierno_regional", _("Regional government")),
    ("essalud", "EsSalud"),
    ("sanidad_ejercito", _("Army health service")),
    ("sanidad_policia", _("National Police health service")),
    ("sanidad_fap", _("Air Force health service")),
    ("sanidad_marina", _("Navy health service")),
    ("municipalidad", _("Municipality")),
    ("privado", _("Private")),
    ("inpe", "INPE"),
    ("otro", _("Other")),
]

#: Institution names as MINSA and SERUMS spell them, mapped to codes.
INSTITUTION_BY_SOURCE_NAME = {
    "MINSA": "minsa",
    "GOBIERNO REGIONAL": "gobierno_regional",
    "ESSALUD": "essalud",
    "SANIDAD DEL EJERCITO DEL PERU": "sanidad_ejercito",
    "SANIDAD DE LA POLICIA NACIONAL DEL PERU": "sanidad_policia",
    "SANIDAD DE LA FUERZA AEREA DEL PERU": "sanidad_fap",
    "SANIDAD DE LA MARINA DE GUERRA DEL PERU": "sanidad_marina",
    "MUNICIPALIDAD PROVINCIAL": "municipalidad",
    "MUNICIPALIDAD DISTRITAL": "municipalidad",
    "PRIVADO": "privado",
    "INPE": "inpe",
    "OTRO": "otro",
}

INSURANCE_CHOICES = [
    ("none", _("No insurance")),
    ("sis", "SIS"),
    ("essalud", "EsSalud"),
    ("other", _("Other insurance (armed forces, police, private)")),
]

SISFOH_CHOICES = [
    ("pobre_extremo", _("Extreme poverty")),
    ("pobre", _("Poor")),
    ("no_pobre", _("Not poor")),
    ("unknown", _("I don't know / not classified")),
]

SEX_CHOICES = [("F", _("Female")), ("M", _("Male"))]

MODE_CHOICES = [("walk", _("Walking")), ("drive", _("By vehicle"))]

#: Modes a family may search with. Public transport is an estimate from driving
#: times (see routing.parameters), so planners' coverage keeps to MODE_CHOICES.
FAMILY_MODE_CHOICES = MODE_CHOICES + [("transit", _("Public transport (estimate)"))]

TRAVEL_TIME_SOURCES = ("road_network", "estimate")
