"""POST /api/v1/feedback/ against the real database."""
import pytest

from matcher.models import Feedback

pytestmark = pytest.mark.django_db

URL = "/api/v1/feedback/"


@pytest.fixture
def renaes_code():
    from geoservices.models import Facility

    return Facility.objects.filter(is_searchable=True).order_by("renaes_code").values_list(
        "renaes_code", flat=True).first()


def valid_body(facility_code, **changes):
    body = {"action": "called", "renaes_code": facility_code, "rank": 2, "results_count": 10,
            "model_version": "nearest_first", "needs": ["prenatal_care"], "insurance": "none",
            "mode": "walk", "travel_time_min": 12.5, "travel_time_source": "road_network", "ubigeo": "150132"}
    body.update(changes)
    return body


def test_feedback_is_stored(client, renaes_code):
    response = client.post(URL, valid_body(renaes_code), content_type="application/json")

    assert response.status_code == 201
    feedback = Feedback.objects.get(pk=response.json()["id"])
    assert feedback.action == "called"
    assert feedback.renaes_code == renaes_code
    assert feedback.needs == ["prenatal_care"]


# Each case: the field changed, its bad value, and a fragment of the Spanish message.
BAD_FIELDS = [
    ("action", "liked", "Acción desconocida"),
    ("renaes_code", "12AB", "8 dígitos"),
    ("renaes_code", "99999999", "99999999"),
    ("rank", 0, "empieza en 1"),
    ("rank", 11, "11"),
    ("needs", ["massage"], "massage"),
    ("ubigeo", "15013", "6 dígitos"),
]


@pytest.mark.parametrize(("field", "value", "fragment"), BAD_FIELDS)
def test_bad_feedback_is_rejected_in_spanish(client, renaes_code, field, value, fragment):
    # Browser tests may have committed feedback before this test, so compare counts.
    stored_before = Feedback.objects.count()
    response = client.post(URL, valid_body(renaes_code, **{field: value}), content_type="application/json",
                           HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 400
    messages = response.json()["errors"][field]
    assert any(fragment in message for message in messages), messages
    assert Feedback.objects.count() == stored_before


def test_personal_fields_are_rejected(client, renaes_code):
    stored_before = Feedback.objects.count()
    response = client.post(URL, valid_body(renaes_code, name="Rosa Quispe"), content_type="application/json")

    assert response.status_code == 400
    assert "name" in response.json()["errors"]
    assert Feedback.objects.count() == stored_before
