"""Builders of upload files from the real staged data, and a digest of the stored tables."""
import csv
import hashlib
import shutil
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

SHAPEFILES = Path(settings.DATA_DIR) / "shapefiles"
AYACUCHO = SHAPEFILES / "distritos_ayacucho"
COUNTRY = SHAPEFILES / "peru_distritos_1874"
MINSA_CSV = Path(settings.GEOSALUD["SOURCE_DATA_DIR"]) / "facilities" / "ipress_minsa_geocodificados.csv"

#: Tables an import may change, each dumped in primary-key order.
IMPORTED_TABLES = (
    "geoservices_department", "geoservices_province", "geoservices_district",
    "geoservices_facility", "geoservices_facilityservice",
)


def stored_digest() -> str:
    """Return a SHA-256 over an ordered text dump of every table an import may change.

    Geometries are dumped as their stored EWKB, so any change of a single
    coordinate bit changes the digest.
    """
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for table in IMPORTED_TABLES:
            cursor.execute(f"SELECT t::text FROM {table} AS t ORDER BY 1")
            for (row,) in cursor.fetchall():
                digest.update(row.encode())
    return digest.hexdigest()


def zip_folder(folder: Path, target: Path, skip_suffixes: tuple[str, ...] = ()) -> Path:
    """Zip the files of ``folder`` flat into ``target``, leaving out some suffixes."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in skip_suffixes:
                archive.write(path, path.name)
    return target


def copy_layer(source: Path, tmp_path: Path, name: str = "layer") -> Path:
    """Copy a shapefile folder into ``tmp_path/name`` so a test can alter it."""
    target = tmp_path / name
    shutil.copytree(source, target)
    return target


def minsa_rows(count: int = 12) -> tuple[list[str], list[dict]]:
    """Return the header and the first ``count`` rows of the staged MINSA registry."""
    with MINSA_CSV.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [row for _, row in zip(range(count), reader)]
        return reader.fieldnames, rows


def write_csv(path: Path, header: list[str], rows: list[dict]) -> Path:
    """Write rows as a UTF-8 CSV with the given header."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def digest():
    """The digest function, as a fixture for readability."""
    return stored_digest


@pytest.fixture
def staff(client, settings, tmp_path):
    """Log the test client in as a superuser, with uploads staged under ``tmp_path``."""
    settings.VAR_DIR = tmp_path / "var"
    user = get_user_model().objects.create_user("revisora", password="clave-larga-de-prueba", is_staff=True,
                                                 is_superuser=True)
    client.force_login(user)
    return user
