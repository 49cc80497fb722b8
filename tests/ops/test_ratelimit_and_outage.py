"""Rate limits on search and feedback, and 503 responses for service outages."""
import json

import pytest
from django.core.cache import cache
from django.db import OperationalError
from django.test import RequestFactory, override_settings
from redis.exceptions import ConnectionError as RedisConnectionError

from ops.middleware import client_ip
from ops.outage import is_outage, outage_response

SEARCH_TWICE_A_MINUTE = [
    {"group": "search", "path": r"^/api/v1/match/$", "methods": ("POST",), "rate": "2/m"},
    {"group": "feedback", "path": r"^/api/v1/feedback/", "methods": ("POST",), "rate": "1/m"},
]
INVALID_SEARCH = json.dumps({"household": []})


@pytest.fixture
def limits_on():
    cache.clear()
    with override_settings(RATELIMIT_ENABLE=True, GEOSALUD_RATE_LIMITS=SEARCH_TWICE_A_MINUTE):
        yield
    cache.clear()


@pytest.mark.django_db
def test_search_limited_after_rate(client, limits_on):
    statuses = [
        client.post("/api/v1/match/", INVALID_SEARCH, content_type="application/json").status_code for _ in range(3)
    ]
    assert statuses == [400, 400, 429]


@pytest.mark.django_db
def test_rate_limit_message_in_spanish(client, limits_on):
    for _ in range(2):
        client.post("/api/v1/match/", INVALID_SEARCH, content_type="application/json")
    response = client.post("/api/v1/match/", INVALID_SEARCH, content_type="application/json")
    message = response.json()["errors"]["non_field_errors"][0]
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "Demasiadas solicitudes" in message
    assert "2/m" in message


@pytest.mark.django_db
def test_rate_limit_per_client(client, limits_on):
    for _ in range(2):
        client.post("/api/v1/match/", INVALID_SEARCH, content_type="application/json", REMOTE_ADDR="10.0.0.1")
    other = client.post("/api/v1/match/", INVALID_SEARCH, content_type="application/json", REMOTE_ADDR="10.0.0.2")
    assert other.status_code == 400


@pytest.mark.django_db
def test_feedback_path_limited(client, limits_on):
    first = client.post("/api/v1/feedback/", "{}", content_type="application/json")
    second = client.post("/api/v1/feedback/", "{}", content_type="application/json")
    assert first.status_code != 429
    assert second.status_code == 429


@pytest.mark.django_db
def test_other_paths_not_limited(client, limits_on):
    statuses = {client.get("/api/v1/needs/").status_code for _ in range(5)}
    assert statuses == {200}


@pytest.mark.django_db
def test_rate_limit_off_by_default_in_debug(client):
    cache.clear()
    with override_settings(GEOSALUD_RATE_LIMITS=SEARCH_TWICE_A_MINUTE):
        statuses = {
            client.post("/api/v1/match/", INVALID_SEARCH, content_type="application/json").status_code
            for _ in range(4)
        }
    assert statuses == {400}


@override_settings(GEOSALUD_TRUSTED_PROXIES=1)
def test_client_ip_behind_one_proxy():
    request = RequestFactory().get("/", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="203.0.113.7, 198.51.100.2")
    assert client_ip("search", request) == "198.51.100.2"


def test_client_ip_ignores_forwarded_without_proxy():
    request = RequestFactory().get("/", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert client_ip("search", request) == "172.18.0.5"


OUTAGES = [
    # (case, exception, counts as an outage)
    ("database down", OperationalError("connection refused"), True),
    ("redis down", RedisConnectionError("Connection refused"), True),
    ("programming error", KeyError("household"), False),
]


@pytest.mark.parametrize(("case", "exc", "expected"), OUTAGES, ids=[case[0] for case in OUTAGES])
def test_is_outage(case, exc, expected):
    assert is_outage(exc) is expected


def test_outage_wrapped_in_other_error():
    try:
        try:
            raise OperationalError("server closed the connection unexpectedly")
        except OperationalError as inner:
            raise RuntimeError("search failed") from inner
    except RuntimeError as outer:
        assert is_outage(outer) is True


def test_api_outage_is_503_json_in_spanish():
    request = RequestFactory().post("/api/v1/match/")
    response = outage_response(request, OperationalError("connection refused"))
    body = json.loads(response.content)
    assert response.status_code == 503
    assert response["Retry-After"] == "15"
    assert "no está disponible" in body["errors"]["non_field_errors"][0]


def test_page_outage_is_503_html():
    request = RequestFactory().get("/")
    response = outage_response(request, RedisConnectionError("Connection refused"))
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert "no está disponible" in response.content.decode()


def test_page_fetch_outage_is_json():
    request = RequestFactory().post("/report-data/", "{}", content_type="application/json")
    response = outage_response(request, OperationalError("connection refused"))
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"


@pytest.mark.django_db
def test_data_report_limited(client):
    cache.clear()
    with override_settings(RATELIMIT_ENABLE=True):
        from django.conf import settings

        rules = [{**rule, "rate": "1/m"} for rule in settings.GEOSALUD_RATE_LIMITS]
        with override_settings(GEOSALUD_RATE_LIMITS=rules):
            first = client.post("/report-data/", "{}", content_type="application/json")
            second = client.post("/report-data/", "{}", content_type="application/json")
    cache.clear()
    assert first.status_code == 400
    assert second.status_code == 429
    assert "Demasiadas solicitudes" in second.json()["errors"]["non_field_errors"][0]
