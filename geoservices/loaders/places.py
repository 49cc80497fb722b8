"""Load the 94,922 INEI populated places (centros poblados)."""
import logging

from django.contrib.gis.geos import Point
from django.db import transaction
import pandas as pd

from geoservices.models import PopulatedPlace
from geoservices.text import search_key

from .base import LoadReport, files_sha256, is_unchanged, record_load, source_dir

logger = logging.getLogger(__name__)

LOADER = "populated_places"


def _paths() -> list:
    folder = source_dir() / "population_poverty" / "centros_poblados"
    return sorted(folder.glob("centros_poblados_part*.csv"))


def load_places(force: bool = False) -> LoadReport:
    """Upsert the INEI register of populated places; rows without coordinates or name are skipped."""
    paths = _paths()
    sha256 = files_sha256(paths)
    report = LoadReport(LOADER)
    if not force and is_unchanged(LOADER, sha256):
        report.sources_unchanged = True
        return report

    frame = pd.concat(
        [pd.read_csv(path, dtype={"inei_ccpp": str, "inei_distrito": str}) for path in paths], ignore_index=True
    )
    valid = frame.dropna(subset=["latitude", "longitude", "ccpp"])
    report.skipped = len(frame) - len(valid)

    places = [
        PopulatedPlace(
            code=row.inei_ccpp,
            ubigeo=row.inei_distrito,
            name=row.ccpp.strip(),
            search_name=search_key(row.ccpp),
            is_urban=row.tipo == "Urban",
            location=Point(float(row.longitude), float(row.latitude), srid=4326),
        )
        for row in valid.itertuples()
    ]
    with transaction.atomic():
        existing = PopulatedPlace.objects.count()
        PopulatedPlace.objects.bulk_create(
            places,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["ubigeo", "name", "search_name", "is_urban", "location"],
            batch_size=5000,
        )
        report.created = max(len(places) - existing, 0)
        report.updated = len(places) - report.created
        record_load(LOADER, sha256, report)
    logger.info("%s", report.summary())
    return report
