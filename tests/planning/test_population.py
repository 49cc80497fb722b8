"""Population at risk: stored people per district equal the census totals."""
import numpy as np
import pytest
from django.core.management import call_command
from django.db.models import Sum

from geoservices.models import Department, District
from planning.models import CoverageRun, DistrictCoverage, PlaceAccess, PopulationBasis
from planning.services import load_places

from .conftest import SMALL_DEPARTMENT

pytestmark = pytest.mark.django_db


def census_total(department, field="population_2017"):
    return District.objects.filter(province__department_id=department).aggregate(total=Sum(field))["total"]


def test_places_sum_to_census_nationally():
    national = 0
    for department in Department.objects.all():
        places = load_places(department, PopulationBasis.CENSUS_2017)
        assert places.population.sum() == census_total(department.pk), department.pk
        assert (places.population >= 0).all()
        national += int(places.population.sum())

    assert national == District.objects.aggregate(total=Sum("population_2017"))["total"]


def test_places_sum_to_projection_2022():
    department = Department.objects.get(pk="08")

    places = load_places(department, PopulationBasis.PROJECTION_2022)

    assert places.population.sum() == census_total("08", "population_2022")


def test_district_sums_match_census(small_run):
    rows = DistrictCoverage.objects.filter(run=small_run)
    districts = District.objects.filter(province__department_id=SMALL_DEPARTMENT)

    assert rows.count() == districts.count()
    for row in rows.select_related("district"):
        assert row.population == row.district.population_2017, row.district_id
        assert row.beyond_30 >= row.beyond_60 >= row.beyond_120 >= row.unreachable
        assert row.places == row.places_network + row.places_estimate
    assert rows.aggregate(total=Sum("population"))["total"] == census_total(SMALL_DEPARTMENT)
    assert PlaceAccess.objects.filter(run=small_run).aggregate(total=Sum("population"))["total"] == census_total(
        SMALL_DEPARTMENT
    )


def test_run_states_parameters_and_sources(small_run):
    assert small_run.parameters["thresholds_min"] == [30, 60, 120]
    assert small_run.parameters["travel"]["mode"] == "walk"
    # Madre de Dios has no city graph; the MTC national roads reach it.
    assert small_run.parameters["road_regions"] == ["peru-mtc"]
    assert any("Censos Nacionales 2017" in source for source in small_run.sources)
    assert PlaceAccess.objects.filter(run=small_run, method="road_network").exists()
    assert PlaceAccess.objects.filter(run=small_run, method="estimate").exists()


def test_rerun_replaces_results(small_run, capsys):
    call_command("compute_coverage", department=SMALL_DEPARTMENT, care="any", mode="walk")

    assert "0 created, 1 updated, 0 skipped, 0 failed" in capsys.readouterr().out
    assert CoverageRun.objects.filter(department_id=SMALL_DEPARTMENT, care="any", mode="walk").count() == 1
    rows = DistrictCoverage.objects.filter(run__department_id=SMALL_DEPARTMENT, run__care="any", run__mode="walk")
    assert rows.count() == District.objects.filter(province__department_id=SMALL_DEPARTMENT).count()


def test_network_times_in_cusco():
    call_command("compute_coverage", department="08", care="any", mode="walk", verbosity=0)
    run = CoverageRun.objects.get(department_id="08", care="any", mode="walk")

    routed = PlaceAccess.objects.filter(run=run, method="road_network")
    assert routed.exists()
    assert run.parameters["road_regions"] == ["cusco-centro", "peru-mtc"]
    times = np.array(list(routed.values_list("travel_time_min", flat=True)), dtype=float)
    assert np.isfinite(times).all()
    assert (times >= 0).all()


def test_unknown_department_rejected():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Unknown department ubigeo '99'"):
        call_command("compute_coverage", department="99")


def test_unknown_care_rejected():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Unknown care type 'dentistry'"):
        call_command("compute_coverage", department=SMALL_DEPARTMENT, care="dentistry")
