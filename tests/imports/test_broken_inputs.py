"""Broken uploads built from the real staged files: each gets its Spanish message and changes nothing.

Every case builds its file in tmp_path from the Ayacucho district shapefile
or the MINSA registry, runs the import with ``commit=True`` and checks the
message and that the stored tables are byte for byte what they were.
Cases that are accepted with a note (a repair) run as a dry run instead,
and check the note and that the preview wrote nothing.
"""
import io
import tempfile
import zipfile

import geopandas as gpd
import pyogrio
import pytest
import shapely
from pyproj import CRS

from geoservices.imports.errors import ImportRejected
from geoservices.imports.services import BoundaryOptions, import_boundaries, import_facilities
from geoservices.models import ImportRecord

from .conftest import AYACUCHO, copy_layer, minsa_rows, write_csv, zip_folder

pytestmark = pytest.mark.django_db


def read_ayacucho() -> gpd.GeoDataFrame:
    return pyogrio.read_dataframe(AYACUCHO / "distritos_ayacucho.shp")


def write_layer(frame: gpd.GeoDataFrame, tmp_path, **kwargs):
    folder = tmp_path / "edited"
    folder.mkdir()
    pyogrio.write_dataframe(frame, folder / "distritos_ayacucho.shp", encoding="UTF-8", **kwargs)
    return zip_folder(folder, tmp_path / "edited.zip")


# --- Boundary layers, rejected -------------------------------------------------------------------


def missing_shx(tmp_path):
    return zip_folder(AYACUCHO, tmp_path / "sin_shx.zip", skip_suffixes=(".shx",))


def missing_dbf(tmp_path):
    return zip_folder(AYACUCHO, tmp_path / "sin_dbf.zip", skip_suffixes=(".dbf",))


def missing_prj(tmp_path):
    return zip_folder(AYACUCHO, tmp_path / "sin_prj.zip", skip_suffixes=(".prj",))


def unreadable_prj(tmp_path):
    folder = copy_layer(AYACUCHO, tmp_path)
    (folder / "distritos_ayacucho.prj").write_text("coordenadas geograficas, datum desconocido")
    return zip_folder(folder, tmp_path / "prj_ilegible.zip")


def degrees_labelled_utm(tmp_path):
    # The .prj declares UTM 18S but the coordinates are degrees, so every feature lands outside Peru.
    folder = copy_layer(AYACUCHO, tmp_path)
    (folder / "distritos_ayacucho.prj").write_text(CRS.from_epsg(32718).to_wkt("WKT1_ESRI"))
    return zip_folder(folder, tmp_path / "crs_equivocado.zip")


def metres_labelled_wgs84(tmp_path):
    # Coordinates in UTM 18S metres under the original WGS 84 .prj.
    frame = read_ayacucho().set_crs(4326).to_crs(32718).set_crs(4326, allow_override=True)
    return write_layer(frame, tmp_path)


def latin1_table_declared_utf8(tmp_path):
    frame = read_ayacucho()
    frame.loc[frame.ubigeo == "050605", "distrito"] = "CHAVIÑA"
    folder = tmp_path / "latin1"
    folder.mkdir()
    pyogrio.write_dataframe(frame, folder / "distritos_ayacucho.shp", encoding="ISO-8859-1")
    (folder / "distritos_ayacucho.cpg").write_text("UTF-8")
    return zip_folder(folder, tmp_path / "latin1_como_utf8.zip")


def point_geometries(tmp_path):
    frame = read_ayacucho()
    frame = frame.set_geometry(frame.geometry.representative_point())
    return write_layer(frame, tmp_path)


def empty_layer(tmp_path):
    return write_layer(read_ayacucho().iloc[0:0], tmp_path, geometry_type="Polygon")


def feature_outside_peru(tmp_path):
    frame = read_ayacucho()
    frame.loc[3, "geometry"] = shapely.affinity.translate(frame.geometry[3], xoff=40.0)
    return write_layer(frame, tmp_path)


def repeated_ubigeo(tmp_path):
    frame = read_ayacucho()
    frame.loc[7, "ubigeo"] = frame.loc[6, "ubigeo"]
    return write_layer(frame, tmp_path)


def letters_in_ubigeo(tmp_path):
    frame = read_ayacucho()
    frame.loc[2, "ubigeo"] = "05O1O3"
    return write_layer(frame, tmp_path)


def unknown_province(tmp_path):
    frame = read_ayacucho()
    frame.loc[0, "ubigeo"] = "059901"
    return write_layer(frame, tmp_path)


def empty_name(tmp_path):
    frame = read_ayacucho()
    frame.loc[4, "distrito"] = ""
    return write_layer(frame, tmp_path)


def zip_with_parent_path(tmp_path):
    target = tmp_path / "escape.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(AYACUCHO.iterdir()):
            archive.write(path, f"../{path.name}")
    return target


def zip_with_absolute_path(tmp_path):
    target = tmp_path / "absoluto.zip"
    with zipfile.ZipFile(target, "w") as archive:
        # ZipFile.write strips a leading slash, so the member is written by hand.
        member = zipfile.ZipInfo("/tmp/distritos_ayacucho.shp")
        archive.writestr(member, (AYACUCHO / "distritos_ayacucho.shp").read_bytes())
    return target


def high_ratio_zip(tmp_path):
    target = tmp_path / "bomba.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(AYACUCHO.iterdir()):
            archive.write(path, path.name)
        archive.writestr("relleno.dbf", b"\0" * (20 * 1024 * 1024))
    return target


def too_many_files(tmp_path):
    target = tmp_path / "muchos.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(AYACUCHO.iterdir()):
            archive.write(path, path.name)
        for number in range(30):
            archive.writestr(f"nota_{number}.txt", "x")
    return target


def not_a_zip(tmp_path):
    target = tmp_path / "roto.zip"
    target.write_bytes((AYACUCHO / "distritos_ayacucho.shp").read_bytes()[:5000])
    return target


def zip_without_layer(tmp_path):
    target = tmp_path / "sin_capa.zip"
    with zipfile.ZipFile(target, "w") as archive:
        archive.write(AYACUCHO / "distritos_ayacucho.dbf", "distritos_ayacucho.dbf")
    return target


def two_layers(tmp_path):
    target = tmp_path / "dos_capas.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(AYACUCHO.iterdir()):
            archive.write(path, path.name)
            archive.write(path, "copia" + path.suffix)
    return target


BOUNDARY_REJECTIONS = [
    # (builder, expected Spanish fragment)
    (missing_shx, "no tiene archivo .shx"),
    (missing_dbf, "no tiene archivo .dbf"),
    (missing_prj, "no tiene archivo .prj"),
    (unreadable_prj, "no describe un sistema de referencia de coordenadas legible"),
    (degrees_labelled_utm, "está fuera del Perú"),
    (metres_labelled_wgs84, "parecen metros leídos como grados"),
    (latin1_table_declared_utf8, "está en UTF-8, pero el registro"),
    (point_geometries, "los límites deben ser polígonos"),
    (empty_layer, "no tiene elementos"),
    (feature_outside_peru, "El elemento 4 de distritos_ayacucho.shp (ubigeo 050104) está fuera del Perú"),
    (repeated_ubigeo, "repite el ubigeo 050107 del elemento 7"),
    (letters_in_ubigeo, "no es un ubigeo de 6 dígitos"),
    (unknown_province, "pertenece a 0599, que no está guardado"),
    (empty_name, "tiene el nombre vacío"),
    (zip_with_parent_path, "apunta fuera del archivo"),
    (zip_with_absolute_path, "apunta fuera del archivo"),
    (high_ratio_zip, "bombas zip"),
    (too_many_files, "se aceptan como máximo 20"),
    (not_a_zip, "no es un zip válido"),
    (zip_without_layer, "no contiene ninguna capa de límites"),
    (two_layers, "contiene varias capas"),
]


@pytest.mark.parametrize("build, expected", BOUNDARY_REJECTIONS, ids=[case[0].__name__ for case in BOUNDARY_REJECTIONS])
def test_boundary_upload_rejected(build, expected, tmp_path, digest):
    upload = build(tmp_path)
    before = digest()

    with pytest.raises(ImportRejected) as caught:
        with upload.open("rb") as source:
            import_boundaries(source, upload.name, BoundaryOptions(), commit=True)

    assert any(expected in message for message in caught.value.messages), caught.value.messages
    assert digest() == before
    record = ImportRecord.objects.get(status=ImportRecord.Status.REJECTED)
    assert record.messages == caught.value.messages


def test_oversized_upload_rejected(tmp_path, digest, settings):
    settings.GEOSALUD = {**settings.GEOSALUD, "IMPORT_LIMITS": {"max_upload_bytes": 100_000}}
    upload = zip_folder(AYACUCHO, tmp_path / "grande.zip")
    before = digest()

    with pytest.raises(ImportRejected) as caught:
        with upload.open("rb") as source:
            import_boundaries(source, upload.name, BoundaryOptions(), commit=True)

    assert "grande.zip supera el límite de subida" in caught.value.messages[0]
    assert digest() == before


def test_temporary_folders_removed(tmp_path, monkeypatch):
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    upload = zip_with_parent_path(tmp_path)
    with pytest.raises(ImportRejected), upload.open("rb") as source:
        import_boundaries(source, upload.name, BoundaryOptions())
    with zip_folder(AYACUCHO, tmp_path / "ok.zip").open("rb") as source:
        import_boundaries(source, "ok.zip", BoundaryOptions())

    assert list((tmp_path / "tmp").iterdir()) == []


# --- Boundary layers, accepted with a note (dry run) -------------------------------------------


def self_intersecting_polygon(tmp_path):
    frame = read_ayacucho()
    x0, y0, x1, y1 = frame.geometry[0].bounds
    frame.loc[0, "geometry"] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
    return write_layer(frame, tmp_path)


def three_d_polygons(tmp_path):
    frame = read_ayacucho()
    return write_layer(frame.set_geometry(shapely.force_3d(frame.geometry.values, z=2750.0)), tmp_path)


BOUNDARY_NOTES = [
    (self_intersecting_polygon, "El elemento 1 de distritos_ayacucho.shp era un polígono no válido (Self-intersection"),
    (three_d_polygons, "119 elementos de distritos_ayacucho.shp tenían coordenadas Z (altura)"),
]


@pytest.mark.parametrize("build, expected", BOUNDARY_NOTES, ids=[case[0].__name__ for case in BOUNDARY_NOTES])
def test_boundary_upload_repaired_in_preview(build, expected, tmp_path, digest):
    upload = build(tmp_path)
    before = digest()

    with upload.open("rb") as source:
        result = import_boundaries(source, upload.name, BoundaryOptions())

    assert any(expected in note for note in result.plan.notes), result.plan.notes
    assert result.plan.counts()["failed"] == 0
    assert digest() == before


# --- Facility registries, rejected with --strict -------------------------------------------------


def registry(tmp_path, edit):
    header, rows = minsa_rows()
    edit(rows)
    return write_csv(tmp_path / "ipress.csv", header, rows)


def swapped_coordinates(tmp_path):
    def edit(rows):
        rows[1]["NORTE"], rows[1]["ESTE"] = rows[1]["ESTE"], rows[1]["NORTE"]
    return registry(tmp_path, edit)


def missing_coordinates(tmp_path):
    def edit(rows):
        rows[2]["NORTE"] = rows[2]["ESTE"] = ""
    return registry(tmp_path, edit)


def zero_coordinates(tmp_path):
    def edit(rows):
        rows[3]["NORTE"] = rows[3]["ESTE"] = "0"
    return registry(tmp_path, edit)


def repeated_renaes_code(tmp_path):
    def edit(rows):
        rows[5]["codigo_unico"] = rows[4]["codigo_unico"]
    return registry(tmp_path, edit)


def unreadable_hours(tmp_path):
    def edit(rows):
        rows[0]["Horario"] = "SEGUN ROL DE TURNO"
    return registry(tmp_path, edit)


def point_in_other_district(tmp_path):
    def edit(rows):
        # Move the first facility to Huamanga's main square, far from its district in Cajamarca.
        rows[0]["NORTE"], rows[0]["ESTE"] = "-74.2236", "-13.1588"
    return registry(tmp_path, edit)


def letters_in_renaes_code(tmp_path):
    def edit(rows):
        rows[6]["codigo_unico"] = "SIN-COD"
    return registry(tmp_path, edit)


def missing_columns(tmp_path):
    header, rows = minsa_rows()
    header = [name for name in header if name not in ("NORTE", "ESTE")]
    for row in rows:
        del row["NORTE"], row["ESTE"]
    return write_csv(tmp_path / "sin_columnas.csv", header, rows)


def header_only(tmp_path):
    header, _ = minsa_rows()
    return write_csv(tmp_path / "vacio.csv", header, [])


def excel_that_is_not(tmp_path):
    target = tmp_path / "registro.xlsx"
    target.write_bytes(b"Codigo;Nombre\n00007050;AMBATO\n")
    return target


FACILITY_REJECTIONS = [
    (swapped_coordinates, "la latitud y la longitud estaban invertidas"),
    (missing_coordinates, "faltan o no son números"),
    (zero_coordinates, "las coordenadas son 0, 0"),
    (repeated_renaes_code, "repite el código RENAES"),
    (unreadable_hours, "no se puede leer el horario 'SEGUN ROL DE TURNO'"),
    (point_in_other_district, "no en su distrito declarado 060611"),
    (letters_in_renaes_code, "el código RENAES 'SIN-COD' no es un número de hasta 8 dígitos"),
    (missing_columns, "le faltan las columnas NORTE, ESTE"),
    (header_only, "no tiene filas"),
    (excel_that_is_not, "No se puede leer el archivo Excel registro.xlsx"),
]


@pytest.mark.parametrize("build, expected", FACILITY_REJECTIONS, ids=[case[0].__name__ for case in FACILITY_REJECTIONS])
def test_facility_upload_rejected_strict(build, expected, tmp_path, digest):
    upload = build(tmp_path)
    before = digest()

    with pytest.raises(ImportRejected) as caught:
        with upload.open("rb") as source:
            import_facilities(source, upload.name, strict=True, commit=True)

    assert any(expected in message for message in caught.value.messages), caught.value.messages
    assert digest() == before
    assert ImportRecord.objects.filter(status=ImportRecord.Status.REJECTED, kind="facilities").count() == 1


def test_upload_stream_copied_in_chunks(tmp_path):
    data = (AYACUCHO / "distritos_ayacucho.shp").read_bytes()
    with pytest.raises(ImportRejected) as caught:
        import_boundaries(io.BytesIO(data), "distritos_ayacucho.shp", BoundaryOptions())
    assert "no tiene archivo .shx" in caught.value.messages[0]


def test_symlink_member_rejected(tmp_path, digest):
    target = tmp_path / "enlace.zip"
    link = zipfile.ZipInfo("distritos_ayacucho.prj")
    link.external_attr = (0o120777 << 16)
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(AYACUCHO.iterdir()):
            if path.suffix != ".prj":
                archive.write(path, path.name)
        archive.writestr(link, "/etc/passwd")
    before = digest()

    with pytest.raises(ImportRejected) as caught, target.open("rb") as source:
        import_boundaries(source, target.name, BoundaryOptions(), commit=True)

    assert "enlace simbólico" in caught.value.messages[0]
    assert digest() == before
