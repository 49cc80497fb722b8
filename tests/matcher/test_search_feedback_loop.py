"""Feedback on a shown list becomes a real training session for the ranker."""
import json

import pytest

from matcher.models import Feedback, SearchImpression
from matcher.training_data import feedback_sessions

pytestmark = pytest.mark.django_db

SEARCH = {
    "location": {"lat": -11.9763, "lon": -77.0013},
    "household": [{"age": 27, "sex": "F", "pregnant": True}],
    "needs": ["prenatal_care"],
    "insurance": "none",
    "sisfoh": "pobre",
    "mode": "walk",
}


def search(client) -> dict:
    response = client.post("/api/v1/match/", json.dumps(SEARCH), content_type="application/json")
    assert response.status_code == 200
    return response.json()


def send(client, body) -> object:
    return client.post("/api/v1/feedback/", json.dumps(body), content_type="application/json")


def test_search_stores_shown_list_without_household(client):
    body = search(client)
    impression = SearchImpression.objects.get(token=body["search"]["id"])
    codes = [candidate["renaes_code"] for candidate in impression.candidates]
    assert codes == [facility["renaes_code"] for facility in body["facilities"]]
    assert impression.context["needs"] == ["prenatal_care"]
    stored = json.dumps([impression.context, impression.candidates])
    assert "27" not in json.dumps(impression.context)
    assert "-11.97" not in stored


def test_feedback_links_to_its_search(client):
    body = search(client)
    second = body["facilities"][1]
    response = send(client, {"action": "attended", "renaes_code": second["renaes_code"], "rank": 2,
                             "search_id": body["search"]["id"]})
    assert response.status_code == 201
    assert Feedback.objects.get(pk=response.json()["id"]).search.token.hex == body["search"]["id"].replace("-", "")


def test_feedback_for_facility_not_shown_rejected(client):
    body = search(client)
    response = send(client, {"action": "opened", "renaes_code": "00007050", "rank": 1,
                             "search_id": body["search"]["id"]})
    assert response.status_code == 400
    assert "00007050" in response.json()["errors"]["renaes_code"][0]


def test_unknown_search_id_rejected(client):
    response = send(client, {"action": "opened", "renaes_code": "00007050", "rank": 1,
                             "search_id": "6f1c1f8e-0000-4000-8000-000000000000"})
    assert response.status_code == 400
    assert "search_id" in response.json()["errors"]


def test_feedback_becomes_labelled_session(client):
    body = search(client)
    token = body["search"]["id"]
    first, second = body["facilities"][0], body["facilities"][1]
    send(client, {"action": "called", "renaes_code": first["renaes_code"], "rank": 1, "search_id": token})
    send(client, {"action": "not_attended", "renaes_code": first["renaes_code"], "rank": 1, "search_id": token})
    send(client, {"action": "attended", "renaes_code": second["renaes_code"], "rank": 2, "search_id": token})

    sessions = [session for session in feedback_sessions() if session["context"]["data"] == "feedback"]
    session = next(s for s in sessions if s["context"]["search_id"] == token)
    assert session["labels"][0] == 0  # "not attended" overrides the call
    assert session["labels"][1] == 2
    assert sum(session["labels"][2:]) == 0
