"""Health endpoint, Prometheus metrics and the OpenAPI schema, on the real data."""
import json

import pytest
from django.test import override_settings

from ops import metrics

pytestmark = pytest.mark.django_db

SJL_SEARCH = {
    "location": {"lat": -11.9763, "lon": -77.0013},
    "household": [{"age": 27, "sex": "F", "pregnant": True}],
    "needs": ["prenatal_care"],
    "insurance": "none",
    "sisfoh": "pobre",
    "mode": "walk",
}


def search_count(outcome):
    return metrics.REGISTRY.get_sample_value("geosalud_searches_total", {"outcome": outcome}) or 0.0


def test_health_ok_with_loaded_data(client):
    response = client.get("/health/")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["database"]["postgis"]
    assert body["checks"]["graphs"]["ok"] is True
    assert body["checks"]["graphs"]["graphs"] >= 1


def test_health_503_without_graphs(client, settings, tmp_path):
    settings.GEOSALUD = {**settings.GEOSALUD, "GRAPH_DIR": tmp_path}
    response = client.get("/health/")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["graphs"]["ok"] is False
    assert "build_graphs" in body["checks"]["graphs"]["error"]


def test_health_reports_model_version(client):
    from matcher.ranking import get_ranker

    ranker = get_ranker()
    model = client.get("/health/").json()["checks"]["model"]
    assert model["critical"] is False
    if ranker is None:
        assert model["ok"] is False
        assert "nearest first" in model["error"]
    else:
        assert model["ok"] is True
        assert model["version"] == ranker.version
        assert metrics.model_version() == ranker.version


def test_liveness_needs_no_services(client):
    response = client.get("/health/live/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_metrics_from_loopback(client):
    client.get("/health/live/")
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    text = response.content.decode()
    assert response.status_code == 200
    assert "django_http_requests_latency_seconds_by_view_method" in text
    assert 'view="ops:live"' in text
    assert "geosalud_job_duration_seconds" in text


def test_metrics_forbidden_from_other_hosts(client):
    response = client.get("/metrics", REMOTE_ADDR="192.0.2.10")
    assert response.status_code == 403


@override_settings(GEOSALUD_METRICS_TOKEN="s3cret-token")
def test_metrics_with_bearer_token(client):
    allowed = client.get("/metrics", REMOTE_ADDR="192.0.2.10", HTTP_AUTHORIZATION="Bearer s3cret-token")
    wrong = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer other")
    assert allowed.status_code == 200
    assert wrong.status_code == 403


def test_search_counted_by_outcome(client):
    ok_before, invalid_before = search_count("ok"), search_count("invalid")
    good = client.post("/api/v1/match/", json.dumps(SJL_SEARCH), content_type="application/json")
    bad = client.post("/api/v1/match/", json.dumps({**SJL_SEARCH, "needs": []}), content_type="application/json")
    assert good.status_code == 200
    assert bad.status_code == 400
    assert search_count("ok") == ok_before + 1
    assert search_count("invalid") == invalid_before + 1


def test_model_version_metric():
    metrics.set_model_version("v1")
    metrics.set_model_version("v2")
    try:
        assert metrics.REGISTRY.get_sample_value("geosalud_model_info", {"version": "v1"}) == 0
        assert metrics.REGISTRY.get_sample_value("geosalud_model_info", {"version": "v2"}) == 1
    finally:
        metrics._model_version = None


def test_unknown_search_outcome_rejected():
    with pytest.raises(ValueError, match="rate_limited"):
        metrics.record_search("maybe")


def test_openapi_schema_documents_match(client):
    response = client.get("/api/v1/schema/?format=json")
    schema = response.json()
    assert response.status_code == 200
    assert schema["info"]["version"] == "v1"
    match = schema["paths"]["/api/v1/match/"]["post"]
    assert match["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/MatchRequest")
    assert {"200", "400", "429", "503"} <= set(match["responses"])
    assert "/api/v1/facilities/" in schema["paths"]


def test_api_docs_page_self_hosted(client):
    response = client.get("/api/v1/docs/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr.net" not in html


def test_content_security_policy_header(client):
    policy = client.get("/health/live/")["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
