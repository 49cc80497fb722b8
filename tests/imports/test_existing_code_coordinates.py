"""Bad coordinates in a SERUMS upload for facilities the MINSA registry already describes."""
import csv
from pathlib import Path

import pytest
from django.conf import settings

from geoservices.imports.services import import_facilities
from geoservices.models import Facility

from .conftest import write_csv

pytestmark = pytest.mark.django_db

SERUMS_CSV = Path(settings.GEOSALUD["SOURCE_DATA_DIR"]) / "facilities" / "serums_2026_establecimientos.csv"


def serums_rows_of_minsa_facilities(count: int) -> tuple[list[str], list[dict]]:
    """Return SERUMS rows whose facility is stored with the MINSA registry as a source."""
    minsa_codes = set(Facility.objects.filter(sources__contains=["minsa_ipress"]).values_list("renaes_code", flat=True))
    with SERUMS_CSV.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [row for row in reader if row["codigo_renipress"] in minsa_codes][:count]
        return reader.fieldnames, rows


def preview(tmp_path, edit):
    header, rows = serums_rows_of_minsa_facilities(3)
    edit(rows)
    upload = write_csv(tmp_path / "serums.csv", header, rows)
    with upload.open("rb") as source:
        return import_facilities(source, upload.name).plan, rows


def test_bad_coordinates_reported_for_existing_codes(tmp_path):
    def edit(rows):
        rows[0]["latitude"], rows[0]["longitude"] = rows[0]["longitude"], rows[0]["latitude"]
        rows[1]["latitude"] = "tres"
        rows[2]["latitude"], rows[2]["longitude"] = "-10.5", "-55.2"  # Mato Grosso, Brazil

    plan, rows = preview(tmp_path, edit)
    warnings = plan.warnings()

    assert plan.counts()["unchanged"] == 3
    assert len(warnings) == 3, warnings
    assert f"RENAES {rows[0]['codigo_renipress']}" in warnings[0]
    assert "la latitud y la longitud están invertidas" in warnings[0]
    assert "'tres'" in warnings[1]
    assert "faltan o no son números" in warnings[1]
    assert "'-10.5', '-55.2' está fuera del Perú" in warnings[2]
    assert all("conserva su ubicación según el registro IPRESS del MINSA" in warning for warning in warnings)


def test_existing_code_bad_coordinates_fail_strict(tmp_path):
    header, rows = serums_rows_of_minsa_facilities(3)
    rows[1]["latitude"] = "tres"
    upload = write_csv(tmp_path / "serums.csv", header, rows)
    with upload.open("rb") as source:
        plan = import_facilities(source, upload.name, strict=True).plan
    assert plan.counts()["failed"] == 1
    assert not plan.can_apply


def test_good_coordinates_of_existing_codes_stay_silent(tmp_path):
    plan, _ = preview(tmp_path, lambda rows: None)
    assert plan.counts()["unchanged"] == 3
    assert plan.warnings() == []
