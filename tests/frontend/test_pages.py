"""The family search page renders in Spanish by default and in English on request."""
import pytest
from django.conf import settings
from django.urls import reverse

from geoservices.models import Need

pytestmark = pytest.mark.django_db


def get_home(client, language=None):
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(reverse("frontend:home"))


def test_home_spanish_by_default(client):
    response = get_home(client)
    html = response.content.decode()

    assert response.status_code == 200
    assert '<html lang="es">' in html
    assert "¿Dónde está?" in html
    assert "Sin seguro" in html
    assert ">Buscar</button>" in html


def test_home_lists_every_need_in_spanish(client):
    html = get_home(client).content.decode()
    needs = list(Need.objects.values_list("code", "name_es"))

    assert needs, "the Need table is empty: load_data did not load the needs"
    for code, name in needs:
        assert f'value="{code}"' in html
        assert name in html


def test_home_english_from_cookie(client):
    response = get_home(client, "en")
    html = response.content.decode()

    assert '<html lang="en">' in html
    assert "Where are you?" in html
    assert "No insurance" in html
    for name in Need.objects.values_list("name_en", flat=True):
        assert name in html


def test_home_offers_visible_language_switch(client):
    spanish = get_home(client).content.decode()

    assert 'name="language" value="en"' in spanish
    assert reverse("set_language") in spanish


def test_language_switch_is_remembered(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in client.get("/").content.decode()


def test_home_sets_csrf_cookie(client):
    response = get_home(client)

    assert settings.CSRF_COOKIE_NAME in response.cookies


@pytest.mark.parametrize(
    "field",
    [
        'id="place-query"',
        'id="use-my-location"',
        'name="insurance" value="sis"',
        'name="sisfoh" value="unknown"',
        'name="mode" value="drive"',
        'id="member-template"',
        'id="map"',
    ],
)
def test_home_has_form_control(client, field):
    assert field in get_home(client).content.decode()


def test_home_labels_every_input(client):
    # Inputs inside <label> are labelled by it; the others need a <label for=...>.
    html = get_home(client).content.decode()

    for control_id in ("place-query", "member-__i__-age", "member-__i__-chronic"):
        assert f'for="{control_id}"' in html


def test_javascript_catalogue_spanish(client):
    response = client.get(reverse("frontend:javascript-catalog"))
    body = response.content.decode()

    assert response.status_code == 200
    assert '"by the road network": "por la red vial"' in body
    # The catalogue is JSON inside JavaScript, so accents arrive escaped.
    assert '"straight-line estimate": "estimaci\\u00f3n en l\\u00ednea recta"' in body


def test_javascript_catalogue_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(reverse("frontend:javascript-catalog")).content.decode()

    assert "por la red vial" not in body
