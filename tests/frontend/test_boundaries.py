"""Simplified outlines that stand in for map tiles when the tile server is out of reach."""
import pytest
from django.urls import reverse

from geoservices.models import Department

pytestmark = pytest.mark.django_db

SJL_BBOX = "-77.05,-12.0,-76.95,-11.9"


def test_departments_all_present(client):
    response = client.get(reverse("frontend:boundaries-departments"))
    features = response.json()["features"]

    assert response.status_code == 200
    assert len(features) == Department.objects.count()
    assert {feature["geometry"]["type"] for feature in features} <= {"Polygon", "MultiPolygon"}
    assert "max-age=86400" in response["Cache-Control"]


def test_departments_are_simplified(client):
    # 25 departments in under 100 KB: small enough to load only when tiles fail.
    response = client.get(reverse("frontend:boundaries-departments"))

    assert len(response.content) < 100_000


def test_districts_in_bbox(client):
    response = client.get(reverse("frontend:boundaries-districts"), {"bbox": SJL_BBOX})
    names = {feature["properties"]["ubigeo"]: feature["properties"]["name"] for feature in response.json()["features"]}

    assert response.status_code == 200
    assert names["150132"] == "San Juan de Lurigancho"


@pytest.mark.parametrize(
    "bbox, words",
    [
        ("", "minlon,minlat,maxlon,maxlat"),            # missing
        ("-77,-12,-76", "minlon,minlat,maxlon,maxlat"),  # three numbers
        ("-76,-12,-77,-11", "minimum"),                  # min and max swapped
        ("-80,-15,-70,-5", "too large"),                 # 100 square degrees
    ],
)
def test_districts_bad_bbox_is_400(client, bbox, words):
    client.cookies["geosalud_language"] = "en"

    response = client.get(reverse("frontend:boundaries-districts"), {"bbox": bbox})

    assert response.status_code == 400
    assert words in response.json()["errors"]["bbox"][0]
