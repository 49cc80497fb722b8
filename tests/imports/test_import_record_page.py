"""The import record page, the restore message and the log columns read as Spanish sentences and lists."""
import pytest
from django.urls import reverse

from geoservices.imports.display import restore_sentence
from geoservices.models import ImportRecord

from .conftest import AYACUCHO, zip_folder

pytestmark = pytest.mark.django_db


@pytest.fixture
def record():
    return ImportRecord.objects.create(
        kind=ImportRecord.Kind.FACILITIES, target="facility", status=ImportRecord.Status.APPLIED,
        file_name="serums.csv", counts={"created": 0, "updated": 2, "unchanged": 1, "skipped": 0, "failed": 0},
        messages=["Línea 2 de serums.csv: primer aviso.", "Línea 3 de serums.csv: <segundo> aviso."],
    )


def test_record_page_lists_counts_and_messages(client, staff, record):
    html = client.get(reverse("admin:geoservices_importrecord_change", args=[record.pk])).content.decode()

    assert "Creadas: 0, Actualizadas: 2, Sin cambios: 1, Omitidas: 0" in html
    assert "<li>Línea 2 de serums.csv: primer aviso.</li>" in html
    assert "<li>Línea 3 de serums.csv: &lt;segundo&gt; aviso.</li>" in html
    assert '{"failed"' not in html
    assert "[&quot;" not in html


def test_record_list_column_in_spanish(client, staff, record):
    html = client.get(reverse("admin:geoservices_importrecord_changelist")).content.decode()

    assert "Filas cambiadas" in html
    assert "Rows changed" not in html


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({"deleted": 3, "updated": 0},
         "Se restauró la versión anterior a a.csv: se eliminaron 3 filas que la importación había creado "
         "y 0 filas recuperaron sus valores anteriores."),
        ({"deleted": 1, "updated": 1},
         "Se restauró la versión anterior a a.csv: se eliminó 1 fila que la importación había creado "
         "y 1 fila recuperó sus valores anteriores."),
    ],
)
def test_restore_sentence_in_spanish(counts, expected):
    assert restore_sentence("a.csv", counts) == expected


def test_restore_message_shown_as_sentence(client, staff, tmp_path):
    upload = zip_folder(AYACUCHO, tmp_path / "distritos_ayacucho.zip")
    with upload.open("rb") as handle:
        token = client.post(reverse("admin:geoservices_import_boundaries"),
                            {"file": handle, "level": "district"}).context["token"]
    client.post(reverse("admin:geoservices_import_boundaries"), {"token": token, "apply": "1"})
    record = ImportRecord.objects.get(status=ImportRecord.Status.APPLIED)

    response = client.post(reverse("admin:geoservices_import_restore", args=[record.pk]), follow=True)

    html = response.content.decode()
    assert "Se restauró la versión anterior a distritos_ayacucho.zip: se eliminaron 0 filas" in html
    assert "{&#x27;deleted&#x27;" not in html
    assert "{'deleted'" not in html
