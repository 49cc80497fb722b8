"""The in-memory search catalogue follows every write to the data it copies."""
import json

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from geoservices.models import Facility, FacilityService, InsuranceAcceptance
from matcher.catalogue import search_catalogue
from ops.generation import current_generation, generation_snapshot
from routing.estimate import haversine_m
from tests.geoservices.test_api import PREGNANT_WITHOUT_INSURANCE

pytestmark = pytest.mark.django_db

BODY = PREGNANT_WITHOUT_INSURANCE


def result_codes(client):
    response = client.post("/api/v1/match/", json.dumps(BODY), content_type="application/json")
    assert response.status_code == 200, response.content
    return [facility["renaes_code"] for facility in response.json()["facilities"]]


def test_bulk_update_bumps_generation():
    before = current_generation()
    FacilityService.objects.filter(facility__renaes_code="00000000").update(offered=False)
    assert current_generation() > before


def test_raw_sql_bumps_generation():
    before = current_generation()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE geoservices_need SET sort_order = sort_order")
    assert current_generation() > before


def generation_reads(queries) -> int:
    return sum("ops_data_generation" in query["sql"] for query in queries)


def test_snapshot_reads_the_generation_once():
    with CaptureQueriesContext(connection) as queries, generation_snapshot():
        first = current_generation()
        assert current_generation() == first
    assert generation_reads(queries.captured_queries) == 1
    with CaptureQueriesContext(connection) as queries:
        current_generation()
        current_generation()
    assert generation_reads(queries.captured_queries) == 2


def test_search_reads_the_generation_once(client):
    result_codes(client)  # builds the copies
    with CaptureQueriesContext(connection) as queries:
        result_codes(client)
    assert generation_reads(queries.captured_queries) == 1


def test_unchanged_data_keeps_the_copy():
    first = search_catalogue()
    assert search_catalogue() is first


def test_withdrawn_service_leaves_the_results(client):
    first = result_codes(client)[0]
    FacilityService.objects.filter(facility__renaes_code=first, service__needs__code="prenatal_care").update(
        offered=False
    )
    assert first not in result_codes(client)


def test_closed_facility_leaves_the_results(client):
    first = result_codes(client)[0]
    Facility.objects.filter(renaes_code=first).update(is_operating=False)
    assert first not in result_codes(client)


def test_insurance_terms_follow_edits(client):
    institution = Facility.objects.get(renaes_code=result_codes(client)[0]).institution
    InsuranceAcceptance.objects.filter(institution=institution, insurance="none").delete()
    codes = result_codes(client)
    assert codes
    assert not Facility.objects.filter(renaes_code__in=codes, institution=institution).exists()


def test_candidates_pass_filters_nearest_first():
    catalogue = search_catalogue()
    services = {service.code for service in catalogue.needs["prenatal_care"].services.all()}
    institutions = set(catalogue.terms["none"])
    lon, lat = BODY["location"]["lon"], BODY["location"]["lat"]
    indices = catalogue.candidates(services, institutions, lon, lat, 40)

    assert len(indices) == 40
    for index in indices:
        assert services & set(catalogue.offered[index])
        assert catalogue.facilities[index].institution in institutions
    distances = haversine_m(lon, lat, catalogue.lon[indices], catalogue.lat[indices])
    assert (np.diff(distances) >= 0).all()
