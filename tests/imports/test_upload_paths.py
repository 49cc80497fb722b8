"""Real files through the upload path: apply, restore, encodings, CRS and the commands."""
import pyogrio
import pytest
import shapely
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from geoservices.imports.errors import ImportRejected
from geoservices.imports.services import BoundaryOptions, import_boundaries, import_facilities
from geoservices.imports.versions import restore
from geoservices.models import District, Facility, FacilityService, ImportRecord

from .conftest import AYACUCHO, COUNTRY, MINSA_CSV, minsa_rows, write_csv, zip_folder

pytestmark = pytest.mark.django_db


def run_boundaries(path, commit=False, **options):
    with path.open("rb") as source:
        return import_boundaries(source, path.name, BoundaryOptions(**options), commit=commit)


def test_ayacucho_shapefile_applies_and_restores(tmp_path, digest):
    upload = zip_folder(AYACUCHO, tmp_path / "distritos_ayacucho.zip")
    before = digest()

    with upload.open("rb") as source:
        result = import_boundaries(source, upload.name, BoundaryOptions(), commit=True, with_preview=True)

    counts = result.plan.counts()
    assert counts["failed"] == 0
    assert counts["created"] + counts["updated"] + counts["unchanged"] == 119
    assert result.record.status == ImportRecord.Status.APPLIED
    assert result.record.counts == counts
    assert len(result.plan.details["preview"]["features"]) == counts["updated"]
    assert result.plan.details["crs"] == "EPSG:4326 WGS 84"

    restore(result.record)

    assert digest() == before
    result.record.refresh_from_db()
    assert result.record.status == ImportRecord.Status.RESTORED


def test_country_shapefile_loads(tmp_path):
    upload = zip_folder(COUNTRY, tmp_path / "peru_distritos_1874.zip")

    with upload.open("rb") as source:
        result = import_boundaries(source, upload.name, BoundaryOptions(), commit=True)

    assert result.plan.counts()["failed"] == 0
    assert len(result.plan.rows) == 1874
    layer = pyogrio.read_dataframe(COUNTRY / "peru_distritos_1874.shp").set_index("ubigeo")
    stored = shapely.from_wkb(bytes(District.objects.get(ubigeo="150132").geom.wkb))
    assert shapely.hausdorff_distance(stored, layer.geometry["150132"]) < 1e-5
    assert District.objects.count() == 1874


def test_changed_outline_updates_district(tmp_path):
    frame = pyogrio.read_dataframe(AYACUCHO / "distritos_ayacucho.shp")
    frame = frame[frame.ubigeo == "050101"].copy()
    frame["geometry"] = frame.geometry.buffer(0.01)
    folder = tmp_path / "huamanga"
    folder.mkdir()
    pyogrio.write_dataframe(frame, folder / "huamanga.shp", encoding="UTF-8")
    upload = zip_folder(folder, tmp_path / "huamanga.zip")
    old_area = District.objects.get(ubigeo="050101").geom.area

    result = run_boundaries(upload, commit=True)

    assert [row.changed for row in result.plan.rows] == [["geom"]]
    assert District.objects.get(ubigeo="050101").geom.area > old_area
    assert result.record.previous["updated"]["050101"]["name"] == District.objects.get(ubigeo="050101").name


def test_only_last_import_restorable(tmp_path):
    upload = zip_folder(AYACUCHO, tmp_path / "a.zip")
    first = run_boundaries(upload, commit=True).record
    run_boundaries(upload, commit=True)

    with pytest.raises(ImportRejected) as caught:
        restore(first)

    assert "no es la última importación aplicada" in caught.value.messages[0]


def test_latin1_table_without_cpg_detected(tmp_path):
    frame = pyogrio.read_dataframe(AYACUCHO / "distritos_ayacucho.shp")
    accented = dict(District.objects.filter(ubigeo__in=["050605", "050612", "050703"]).values_list("ubigeo", "name"))
    for ubigeo, name in accented.items():
        frame.loc[frame.ubigeo == ubigeo, "distrito"] = name.upper()
    folder = tmp_path / "latin1"
    folder.mkdir()
    pyogrio.write_dataframe(frame, folder / "distritos_ayacucho.shp", encoding="ISO-8859-1")
    (folder / "distritos_ayacucho.cpg").unlink()
    assert "Ñ".encode("latin-1") in (folder / "distritos_ayacucho.dbf").read_bytes()

    result = run_boundaries(zip_folder(folder, tmp_path / "latin1.zip"))

    assert result.plan.details["encoding"] == "cp1252"
    rows = {row.key: row for row in result.plan.rows}
    for ubigeo, name in accented.items():
        assert rows[ubigeo].values["name"] == name
        assert "name" not in rows[ubigeo].changed


@pytest.mark.parametrize("srid", [24878, 32718, 24877])
def test_utm_layers_reprojected(srid, tmp_path):
    frame = pyogrio.read_dataframe(AYACUCHO / "distritos_ayacucho.shp").set_crs(4326).to_crs(srid)
    folder = tmp_path / f"utm{srid}"
    folder.mkdir()
    pyogrio.write_dataframe(frame, folder / "distritos.shp", encoding="UTF-8")

    result = run_boundaries(zip_folder(folder, tmp_path / f"utm{srid}.zip"))

    assert result.plan.details["crs"].startswith(f"EPSG:{srid} ")
    assert result.plan.counts()["failed"] == 0
    assert all("geom" not in row.changed for row in result.plan.rows)


def test_missing_prj_with_chosen_srid(tmp_path):
    upload = zip_folder(AYACUCHO, tmp_path / "sin_prj.zip", skip_suffixes=(".prj",))

    result = run_boundaries(upload, srid=4326)

    assert result.plan.counts()["failed"] == 0


def test_geojson_province_layer(tmp_path):
    frame = pyogrio.read_dataframe(AYACUCHO / "distritos_ayacucho.shp").dissolve(by="ubigeo_pro", as_index=False)
    path = tmp_path / "provincias.geojson"
    pyogrio.write_dataframe(frame[["ubigeo_pro", "provincia", "geometry"]], path, driver="GeoJSON")

    result = run_boundaries(path, level="province")

    assert len(result.plan.rows) == 11
    assert result.plan.counts()["failed"] == 0


def test_minsa_registry_agrees_with_loader():
    with MINSA_CSV.open("rb") as source:
        result = import_facilities(source, MINSA_CSV.name)

    assert result.plan.counts()["unchanged"] == 7954
    assert result.plan.counts()["updated"] == 0


def test_flagged_rows_stored_out_of_search(tmp_path):
    header, rows = minsa_rows()
    rows[3]["NORTE"] = rows[3]["ESTE"] = "0"
    rows[5]["codigo_unico"] = rows[4]["codigo_unico"]
    upload = write_csv(tmp_path / "ipress.csv", header, rows)

    with upload.open("rb") as source:
        result = import_facilities(source, upload.name, commit=True)

    zero = Facility.objects.get(renaes_code=rows[3]["codigo_unico"].zfill(8))
    assert "zero_coordinates" in zero.quality_flags
    assert not zero.is_searchable
    repeated = Facility.objects.get(renaes_code=rows[4]["codigo_unico"].zfill(8))
    assert "duplicate_code" in repeated.quality_flags
    assert not repeated.is_searchable
    assert result.plan.counts()["skipped"] == 1


def test_new_facility_from_excel_gets_services(tmp_path):
    header, rows = minsa_rows(1)
    rows[0]["codigo_unico"] = "99999901"
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    sheet.append([rows[0][name] for name in header])
    upload = tmp_path / "ipress.xlsx"
    workbook.save(upload)

    with upload.open("rb") as source:
        result = import_facilities(source, upload.name, commit=True)

    assert result.plan.counts()["created"] == 1
    facility = Facility.objects.get(renaes_code="99999901")
    assert facility.is_searchable
    assert FacilityService.objects.filter(facility=facility).exists()

    restore(result.record)

    assert not Facility.objects.filter(renaes_code="99999901").exists()


def test_import_boundaries_command_dry_run(capsys):
    call_command("import_boundaries", str(AYACUCHO / "distritos_ayacucho.shp"), "--srid", "4326")

    output = capsys.readouterr().out
    assert "failed 0" in output
    assert "Dry run" in output
    assert not ImportRecord.objects.exists()


def test_import_command_rejects_nonzero(tmp_path, capsys, digest):
    upload = zip_folder(AYACUCHO, tmp_path / "sin_shx.zip", skip_suffixes=(".shx",))
    before = digest()

    with pytest.raises(CommandError):
        call_command("import_boundaries", str(upload), "--commit")

    assert "no tiene archivo .shx" in capsys.readouterr().err
    assert digest() == before


def test_import_facilities_command_commit(tmp_path, capsys):
    header, rows = minsa_rows(3)
    upload = write_csv(tmp_path / "ipress.csv", header, rows)

    call_command("import_facilities", str(upload), "--commit")

    assert "Applied as import record" in capsys.readouterr().out
    assert ImportRecord.objects.get().counts["failed"] == 0
