"""Loading a programme's district coverage list in the admin, and its effect on the search's programmes."""
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.forms.models import model_to_dict
from django.urls import reverse

from matcher.models import Programme
from matcher.services import evaluate_programmes

pytestmark = pytest.mark.django_db

# Two real districts: Cusco (080101) and San Juan de Lurigancho (150132).
COVERAGE_CSV = b"ubigeo,distrito\n080101,CUSCO\n150132,SAN JUAN DE LURIGANCHO\n"


@pytest.fixture
def juntos():
    call_command("load_programs", verbosity=0)
    return Programme.objects.get(code="juntos")


@pytest.fixture
def admin_client_es(client, admin_user):
    client.force_login(admin_user)
    client.cookies["geosalud_language"] = "es"
    return client


def post_programme(client, programme, csv_bytes=None, typed=None):
    """Post the programme's admin change form unchanged except for its coverage."""
    data = {key: value for key, value in model_to_dict(programme).items() if value is not None and key != "id"}
    data["sources"] = ",".join(programme.sources)
    data["documents_es"] = json.dumps(programme.documents_es)
    data["documents_en"] = json.dumps(programme.documents_en)
    data["coverage_ubigeos"] = ",".join(typed if typed is not None else programme.coverage_ubigeos)
    data.update({"rules-TOTAL_FORMS": "0", "rules-INITIAL_FORMS": "0", "rules-MIN_NUM_FORMS": "0",
                 "rules-MAX_NUM_FORMS": "1000"})
    if csv_bytes is not None:
        data["coverage_file"] = SimpleUploadedFile("cobertura.csv", csv_bytes, content_type="text/csv")
    url = reverse("admin:matcher_programme_change", args=[programme.pk])
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE="es")


def test_admin_loads_coverage_csv(juntos, admin_client_es):
    response = post_programme(admin_client_es, juntos, COVERAGE_CSV)

    assert response.status_code == 302, response.content.decode()[:2000]
    juntos.refresh_from_db()
    assert juntos.coverage_ubigeos == ["080101", "150132"]


def test_admin_loads_headerless_csv(juntos, admin_client_es):
    response = post_programme(admin_client_es, juntos, b"080101\n080101\n150132\n")

    assert response.status_code == 302
    juntos.refresh_from_db()
    assert juntos.coverage_ubigeos == ["080101", "150132"]


# Each case: file content, words of the Spanish error.
BAD_FILES = [
    (b"ubigeo\n080101\n999999\n", "Ningún distrito tiene el ubigeo 999999"),
    (b"ubigeo\n80101\n", "80101"),
    (b"", "El archivo enviado"),  # Django's own check for an empty upload
    (b"\n \n", "El archivo de cobertura está vacío"),
    ("ubigeo\n080101\n".encode("utf-16"), "no es texto UTF-8"),
]


@pytest.mark.parametrize(("content", "words"), BAD_FILES)
def test_admin_rejects_bad_coverage_file(juntos, admin_client_es, content, words):
    juntos.coverage_ubigeos = ["150132"]
    juntos.save()

    response = post_programme(admin_client_es, juntos, content)

    assert response.status_code == 200
    assert words in response.content.decode()
    juntos.refresh_from_db()
    assert juntos.coverage_ubigeos == ["150132"]


def test_admin_rejects_unknown_typed_ubigeo(juntos, admin_client_es):
    response = post_programme(admin_client_es, juntos, typed=["150132", "123456"])

    assert response.status_code == 200
    assert "Ningún distrito tiene el ubigeo 123456" in response.content.decode()
    juntos.refresh_from_db()
    assert juntos.coverage_ubigeos == []


@pytest.mark.parametrize(("ubigeo", "status"), [("150132", "eligible"), ("080101", "not_eligible")])
def test_coverage_list_decides_juntos(juntos, ubigeo, status):
    juntos.coverage_ubigeos = ["150132"]
    juntos.save()
    household = [{"age": 30, "sex": "F"}, {"age": 8, "sex": "M"}]

    results = evaluate_programmes(household, insurance="sis", sisfoh="pobre", ubigeo=ubigeo, language="es")

    assert {result["code"]: result["status"] for result in results}["juntos"] == status
