"""Sentences that state how coverage is computed, in the active language, for pages, API and exports."""
from django.utils.translation import gettext as _

from geoservices.vocabulary import MODE_CHOICES
from routing.services import estimate_description

from .care import care_label
from .models import PopulationBasis
from .reports import MIN_GROUP_SIZE, UNMET_THRESHOLD_MIN, runs_for
from .services import DATA_SOURCES


def method_sentences(mode: str, basis: str) -> list[str]:
    """Return the method of a coverage map as sentences for planners."""
    travel = estimate_description(mode)
    population = (
        _("People are an estimate: each district's 2022 INEI projection is spread evenly over its populated places, "
          "urban people over urban places and rural people over rural places (2017 census shares).")
        if basis == PopulationBasis.PROJECTION_2022
        else _("People are an estimate: each district's 2017 census population is spread evenly over its populated "
               "places, urban people over urban places and rural people over rural places.")
    )
    return [
        population,
        _("Each place is timed to the nearest facility of the chosen care."),
        travel["network_speed"],
        travel["estimate"],
        travel["access"],
    ]


def unmet_sentence() -> str:
    """Return the rule of the unmet-demand table."""
    return _(
        "A search found nothing within reach when it returned no facility or the nearest was more than "
        "%(minutes)s minutes away. Only groups of %(size)s or more such searches are shown."
    ) % {"minutes": UNMET_THRESHOLD_MIN, "size": MIN_GROUP_SIZE}


def coverage_metadata(query: dict) -> dict:
    """Describe a coverage query: labels, method, sources and the departments computed."""
    runs = runs_for(query["care"], query["mode"], query["population"], query.get("department") or None)
    return {
        "care": query["care"],
        "care_label": care_label(query["care"]),
        "mode": query["mode"],
        "mode_label": str(dict(MODE_CHOICES)[query["mode"]]),
        "minutes": query["minutes"],
        "level": query["level"],
        "population_basis": query["population"],
        "method": method_sentences(query["mode"], query["population"]),
        "sources": DATA_SOURCES,
        "computed": [
            {"department": run.department_id, "computed_at": run.computed_at.isoformat()}
            for run in runs.order_by("department_id")
        ],
    }
