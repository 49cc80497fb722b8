"""Spanish first: pages ignore the browser language, the API follows it."""
import json

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_page_is_spanish_despite_english_browser(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert '<html lang="es"' in response.content.decode()


def test_page_follows_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="es-PE")
    assert '<html lang="en"' in response.content.decode()


def test_language_switch_is_remembered(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en"' in client.get("/").content.decode()


def test_api_follows_accept_language(client):
    body = {"location": {"lat": 40.4, "lon": -3.7}, "household": [{"age": 30}], "needs": ["dental"]}
    spanish = client.post("/api/v1/match/", json.dumps(body), content_type="application/json")
    english = client.post(
        "/api/v1/match/", json.dumps(body), content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "fuera del Perú" in spanish.json()["errors"]["location"][0]
    assert "outside Peru" in english.json()["errors"]["location"][0]
