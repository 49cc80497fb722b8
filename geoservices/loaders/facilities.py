"""Load health facilities from the MINSA registry, the SERUMS 2026 list and RENIPRESS coordinates.

The three sources are merged on the 8-digit RENAES code:

* the MINSA IPRESS registry gives names, categories, institutions, addresses,
  phones and hours; its source columns are swapped (``NORTE`` contains the
  longitude and ``ESTE`` the latitude, both in decimal degrees);
* the SERUMS 2026 list adds EsSalud, armed forces and other establishments
  that the registry lacks, with name, category and institution;
* the RENIPRESS coordinates add establishments known only by code and
  location; they are kept for planners and the data-quality queue, never
  shown to families.
"""
import csv
import logging
from pathlib import Path

from django.contrib.gis.geos import Point
from django.db import connection, transaction

from geoservices.imports.hours import parse_hours
from geoservices.models import Facility
from geoservices.text import clean_registry_value
from geoservices.vocabulary import CATEGORIES, INSTITUTION_BY_SOURCE_NAME

from .base import LoadReport, files_sha256, is_unchanged, record_load, source_dir, upsert_counts

logger = logging.getLogger(__name__)

LOADER = "facilities"

#: Peru's extent in EPSG:4326 with a small margin: (min lon, min lat, max lon, max lat).
PERU_BBOX = (-81.5, -18.5, -68.5, 0.2)

#: Flags that keep a facility out of family search results.
BLOCKING_FLAGS = frozenset({
    "missing_coordinates", "zero_coordinates", "outside_peru", "outside_districts",
    "no_name", "no_category", "not_operating", "duplicate_code",
})

#: Flags that depend on the district polygons, recomputed when outlines change.
SPATIAL_FLAGS = frozenset({"outside_districts", "district_mismatch"})

_FIELDS = (
    "name", "category", "institution", "classification", "facility_type", "address", "phone", "hours",
    "is_operating", "beds", "declared_ubigeo", "location", "sources", "serums_difficulty",
)


def _paths() -> dict[str, Path]:
    folder = source_dir() / "facilities"
    return {
        "minsa": folder / "ipress_minsa_geocodificados.csv",
        "serums": folder / "serums_2026_establecimientos.csv",
        "renipress": folder / "renipress_coordenadas_2026.csv",
    }


def _read_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _in_peru(lon: float, lat: float) -> bool:
    min_lon, min_lat, max_lon, max_lat = PERU_BBOX
    return min_lon <= lon <= max_lon and min_lat <= lat <= max_lat


def locate(lat_text: str, lon_text: str) -> tuple[Point | None, list[str]]:
    """Build a point from latitude and longitude text, detecting swapped values.

    Returns the point (``None`` when unusable) and the quality flags found:
    ``missing_coordinates``, ``zero_coordinates``, ``coordinates_swapped``
    (repaired) or ``outside_peru``.
    """
    try:
        lat, lon = float(lat_text), float(lon_text)
    except (TypeError, ValueError):
        return None, ["missing_coordinates"]
    if lat == 0 and lon == 0:
        return None, ["zero_coordinates"]
    if _in_peru(lon, lat):
        return Point(lon, lat, srid=4326), []
    if _in_peru(lat, lon):
        return Point(lat, lon, srid=4326), ["coordinates_swapped"]
    return None, ["outside_peru"]


def _category(raw: str) -> str:
    value = raw.strip().upper()
    return value if value in CATEGORIES else ""


def _beds(raw: str) -> int | None:
    try:
        beds = int(float(raw))
    except ValueError:
        return None
    return beds if beds > 0 else None


def _from_minsa(row: dict) -> tuple[dict, list[str]]:
    # The source's ESTE column contains the latitude and NORTE the longitude.
    location, flags = locate(row["ESTE"], row["NORTE"])
    record = {
        "name": clean_registry_value(row["Nombre del establecimiento"]),
        "category": _category(row["Categoria"]),
        "institution": INSTITUTION_BY_SOURCE_NAME.get(row["Institución"].strip(), "otro"),
        "classification": clean_registry_value(row["Clasificación"]).split(",")[0],
        "facility_type": clean_registry_value(row["Tipo"]),
        "address": clean_registry_value(row["Dirección"]),
        "phone": clean_registry_value(row["Teléfono"]),
        "hours": clean_registry_value(row["Horario"]),
        "is_operating": row["Condición"].strip() == "EN FUNCIONAMIENTO",
        "beds": _beds(row["CAMAS"]),
        "declared_ubigeo": row["ubigeo"].zfill(6),
        "location": location,
        "sources": ["minsa_ipress"],
        "serums_difficulty": "",
    }
    return record, flags


def _from_serums(row: dict) -> tuple[dict, list[str]]:
    location, flags = locate(row["latitude"], row["longitude"])
    record = {
        "name": clean_registry_value(row["nombre"]),
        "category": _category(row["categoria"]),
        "institution": INSTITUTION_BY_SOURCE_NAME.get(row["institucion"].strip(), "otro"),
        "classification": "",
        "facility_type": "",
        "address": "",
        "phone": "",
        "hours": "",
        "is_operating": True,
        "beds": None,
        "declared_ubigeo": "",
        "location": location,
        "sources": ["serums_2026"],
        "serums_difficulty": row["grado_dificultad"].strip(),
    }
    return record, flags


def _from_renipress(row: dict) -> tuple[dict, list[str]]:
    location, flags = locate(row["latitude"], row["longitude"])
    record = {field: "" for field in _FIELDS}
    record.update({
        "is_operating": True,
        "beds": None,
        "location": location,
        "sources": ["renipress_2026"],
    })
    return record, flags


def merge_sources(paths: dict[str, Path]) -> tuple[dict[str, dict], dict[str, list[str]]]:
    """Merge the three sources by RENAES code: MINSA first, then SERUMS, then RENIPRESS."""
    records: dict[str, dict] = {}
    flags: dict[str, list[str]] = {}

    for row in _read_rows(paths["minsa"]):
        code = row["codigo_unico"].zfill(8)
        records[code], flags[code] = _from_minsa(row)

    for row in _read_rows(paths["serums"]):
        code = row["codigo_renipress"].zfill(8)
        if code in records:
            records[code]["sources"].append("serums_2026")
            records[code]["serums_difficulty"] = row["grado_dificultad"].strip()
            continue
        records[code], flags[code] = _from_serums(row)

    for row in _read_rows(paths["renipress"]):
        code = row["codigo_renipress"].zfill(8)
        if code in records:
            records[code]["sources"].append("renipress_2026")
            continue
        records[code], flags[code] = _from_renipress(row)
    return records, flags


def load_facilities(force: bool = False) -> LoadReport:
    """Load and merge the facility sources, locate each in its district and flag problems.

    Facilities with a blocking flag (see ``BLOCKING_FLAGS``) are stored but
    not searchable. Reruns on unchanged files do nothing unless ``force``.
    """
    paths = _paths()
    sha256 = files_sha256(list(paths.values()))
    report = LoadReport(LOADER)
    if not force and is_unchanged(LOADER, sha256):
        report.sources_unchanged = True
        return report

    records, flags = merge_sources(paths)
    with transaction.atomic():
        _upsert(records, report)
        _assign_spatial_districts()
        _apply_flags(flags, report)
        record_load(LOADER, sha256, report)
    logger.info("%s", report.summary())
    return report


def _signature(record: dict) -> tuple:
    location = record["location"]
    coords = (round(location.x, 7), round(location.y, 7)) if location else None
    return tuple(coords if field == "location" else record[field] for field in _FIELDS)


def _upsert(records: dict[str, dict], report: LoadReport) -> None:
    existing = {
        facility.renaes_code: _signature({field: getattr(facility, field) for field in _FIELDS})
        for facility in Facility.objects.all()
    }
    incoming = {code: _signature(record) for code, record in records.items()}
    report.created, report.updated, report.unchanged = upsert_counts(existing, incoming)

    Facility.objects.bulk_create(
        [Facility(renaes_code=code, **record) for code, record in records.items()],
        update_conflicts=True,
        unique_fields=["renaes_code"],
        update_fields=list(_FIELDS),
        batch_size=2000,
    )


def _assign_spatial_districts(facility_ids: list[int] | None = None) -> None:
    """Set each facility's ``spatial_ubigeo`` to the district polygon that covers it, or ''.

    Only the facilities in ``facility_ids`` are updated when it is given.
    """
    only_some = "WHERE f.id = ANY(%s)" if facility_ids is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE geoservices_facility AS f
            SET spatial_ubigeo = COALESCE(
                (SELECT d.ubigeo FROM geoservices_district AS d
                 WHERE ST_Covers(d.geom, f.location) LIMIT 1), '')
            {only_some}
            """,
            [facility_ids] if facility_ids is not None else None,
        )


def refresh_spatial_flags(facility_ids: list[int] | None = None) -> int:
    """Locate facilities in the stored district polygons again and update their spatial flags.

    Other flags are kept. Staff imports call this after district outlines or
    facility locations change. Returns the number of facilities refreshed.
    """
    _assign_spatial_districts(facility_ids)
    facilities = Facility.objects.only("id", "location", "declared_ubigeo", "spatial_ubigeo", "quality_flags")
    if facility_ids is not None:
        facilities = facilities.filter(id__in=facility_ids)
    facilities = list(facilities)
    for facility in facilities:
        kept = [flag for flag in facility.quality_flags if flag not in SPATIAL_FLAGS]
        facility.quality_flags = sorted(set(kept + _spatial_flags(facility)))
        facility.is_searchable = not BLOCKING_FLAGS.intersection(facility.quality_flags)
    Facility.objects.bulk_update(facilities, ["quality_flags", "is_searchable"], batch_size=2000)
    return len(facilities)


def _apply_flags(source_flags: dict[str, list[str]], report: LoadReport) -> None:
    facilities = list(Facility.objects.only(
        "id", "renaes_code", "name", "category", "location", "is_operating", "declared_ubigeo", "spatial_ubigeo",
        "hours",
    ))
    for facility in facilities:
        flags = list(source_flags.get(facility.renaes_code, []))
        flags.extend(_spatial_flags(facility))
        if not facility.name:
            flags.append("no_name")
        if not facility.category:
            flags.append("no_category")
        if not facility.is_operating:
            flags.append("not_operating")
        if facility.hours and parse_hours(facility.hours) is None:
            flags.append("hours_unparseable")
        facility.quality_flags = sorted(set(flags))
        facility.is_searchable = not BLOCKING_FLAGS.intersection(facility.quality_flags)
    Facility.objects.bulk_update(facilities, ["quality_flags", "is_searchable"], batch_size=2000)

    searchable = sum(facility.is_searchable for facility in facilities)
    report.notes.append(f"{searchable} of {len(facilities)} facilities are shown to families")
    report.skipped = len(facilities) - searchable


def _spatial_flags(facility: Facility) -> list[str]:
    if facility.location is None:
        return []
    if not facility.spatial_ubigeo:
        return ["outside_districts"]
    if facility.declared_ubigeo and facility.declared_ubigeo != facility.spatial_ubigeo:
        # The 2017 boundaries are generalised, so a facility near a limit may fall next door.
        return ["district_mismatch"]
    return []
