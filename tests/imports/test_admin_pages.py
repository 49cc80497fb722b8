"""Staff upload pages, restore, road network jobs and the data-quality page, through the test client."""
import pytest
from django.urls import reverse

from geoservices.imports import staging
from geoservices.imports.views import LARGE_IMPORT_ROWS
from geoservices.models import DataReport, ImportRecord
from ops.models import Job

from .conftest import AYACUCHO, COUNTRY, minsa_rows, write_csv, zip_folder

pytestmark = pytest.mark.django_db


def preview(client, url_name, upload, **fields):
    with upload.open("rb") as handle:
        return client.post(reverse(url_name), {"file": handle, **fields})


def test_anonymous_redirected_to_login(client):
    response = client.get(reverse("admin:geoservices_import_boundaries"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_boundary_preview_then_apply(client, staff, tmp_path, digest):
    upload = zip_folder(AYACUCHO, tmp_path / "distritos_ayacucho.zip")
    before = digest()

    response = preview(client, "admin:geoservices_import_boundaries", upload, level="district")

    assert response.status_code == 200
    assert response.context["counts"]["failed"] == 0
    assert "Vista previa de distritos_ayacucho.zip" in response.content.decode()
    assert digest() == before
    token = response.context["token"]

    response = client.post(reverse("admin:geoservices_import_boundaries"), {"token": token, "apply": "1"})

    record = ImportRecord.objects.get(status=ImportRecord.Status.APPLIED)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:geoservices_importrecord_change", args=[record.pk])
    assert record.user == staff
    assert not (staging.staging_dir() / token).exists()

    response = client.post(reverse("admin:geoservices_import_restore", args=[record.pk]))

    assert response.status_code == 302
    assert digest() == before


def test_rejected_upload_shows_spanish_message(client, staff, tmp_path, digest):
    upload = zip_folder(AYACUCHO, tmp_path / "sin_prj.zip", skip_suffixes=(".prj",))
    before = digest()

    response = preview(client, "admin:geoservices_import_boundaries", upload, level="district")

    assert response.status_code == 200
    assert "no tiene archivo .prj" in response.content.decode()
    assert digest() == before
    assert list(staging.staging_dir().iterdir()) == []


def test_large_upload_applied_by_job(client, staff, tmp_path, django_capture_on_commit_callbacks):
    upload = zip_folder(COUNTRY, tmp_path / "peru_distritos_1874.zip")
    response = preview(client, "admin:geoservices_import_boundaries", upload, level="district")
    assert len(response.context["plan"].rows) > LARGE_IMPORT_ROWS

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:geoservices_import_boundaries"),
                               {"token": response.context["token"], "apply": "1"})

    job = Job.objects.get(name="import_boundaries")
    assert response["Location"] == reverse("admin:ops_job_change", args=[job.pk])
    assert job.status == Job.Status.SUCCEEDED, job.error
    record = ImportRecord.objects.get(status=ImportRecord.Status.APPLIED)
    assert record.user == staff
    assert record.file_name == "peru_distritos_1874.zip"
    assert list(staging.staging_dir().iterdir()) == []


def test_facility_preview_lists_flags(client, staff, tmp_path):
    header, rows = minsa_rows()
    rows[0]["Horario"] = "SEGUN ROL DE TURNO"
    upload = write_csv(tmp_path / "ipress.csv", header, rows)

    response = preview(client, "admin:geoservices_import_facilities", upload)

    assert "no se puede leer el horario &#x27;SEGUN ROL DE TURNO&#x27;" in response.content.decode()
    client.post(reverse("admin:geoservices_import_facilities"), {"token": response.context["token"], "cancel": "1"})
    assert not ImportRecord.objects.exists()


def test_data_quality_page(client, staff):
    DataReport.objects.create(renaes_code="00007050", topic=DataReport.Topic.HOURS, comment="Cierra a las 13:00")

    response = client.get(reverse("admin:geoservices_data_quality"), {"flag": "zero_coordinates"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Cierra a las 13:00" in html
    flagged = response.context["page"].object_list
    assert flagged
    assert all("zero_coordinates" in facility.quality_flags for facility in flagged)


def test_road_network_upload_queues_build(client, staff, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.GEOSALUD = {**settings.GEOSALUD, "GRAPH_DIR": tmp_path / "graphs"}
    source = settings.GEOSALUD["SOURCE_DATA_DIR"] / "osm_network" / "lima_ventanilla_drive_2km.graphml"

    with source.open("rb") as handle, django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:geoservices_import_road_network"),
                               {"file": handle, "slug": "ventanilla-prueba", "name": "Ventanilla (prueba)"})

    job = Job.objects.get(name="build_uploaded_network")
    assert response["Location"] == reverse("admin:ops_job_change", args=[job.pk])
    assert job.status == Job.Status.SUCCEEDED, job.error
    record = ImportRecord.objects.get(kind=ImportRecord.Kind.ROAD_NETWORK)
    assert record.status == ImportRecord.Status.APPLIED
    assert (tmp_path / "graphs" / "ventanilla-prueba_walk.npz").exists()


def test_district_admin_lists_districts(client, staff):
    response = client.get(reverse("admin:geoservices_district_changelist"), {"q": "050101"})

    assert response.status_code == 200
    assert [district.ubigeo for district in response.context["cl"].result_list] == ["050101"]
