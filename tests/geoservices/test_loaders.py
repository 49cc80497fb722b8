"""The loaders on the real staged files, against PostGIS."""
import csv

from django.conf import settings
from django.core.management import call_command
import pytest

from geoservices.loaders.facilities import load_facilities
from geoservices.models import Department, District, Facility, FacilityService, PopulatedPlace, Province
from geoservices.text import PLACEHOLDERS

pytestmark = pytest.mark.django_db

FACILITIES_DIR = settings.GEOSALUD["SOURCE_DATA_DIR"] / "facilities"


def _rows(name: str) -> list[dict]:
    with (FACILITIES_DIR / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_boundary_counts():
    assert Department.objects.count() == 25
    assert Province.objects.count() == 196
    assert District.objects.count() == 1874


def test_district_population_matches_census_total():
    census = settings.GEOSALUD["SOURCE_DATA_DIR"] / "population_poverty" / "distritos_censo2017_nbi_pobreza.csv"
    with census.open(encoding="utf-8") as handle:
        expected = sum(int(row["POBTOTAL"]) for row in csv.DictReader(handle))
    stored = sum(District.objects.values_list("population_2017", flat=True))
    assert stored == expected


def test_district_keeps_accented_name_and_poverty():
    district = District.objects.get(ubigeo="010102")
    assert district.name == "Asunción"
    assert district.poverty_rate == pytest.approx(36.519949)


def test_every_populated_place_loaded():
    assert PopulatedPlace.objects.count() == 94922


def test_every_minsa_facility_loaded():
    codes = {row["codigo_unico"] for row in _rows("ipress_minsa_geocodificados.csv")}
    assert len(codes) == 7954
    assert Facility.objects.filter(renaes_code__in=codes).count() == 7954


def test_minsa_swapped_columns_read_as_latitude_longitude():
    # In the source, ESTE contains the latitude and NORTE the longitude.
    facility = Facility.objects.get(renaes_code="00007050")
    assert facility.name == "AMBATO"
    assert facility.location.y == pytest.approx(-6.1335228)
    assert facility.location.x == pytest.approx(-78.85838013)
    assert facility.spatial_ubigeo == "060611"


@pytest.mark.parametrize("code", ["00011710", "00010012", "00009983"])
def test_zero_coordinates_flagged_and_hidden(code):
    facility = Facility.objects.get(renaes_code=code)
    assert "zero_coordinates" in facility.quality_flags
    assert facility.location is None
    assert not facility.is_searchable


def test_points_outside_every_district_hidden():
    outside = Facility.objects.filter(quality_flags__contains=["outside_districts"])
    assert outside.exists()
    assert not outside.filter(is_searchable=True).exists()


def test_placeholder_text_becomes_empty():
    for field in ("phone", "address", "hours"):
        values = set(Facility.objects.values_list(field, flat=True))
        assert not values & (PLACEHOLDERS - {""}), field


def test_serums_adds_essalud_facilities():
    minsa_codes = {row["codigo_unico"] for row in _rows("ipress_minsa_geocodificados.csv")}
    essalud_only_in_serums = [
        row["codigo_renipress"] for row in _rows("serums_2026_establecimientos.csv")
        if row["institucion"] == "ESSALUD" and row["codigo_renipress"] not in minsa_codes and row["latitude"]
    ]
    assert essalud_only_in_serums
    facilities = Facility.objects.filter(renaes_code__in=essalud_only_in_serums)
    assert facilities.count() == len(essalud_only_in_serums)
    assert facilities.filter(institution="essalud", is_searchable=True).exists()


def test_renipress_records_without_name_kept_but_hidden():
    renipress_only = Facility.objects.filter(sources=["renipress_2026"])
    assert renipress_only.count() > 10000
    assert not renipress_only.filter(is_searchable=True).exists()
    assert renipress_only.filter(quality_flags__contains=["no_name"]).count() == renipress_only.count()


def test_services_inferred_from_category():
    health_post = Facility.objects.get(renaes_code="00007050")  # I-1
    services = set(FacilityService.objects.filter(facility=health_post).values_list("service_id", flat=True))
    assert "prenatal_care" in services
    assert "childbirth" not in services  # delivery care starts at I-4
    assert "emergency" not in services  # emergency units start at II-1


def test_rerun_changes_nothing():
    before = Facility.objects.count(), FacilityService.objects.count(), District.objects.count()
    call_command("load_data", verbosity=0)
    after = Facility.objects.count(), FacilityService.objects.count(), District.objects.count()
    assert before == after


def test_forced_reload_reports_unchanged_rows():
    report = load_facilities(force=True)
    assert report.created == 0
    assert report.updated == 0
    assert report.unchanged == Facility.objects.count()


def _services_of(renaes_code: str) -> set[str]:
    return set(FacilityService.objects.filter(facility__renaes_code=renaes_code).values_list("service_id", flat=True))


def test_specialised_institute_gets_no_general_services():
    neurology = Facility.objects.get(renaes_code="00006209")
    assert neurology.category == "III-2"
    assert neurology.classification == "INSTITUTOS DE SALUD ESPECIALIZADOS"
    services = _services_of("00006209")
    assert "prenatal_care" not in services
    assert "childbirth" not in services
    assert "general_consultation" not in services
    assert "vaccination" not in services


def test_general_hospital_keeps_general_services():
    general = Facility.objects.filter(category="III-1").exclude(classification="INSTITUTOS DE SALUD ESPECIALIZADOS").first()
    services = _services_of(general.renaes_code)
    assert {"prenatal_care", "childbirth", "emergency"} <= services


def test_maternal_institute_keeps_prenatal_and_childbirth():
    services = _services_of("00006208")  # INSTITUTO NACIONAL MATERNO PERINATAL, III-2, specialised
    assert "prenatal_care" in services
    assert "childbirth" in services
    assert "dental" not in services


def test_admin_set_service_survives_inference():
    from geoservices.loaders.services import infer_facility_services

    neurology = Facility.objects.get(renaes_code="00006209")
    FacilityService.objects.create(facility=neurology, service_id="mental_health", offered=True, inferred=False)
    infer_facility_services()
    row = FacilityService.objects.get(facility=neurology, service_id="mental_health")
    assert row.inferred is False
    assert "prenatal_care" not in _services_of("00006209")


def test_inference_category_rules():
    from geoservices.loaders.services import inference_category

    specialised = frozenset({"INSTITUTOS DE SALUD ESPECIALIZADOS"})
    assert inference_category("III-2", "INSTITUTOS DE SALUD ESPECIALIZADOS", specialised) == "III-E"
    assert inference_category("II-2", "INSTITUTOS DE SALUD ESPECIALIZADOS", specialised) == "II-E"
    assert inference_category("III-2", "HOSPITALES O CLINICAS DE ATENCION GENERAL", specialised) == "III-2"
    assert inference_category("I-3", "INSTITUTOS DE SALUD ESPECIALIZADOS", specialised) == "I-3"
