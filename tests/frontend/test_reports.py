"""Wrong-data reports from families reach the review queue without personal data."""
import pytest
from django.urls import reverse

from frontend.reports import scrub_comment
from geoservices.models import DataReport, Facility

pytestmark = pytest.mark.django_db


@pytest.fixture
def facility():
    return Facility.objects.filter(is_searchable=True).order_by("renaes_code").first()


def post_report(client, body):
    return client.post(reverse("frontend:report-data"), body, content_type="application/json")


def test_report_stored_open(client, facility):
    response = post_report(client, {"renaes_code": facility.renaes_code, "topic": "hours",
                                    "comment": "Ahora cierra a las 14:00"})
    report = DataReport.objects.get(pk=response.json()["id"])

    assert response.status_code == 201
    assert report.renaes_code == facility.renaes_code
    assert report.topic == "hours"
    assert report.status == "open"
    assert report.comment == "Ahora cierra a las 14:00"


def test_report_comment_drops_id_numbers(client, facility):
    response = post_report(client, {"renaes_code": facility.renaes_code, "topic": "phone",
                                    "comment": "Llamé al 01 388-2503 con el DNI 45678912"})
    comment = DataReport.objects.get(pk=response.json()["id"]).comment

    assert "45678912" not in comment
    assert "388-2503" not in comment
    assert comment.startswith("Llamé al")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Abre 08:00 - 14:00", "Abre 08:00 - 14:00"),    # hours stay
        ("Desde 2024 cerrado", "Desde 2024 cerrado"),      # years stay
        ("DNI 45678912", "DNI […]"),                       # 8-digit DNI
        ("cel 987 654 321", "cel […]"),                    # mobile number with spaces
    ],
)
def test_scrub_comment(text, expected):
    assert scrub_comment(text) == expected


def test_report_unknown_topic_is_400(client, facility):
    response = post_report(client, {"renaes_code": facility.renaes_code, "topic": "prices"})

    assert response.status_code == 400
    assert "prices" in response.json()["errors"]["topic"][0]


@pytest.mark.parametrize("body", [{"topic": ""}, {"topic": None}, {}])
def test_report_without_topic_asks_for_one(client, facility, body):
    response = post_report(client, {"renaes_code": facility.renaes_code, **body})

    assert response.status_code == 400
    message = response.json()["errors"]["topic"][0]
    assert message.startswith("Elija un tema"), message
    assert "desconocido" not in message


def test_report_unknown_facility_is_400(client):
    response = post_report(client, {"renaes_code": "99999999", "topic": "closed"})

    assert response.status_code == 400
    assert "99999999" in response.json()["errors"]["renaes_code"][0]


def test_report_hidden_facility_is_400(client):
    hidden = Facility.objects.filter(is_searchable=False).first()

    response = post_report(client, {"renaes_code": hidden.renaes_code, "topic": "closed"})

    assert response.status_code == 400
    assert DataReport.objects.filter(renaes_code=hidden.renaes_code).count() == 0
