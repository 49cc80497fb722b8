"""Scenarios, site suggestions and catchments on stored coverage of Madre de Dios."""
import numpy as np
import pytest
from django.core.management import call_command

from geoservices.models import Facility
from planning.care import facilities_for_care
from planning.models import CoverageRun, DistrictCoverage, PlaceAccess
from planning.scenarios import catchments, run_scenario, suggest_sites, upgrade_sites
from routing.estimate import estimate_route, haversine_m

from .conftest import SMALL_DEPARTMENT

pytestmark = pytest.mark.django_db


@pytest.fixture
def hospital_run(db):
    """Walking coverage of the small department for hospitals (II-1 and up)."""
    call_command("compute_coverage", department=SMALL_DEPARTMENT, care="level_ii1", mode="walk", verbosity=0)
    return CoverageRun.objects.get(department_id=SMALL_DEPARTMENT, care="level_ii1", mode="walk")


def district_without_care(run):
    """Return a district row with no facility of the run's care and everyone beyond 30 min."""
    with_care = set(facilities_for_care(run.care).values_list("spatial_ubigeo", flat=True))
    rows = DistrictCoverage.objects.filter(run=run).exclude(district_id__in=with_care).order_by("-population")
    return next(row for row in rows if row.beyond_30 == row.population and row.population > 0)


def test_new_facility_covers_its_district(hospital_run):
    row = district_without_care(hospital_run)
    places = list(PlaceAccess.objects.filter(run=hospital_run, district_id=row.district_id).order_by("-population"))
    site = places[0].location

    result = run_scenario(hospital_run, [(site.x, site.y)], [])

    # By hand: no road graph here, so each place's new time is the walking
    # estimate, straight line x 1.4 at 4.5 km/h.
    lon = np.array([place.location.x for place in places])
    lat = np.array([place.location.y for place in places])
    minutes = estimate_route(haversine_m(site.x, site.y, lon, lat), "walk")[1] / 60.0
    people = np.array([place.population for place in places])
    district = next(item for item in result["districts"] if item["ubigeo"] == row.district_id)
    assert district["name"] == row.district.name
    assert district["beyond_30_before"] == row.population
    assert district["newly_within_30"] == people[minutes <= 30].sum()
    assert district["beyond_30_after"] == row.population - people[minutes <= 30].sum()
    assert district["newly_within_30"] >= places[0].population
    assert result["totals"]["newly_within_30"] >= district["newly_within_30"]


def test_upgrade_adds_only_new_care(hospital_run):
    health_post = Facility.objects.filter(spatial_ubigeo__startswith=SMALL_DEPARTMENT, category="I-1",
                                          is_searchable=True).first()
    hospital = Facility.objects.filter(category__in=["II-1", "II-2"], is_searchable=True).first()

    added, unchanged = upgrade_sites("level_ii1", [(health_post, "II-1"), (health_post, "I-4"), (hospital, "III-1")])

    assert added == [health_post]
    reasons = {(note["renaes_code"], note["new_category"]): note for note in unchanged}
    low = reasons[(health_post.renaes_code, "I-4")]
    assert low["reason"] == "level_does_not_give_care"
    assert low["name"] == health_post.name
    assert low["category"] == "I-1"
    high = reasons[(hospital.renaes_code, "III-1")]
    assert high["reason"] == "already_gives_care"
    assert high["category"] == hospital.category


def test_upgrade_without_gain_is_explained(hospital_run):
    # A post in Lima is days away on foot from every place of Madre de Dios, so
    # its upgrade gives the care but brings no one nearer.
    far_post = Facility.objects.filter(spatial_ubigeo__startswith="15", category="I-1", is_searchable=True,
                                       location__isnull=False).order_by("renaes_code").first()

    result = run_scenario(hospital_run, [], [(far_post, "II-1")])

    assert result["districts"] == []
    assert result["upgrades_unchanged"] == []
    [note] = result["upgrades_without_gain"]
    assert note["renaes_code"] == far_post.renaes_code
    assert note["name"] == far_post.name
    assert note["new_category"] == "II-1"
    assert note["people_nearer"] == 0


def test_upgrade_scenario_moves_people(hospital_run):
    row = district_without_care(hospital_run)
    post = Facility.objects.filter(spatial_ubigeo=row.district_id, is_searchable=True).first()
    if post is None:
        pytest.skip(f"District {row.district_id} has no facility to upgrade")

    result = run_scenario(hospital_run, [], [(post, "II-1")])

    assert result["totals"]["newly_within_120"] > 0
    assert result["upgrades_unchanged"] == []
    assert result["upgrades_without_gain"] == []


def test_suggestions_gain_what_scenario_shows(hospital_run):
    sites = suggest_sites(hospital_run, 60, 3)

    assert 1 <= len(sites) <= 3
    gains = [site["gain"] for site in sites]
    assert gains == sorted(gains, reverse=True)
    assert sites[-1]["cumulative"] == sum(gains)
    # The first pick alone brings exactly its gain within 60 minutes.
    first = run_scenario(hospital_run, [(sites[0]["lon"], sites[0]["lat"])], [])
    assert first["totals"]["newly_within_60"] == pytest.approx(gains[0], abs=sites[0]["gain"] * 0.01 + 1)


def test_suggestion_rejects_other_threshold(hospital_run):
    from planning.exceptions import PlanningError

    with pytest.raises(PlanningError, match="Invalid threshold 45 min"):
        suggest_sites(hospital_run, 45, 3)


def test_catchments_nest_and_load_sums(small_run):
    rows = catchments(small_run)

    assert rows
    for row in rows:
        assert row["within_30"] <= row["within_60"] <= row["within_120"]
    loads = sum(row["load"] for row in rows)
    reached = sum(PlaceAccess.objects.filter(run=small_run, facility__spatial_ubigeo__startswith=SMALL_DEPARTMENT)
                  .values_list("population", flat=True))
    assert loads == reached
