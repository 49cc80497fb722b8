"""Unmet demand: only groups of at least five searches that found nothing within reach."""
import pytest
from django.contrib.gis.geos import Point

from geoservices.models import SearchRecord
from planning.reports import MIN_GROUP_SIZE, unmet_demand

pytestmark = pytest.mark.django_db

#: A district with no search in the loaded data (Iñapari, Madre de Dios).
UBIGEO = "170301"


def add_searches(count, need, results_count=3, nearest_min=90.0):
    for _index in range(count):
        SearchRecord.objects.create(
            ubigeo=UBIGEO,
            coarse_location=Point(-69.6, -10.95, srid=4326),
            needs=[need],
            insurance="sis",
            sisfoh="pobre",
            mode="walk",
            household_size=3,
            age_bands=["18-29"],
            results_count=results_count,
            nearest_travel_time_min=nearest_min,
        )


def groups_here():
    return [group for group in unmet_demand("17") if group.ubigeo == UBIGEO]


def test_four_unmet_searches_hidden():
    SearchRecord.objects.filter(ubigeo=UBIGEO).delete()
    add_searches(MIN_GROUP_SIZE - 1, "childbirth")

    assert groups_here() == []


def test_five_unmet_searches_shown():
    SearchRecord.objects.filter(ubigeo=UBIGEO).delete()
    add_searches(MIN_GROUP_SIZE - 2, "childbirth")
    add_searches(2, "childbirth", results_count=0, nearest_min=None)
    add_searches(3, "childbirth", nearest_min=20.0)

    groups = groups_here()

    assert len(groups) == 1
    assert groups[0].need == "childbirth"
    assert groups[0].unmet == MIN_GROUP_SIZE
    assert groups[0].searches == MIN_GROUP_SIZE + 3


def test_searches_within_reach_not_unmet():
    SearchRecord.objects.filter(ubigeo=UBIGEO).delete()
    add_searches(10, "dental", nearest_min=45.0)

    assert groups_here() == []
