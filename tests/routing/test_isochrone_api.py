"""GET /api/v1/routing/isochrones/ on the real graphs and facilities."""
import json

import pytest
from django.contrib.gis.geos import GEOSGeometry

from geoservices.models import Facility
from routing.models import RoadRegion

pytestmark = pytest.mark.django_db

URL = "/api/v1/routing/isochrones/"


@pytest.fixture
def sjl_facility():
    region = RoadRegion.objects.get(slug="lima-sjl-canto-grande")
    return Facility.objects.filter(is_searchable=True, location__within=region.extent).order_by("renaes_code").first()


def _polygons(response):
    return {f["properties"]["minutes"]: f["geometry"] for f in response.json()["features"]}


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_facility_isochrones_nested(client, sjl_facility, mode):
    response = client.get(URL, {"renaes_code": sjl_facility.renaes_code, "mode": mode, "minutes": "5,15,60"})
    assert response.status_code == 200
    features = response.json()["features"]
    assert [f["properties"]["minutes"] for f in features] == [60, 15, 5]
    assert all(f["properties"]["region"] == "lima-sjl-canto-grande" for f in features)

    shapes = {m: GEOSGeometry(json.dumps(g)) for m, g in _polygons(response).items()}
    # Driving for 15 minutes may already cover the whole SJL graph, hence <=.
    assert shapes[5].area < shapes[60].area
    assert shapes[5].area <= shapes[15].area <= shapes[60].area
    assert shapes[5].contains(sjl_facility.location)


def test_walk_isochrone_smaller_than_drive(client, sjl_facility):
    areas = {}
    for mode in ("walk", "drive"):
        response = client.get(URL, {"renaes_code": sjl_facility.renaes_code, "mode": mode, "minutes": "15"})
        areas[mode] = GEOSGeometry(json.dumps(_polygons(response)[15])).area
    assert areas["walk"] < areas["drive"]


def test_transit_isochrone_inside_drive(client, sjl_facility):
    areas = {}
    for mode in ("transit", "drive"):
        response = client.get(URL, {"renaes_code": sjl_facility.renaes_code, "mode": mode, "minutes": "15"})
        assert response.status_code == 200
        areas[mode] = GEOSGeometry(json.dumps(_polygons(response)[15])).area
    # Ten of the 15 minutes go to waiting, and the bus is slower.
    assert areas["transit"] < areas["drive"]


def test_point_isochrones_default_minutes(client, sjl_facility):
    location = sjl_facility.location
    response = client.get(URL, {"lat": location.y, "lon": location.x})
    assert response.status_code == 200
    assert [f["properties"]["minutes"] for f in response.json()["features"]] == [120, 60, 30, 15]


def test_huamanga_isochrones_on_mtc(client):
    # Huamanga (Ayacucho) has no staged street map but a national road.
    response = client.get(URL, {"lat": -13.1588, "lon": -74.2236, "minutes": "60"})
    assert response.status_code == 200
    feature = response.json()["features"][0]
    assert feature["properties"]["region"] == "peru-mtc"
    assert feature["geometry"] is not None


def test_place_without_network_rejected_in_spanish(client):
    # This point of the Madre de Dios forest is about 89 km from the nearest MTC road.
    response = client.get(URL, {"lat": -11.0, "lon": -71.5}, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 400
    assert "location" in response.json()["errors"]
    assert "red vial" in response.json()["errors"]["location"][0]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": -12.0, "lon": -77.0, "minutes": "15,abc"}, "minutes"),
        ({"lat": -12.0, "lon": -77.0, "minutes": "0"}, "minutes"),
        ({"lat": -12.0, "lon": -77.0, "minutes": "500"}, "minutes"),
        ({"lat": -12.0, "lon": -77.0, "mode": "bicycle"}, "mode"),
        ({"lat": -95.0, "lon": -77.0}, "lat"),
        ({"lon": -77.0}, "non_field_errors"),
    ],
)
def test_bad_query_returns_400(client, params, field):
    response = client.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_unknown_facility_returns_404(client):
    response = client.get(URL, {"renaes_code": "99999999"})
    assert response.status_code == 404
    assert "99999999" in response.json()["errors"]["non_field_errors"][0]
