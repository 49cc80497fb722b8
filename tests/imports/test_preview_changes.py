"""The import preview names each change in the admin's language, with the stored and the uploaded value."""
import re

import pyogrio
import pytest
import shapely
from django.conf import settings
from django.urls import reverse
from django.contrib.gis.geos import GEOSGeometry
from django.utils import translation
from shapely import affinity

from geoservices.imports.display import format_value, outline_change
from geoservices.models import District, Facility

from .conftest import AYACUCHO, minsa_rows, write_csv, zip_folder
from .test_admin_pages import preview

pytestmark = pytest.mark.django_db

HUAMANGA_DISTRICT = "050101"


def edited_ayacucho(tmp_path):
    """Write the Ayacucho layer with district 050101 renamed and moved about 110 m north."""
    frame = pyogrio.read_dataframe(AYACUCHO / "distritos_ayacucho.shp")
    index = frame.index[frame["ubigeo"] == HUAMANGA_DISTRICT][0]
    frame.loc[index, "distrito"] = "AYACUCHO NUEVO"
    frame.loc[index, "geometry"] = affinity.translate(frame.loc[index, "geometry"], yoff=0.001)
    folder = tmp_path / "edited"
    folder.mkdir()
    pyogrio.write_dataframe(frame, folder / "distritos_ayacucho.shp", encoding="UTF-8")
    return zip_folder(folder, tmp_path / "distritos_editados.zip")


def changed_row(response, key):
    return next(row for row in response.context["rows"] if row["key"] == key)


def test_boundary_preview_old_and_new(client, staff, tmp_path):  # noqa: F811
    stored_name = District.objects.get(pk=HUAMANGA_DISTRICT).name

    response = preview(client, "admin:geoservices_import_boundaries", edited_ayacucho(tmp_path), level="district")
    html = response.content.decode()
    row = changed_row(response, HUAMANGA_DISTRICT)
    changes = {change["field"]: change for change in row["changes"]}

    assert response.status_code == 200
    assert row["action_label"] == "Actualizada"
    assert changes["name"]["label"] == "Nombre"
    assert changes["name"]["old"] == stored_name
    assert changes["name"]["new"] == "Ayacucho Nuevo"
    assert changes["geom"]["label"] == "Contorno"
    assert re.fullmatch(r"[\d.,]+ km²", changes["geom"]["old"])
    assert re.fullmatch(r"[\d.,]+ km², con el borde desplazado hasta \d+ m", changes["geom"]["new"])
    assert f"Nombre</span>: {stored_name} → Ayacucho Nuevo" in html
    assert "<td>updated</td>" not in html


def test_applied_import_summary_spanish(client, staff, tmp_path):  # noqa: F811
    response = preview(client, "admin:geoservices_import_boundaries", edited_ayacucho(tmp_path), level="district")
    updated = response.context["counts"]["updated"]

    response = client.post(reverse("admin:geoservices_import_boundaries"),
                           {"token": response.context["token"], "apply": "1"}, follow=True)
    html = response.content.decode()

    assert response.status_code == 200
    assert f"Actualizadas: {updated}" in html
    assert "Creadas: 0" in html
    assert "updated " not in html


def test_boundary_preview_english(client, staff, tmp_path):  # noqa: F811
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = preview(client, "admin:geoservices_import_boundaries", edited_ayacucho(tmp_path), level="district")
    row = changed_row(response, HUAMANGA_DISTRICT)

    assert row["action_label"] == "Updated"
    assert [change["label"] for change in row["changes"]] == ["Name", "Outline"]


def test_outline_shift_in_metres():
    district = District.objects.get(pk=HUAMANGA_DISTRICT)
    # 0.001° of longitude is about 108 m at Huamanga's 13° S.
    moved_shape = affinity.translate(shapely.from_wkb(bytes(district.geom.wkb)), xoff=0.001)
    moved = GEOSGeometry(memoryview(shapely.to_wkb(moved_shape)), srid=4326)

    with translation.override("es"):
        old_text, new_text = outline_change(district.geom, moved)
    shift_m = int(re.search(r"hasta (\d+) m", new_text).group(1))

    assert old_text.endswith(" km²")
    assert old_text.split(" km²")[0] == new_text.split(" km²")[0]
    assert shift_m == pytest.approx(108, abs=2)


def test_format_value_kinds():
    with translation.override("es"):
        assert format_value("is_operating", True) == "sí"
        assert format_value("beds", None) == "—"
        assert format_value("institution", "gobierno_regional") == "Gobierno regional"
        assert format_value("quality_flags", ["no_name"]) == "Sin nombre en el registro"
        assert format_value("sources", ["minsa_ipress", "serums_2026"]) == "minsa_ipress, serums_2026"


def test_facility_preview_old_and_new_phone(client, staff, tmp_path):  # noqa: F811
    header, rows = minsa_rows(3)
    code = rows[0]["codigo_unico"].zfill(8)
    stored_phone = Facility.objects.get(renaes_code=code).phone
    rows[0]["Teléfono"] = "066-999999"

    response = preview(client, "admin:geoservices_import_facilities", write_csv(tmp_path / "ipress.csv", header, rows))
    changes = {change["field"]: change for change in changed_row(response, code)["changes"]}

    assert changes["phone"]["label"] == "Teléfono"
    assert changes["phone"]["old"] == (stored_phone or "—")
    assert changes["phone"]["new"] == "066-999999"
