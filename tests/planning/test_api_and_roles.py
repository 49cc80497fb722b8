"""Planner role enforcement, the coverage API's shape, jobs and exports."""
import pytest
from django.contrib.auth.models import User
from django.test import Client

from ops.models import Job

from .conftest import SMALL_DEPARTMENT

pytestmark = pytest.mark.django_db

COVERAGE_URL = "/api/v1/coverage/?care=any&minutes=60&mode=walk&level=district"

PROTECTED_API = [
    ("get", COVERAGE_URL),
    ("get", "/api/v1/coverage/ranking/"),
    ("get", f"/api/v1/coverage/suggestions/?department={SMALL_DEPARTMENT}"),
    ("get", f"/api/v1/coverage/catchments/?department={SMALL_DEPARTMENT}"),
    ("get", "/api/v1/coverage/unmet/"),
    ("post", "/api/v1/coverage/jobs/"),
    ("post", "/api/v1/coverage/scenario/"),
]


@pytest.mark.parametrize("method, url", PROTECTED_API)
def test_anonymous_refused_by_api(anonymous_client, method, url):
    response = getattr(anonymous_client, method)(url)

    assert response.status_code == 403
    assert "errors" in response.json()


@pytest.mark.parametrize("method, url", PROTECTED_API)
def test_non_planner_refused_by_api(other_client, method, url):
    response = getattr(other_client, method)(url)

    assert response.status_code == 403


def test_anonymous_page_goes_to_login(anonymous_client):
    response = anonymous_client.get("/planning/")

    assert response.status_code == 302
    assert response["Location"].startswith("/planning/login/")


@pytest.mark.parametrize("url", ["/planning/", "/planning/export/csv"])
def test_non_planner_page_forbidden(other_client, url):
    assert other_client.get(url).status_code == 403


def test_staff_may_use_planning():
    staff = User.objects.create_user("staff_test", password="staff-test-pass-2026", is_staff=True)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(staff)

    assert client.get("/planning/").status_code == 200


def test_login_form_reaches_page(anonymous_client, planner_client):
    response = anonymous_client.post(
        "/planning/login/", {"username": "planner_test", "password": "planner-test-pass-2026"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/planning/"


def test_page_in_spanish_with_method(planner_client, small_run):
    response = planner_client.get("/planning/", HTTP_ACCEPT_LANGUAGE="es")
    page = response.content.decode()

    assert response.status_code == 200
    assert '<html lang="es">' in page
    assert "Censos Nacionales 2017" in page
    assert "coverage-map" in page


def test_coverage_geojson_shape(planner_client, small_run):
    response = planner_client.get(COVERAGE_URL)
    body = response.json()

    assert response.status_code == 200
    assert body["type"] == "FeatureCollection"
    assert body["minutes"] == 60
    assert body["method"] and body["sources"]
    assert {"department": SMALL_DEPARTMENT, "computed_at": small_run.computed_at.isoformat()} in body["computed"]
    districts = [feature for feature in body["features"] if feature["id"].startswith(SMALL_DEPARTMENT)]
    assert len(districts) == small_run.district_rows.count()
    for feature in districts:
        properties = feature["properties"]
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert {"ubigeo", "population", "population_beyond", "share_beyond"} <= set(properties)
        assert 0 <= properties["population_beyond"] <= properties["population"]
        assert properties["share_beyond"] == pytest.approx(
            properties["population_beyond"] / properties["population"], abs=1e-4
        )


def test_department_level_sums_districts(planner_client, small_run):
    body = planner_client.get(
        f"/api/v1/coverage/?care=any&minutes=120&mode=walk&level=department&department={SMALL_DEPARTMENT}"
    ).json()

    assert [feature["id"] for feature in body["features"]] == [SMALL_DEPARTMENT]
    properties = body["features"][0]["properties"]
    assert properties["population"] == sum(row.population for row in small_run.district_rows.all())
    assert properties["population_beyond"] == sum(row.beyond_120 for row in small_run.district_rows.all())


def test_invalid_query_names_value_in_spanish(planner_client):
    response = planner_client.get("/api/v1/coverage/?care=dentistry&minutes=45", HTTP_ACCEPT_LANGUAGE="es")
    errors = response.json()["errors"]

    assert response.status_code == 400
    assert "dentistry" in errors["care"][0]
    assert "45" in errors["minutes"][0]


def test_scenario_without_run_explains_fix(planner_client):
    response = planner_client.post(
        "/api/v1/coverage/scenario/",
        {"department": "01", "care": "dental", "mode": "drive", "sites": [{"lon": -77.87, "lat": -6.23}]},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "01" in response.json()["errors"]["department"][0]


def test_scenario_rejects_point_outside_peru(planner_client, small_run):
    response = planner_client.post(
        "/api/v1/coverage/scenario/",
        {"department": SMALL_DEPARTMENT, "sites": [{"lon": -10.95, "lat": -69.6}]},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "-10.95" in response.json()["errors"]["sites.0"][0]


@pytest.mark.parametrize(
    "code, expected",
    [
        # RENAES 00001234 is a health centre of Arequipa, not of Madre de Dios.
        ("1234", ["00001234", "Arequipa", "Madre de Dios"]),
        ("12A4", ["«12A4»", "solo dígitos"]),
    ],
)
def test_scenario_rejects_bad_upgrade_code(planner_client, small_run, code, expected):
    response = planner_client.post(
        "/api/v1/coverage/scenario/",
        {"department": SMALL_DEPARTMENT, "upgrades": [{"renaes_code": code, "category": "I-4"}]},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    messages = [message for found in response.json()["errors"].values() for message in found]

    assert response.status_code == 400
    for text in expected:
        assert any(text in message for message in messages), (text, messages)


def test_job_runs_and_reports_progress(planner_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = planner_client.post(
            "/api/v1/coverage/jobs/",
            {"department": SMALL_DEPARTMENT, "care": "childbirth", "mode": "drive"},
            content_type="application/json",
        )
    job_id = response.json()["id"]
    status = planner_client.get(f"/api/v1/coverage/jobs/{job_id}/").json()

    assert response.status_code == 202
    assert status["status"] == Job.Status.SUCCEEDED
    assert status["progress"] == 1.0
    assert status["finished"] is True
    assert "output" not in status


@pytest.mark.parametrize(
    "file_format, content_type",
    [("csv", "text/csv; charset=utf-8"), ("geojson", "application/geo+json"), ("png", "image/png")],
)
def test_exports(planner_client, small_run, file_format, content_type):
    response = planner_client.get(f"/planning/export/{file_format}?care=any&level=province&minutes=30")

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert f".{file_format}" in response["Content-Disposition"]
    if file_format == "csv":
        assert response.content.startswith(b"\xef\xbb\xbf")
        lines = response.content.decode("utf-8-sig").splitlines()
        assert lines[0].startswith("ubigeo,name,population,population_beyond_30,share_beyond_30")
        assert any(line.startswith(SMALL_DEPARTMENT) for line in lines[1:])
    if file_format == "png":
        assert response.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_csv_export_opens_in_excel(planner_client, small_run):
    # Excel takes a CSV for UTF-8 only when it starts with the byte order mark.
    response = planner_client.get(f"/planning/export/csv?care=any&level=district&department={SMALL_DEPARTMENT}")
    body = response.content

    assert body.startswith(b"\xef\xbb\xbf")
    assert "Iñapari".encode() in body
    assert body.count(b"\xef\xbb\xbf") == 1


def test_unmet_groups_named_in_spanish(planner_client):
    from django.contrib.gis.geos import Point

    from geoservices.models import SearchRecord

    for _index in range(5):
        SearchRecord.objects.create(
            ubigeo="170301", coarse_location=Point(-69.6, -10.95, srid=4326), needs=["childbirth"],
            insurance="sis", sisfoh="pobre", mode="walk", household_size=2, age_bands=["18-29"], results_count=0,
        )

    body = planner_client.get("/api/v1/coverage/unmet/?department=17", HTTP_ACCEPT_LANGUAGE="es").json()

    group = next(item for item in body["results"] if item["ubigeo"] == "170301" and item["need"] == "childbirth")
    assert group["need_name"] == "Atención de parto"
    assert group["unmet"] >= 5
    assert set(group) == {"ubigeo", "district_name", "need", "need_name", "searches", "unmet"}
