"""Plan and apply the import of a facility registry (CSV or Excel) by RENAES code.

The three published layouts the bulk loader reads are accepted: the MINSA
IPRESS registry, the SERUMS list and the RENIPRESS coordinates. Rows go
through the loader's own mapping and ``locate`` checks, then through the
checks only an upload needs: repeated codes and unparseable hours. Rows
with problems are imported with quality flags and listed on the
data-quality page, and a blocking flag keeps a row out of search. With
``strict``, any problem rejects the whole file instead.

As in the bulk loader, a facility that a higher-ranked source already
describes (MINSA over SERUMS over RENIPRESS) only gains the new source name.
"""
from __future__ import annotations

import csv
import io
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from django.db import connection, transaction
from openpyxl.utils.exceptions import InvalidFileException
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geoservices.loaders import facilities as loader
from geoservices.loaders.services import infer_facility_services
from geoservices.models import Facility, ImportRecord

from .errors import ImportRejected, reject
from .hours import parse_hours
from .plan import CREATED, FAILED, SKIPPED, UNCHANGED, UPDATED, ImportPlan, RowChange
from .versions import record_rejection, snapshot, user_or_none

logger = logging.getLogger(__name__)

TABLE_SUFFIXES = (".csv", ".txt", ".xlsx")

#: Fields an import writes besides the mapped ones, kept in snapshots for restore.
STORED_FIELDS = loader._FIELDS + ("spatial_ubigeo", "quality_flags", "is_searchable")


@dataclass(frozen=True)
class Layout:
    """A published registry layout: its code column, required columns and row mapper."""

    source: str
    code_column: str
    columns: tuple[str, ...]
    mapper: object


LAYOUTS = (
    Layout("minsa_ipress", "codigo_unico", (
        "codigo_unico", "Nombre del establecimiento", "Categoria", "Institución", "Clasificación", "Tipo",
        "Dirección", "Teléfono", "Horario", "Condición", "CAMAS", "ubigeo", "NORTE", "ESTE",
    ), loader._from_minsa),
    Layout("serums_2026", "codigo_renipress", (
        "codigo_renipress", "nombre", "institucion", "categoria", "latitude", "longitude", "grado_dificultad",
    ), loader._from_serums),
    Layout("renipress_2026", "codigo_renipress", ("codigo_renipress", "latitude", "longitude"), loader._from_renipress),
)

#: Fields a layout does not carry, so an upload keeps the stored values.
NOT_IN_LAYOUT = {"minsa_ipress": ("serums_difficulty",)}

#: Names of the sources in messages to staff.
SOURCE_LABELS = {
    "minsa_ipress": gettext_lazy("the MINSA IPRESS registry"),
    "serums_2026": gettext_lazy("the SERUMS 2026 list"),
    "renipress_2026": gettext_lazy("the RENIPRESS 2026 coordinates"),
}

#: Coordinate flags reported for a row whose facility keeps a better source's location.
KEPT_LOCATION_FLAGS = ("missing_coordinates", "zero_coordinates", "outside_peru", "coordinates_swapped")

#: Sources in the order the bulk loader trusts them.
SOURCE_RANK = {layout.source: rank for rank, layout in enumerate(LAYOUTS)}


def read_table(path: Path) -> list[dict[str, str]]:
    """Read a CSV (UTF-8 or Windows-1252, comma or semicolon) or .xlsx sheet into rows of text."""
    if path.suffix.lower() == ".xlsx":
        return _read_xlsx(path)
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise reject(_(
            "The file %(file)s is not a CSV or Excel (.xlsx) table. Save the registry as CSV or .xlsx."
        ) % {"file": path.name})
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [{key: (value or "") for key, value in row.items() if key is not None} for row in reader]


def _read_xlsx(path: Path) -> list[dict[str, str]]:
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise reject(_(
            "The Excel file %(file)s cannot be read (%(error)s). Open it in Excel and save it again as .xlsx."
        ) % {"file": path.name, "error": exc.__class__.__name__}) from exc
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(cell).strip() if cell is not None else "" for cell in next(rows, [])]
    table = [
        {name: _cell_text(value) for name, value in zip(header, values) if name}
        for values in rows if any(value is not None for value in values)
    ]
    workbook.close()
    return table


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def detect_layout(rows: list[dict[str, str]], file_name: str) -> Layout:
    """Return the registry layout whose columns the table has, or reject it naming the missing ones."""
    if not rows:
        raise reject(_("The table %(file)s has no rows. Check that the right file was exported.") % {"file": file_name})
    header = set(rows[0])
    for layout in LAYOUTS:
        if header.issuperset(layout.columns):
            return layout
    closest = max(LAYOUTS, key=lambda layout: len(header.intersection(layout.columns)))
    missing = [column for column in closest.columns if column not in header]
    raise reject(_(
        "The table %(file)s lacks the columns %(missing)s of the %(layout)s layout. "
        "Export the registry with its original column names."
    ) % {"file": file_name, "missing": ", ".join(missing), "layout": closest.source})


def plan_facilities(rows: list[dict[str, str]], layout: Layout, file_name: str, sha256: str,
                    strict: bool = False) -> ImportPlan:
    """Compare every row of a registry table with the stored facilities.

    Line numbers count the header as line 1. Rows with problems are planned
    with quality flags and a message each; with ``strict`` they fail.
    """
    plan = ImportPlan("facilities", "facility", file_name, sha256, details={"layout": layout.source})
    existing = {facility.renaes_code: facility for facility in Facility.objects.all()}
    first_line: dict[str, int] = {}
    planned = []

    for line, source_row in enumerate(rows, start=2):
        row = _plan_row(line, source_row, layout, file_name, existing, first_line)
        plan.rows.append(row)
        if row.values.get("location") is not None:
            planned.append(row)
    _add_spatial_checks(planned, file_name)

    for row in plan.rows:
        if row.action in (FAILED, SKIPPED):
            continue
        _add_field_flags(row, file_name)
        _compare(row, existing.get(row.key))
    mark_duplicates(plan)
    if strict:
        for row in plan.rows:
            if row.messages:
                row.action = FAILED
    logger.info("Planned facility import of %s: %s", file_name, plan.summary())
    return plan


def _plan_row(line, source_row, layout, file_name, existing, first_line) -> RowChange:
    raw_code = source_row.get(layout.code_column, "").strip()
    code = raw_code.zfill(8) if raw_code.isdigit() and len(raw_code) <= 8 else ""
    row = RowChange(number=line, key=code or raw_code, action=FAILED)
    context = {"file": file_name, "line": line, "code": raw_code}
    if not code:
        row.messages.append(_(
            "Line %(line)d of %(file)s: the RENAES code %(code)s is not a number of up to 8 digits. "
            "Correct it in column %(column)s."
        ) % dict(context, code=repr(raw_code), column=layout.code_column))
        return row
    if code in first_line:
        row.action = SKIPPED
        row.messages.append(_(
            "Line %(line)d of %(file)s repeats the RENAES code %(code)s of line %(first)d; the repeated row was "
            "not imported and the first one is kept out of search until the registry is corrected."
        ) % dict(context, first=first_line[code]))
        return row
    first_line[code] = line

    record, flags = layout.mapper(source_row)
    stored = existing.get(code)
    if stored and any(SOURCE_RANK.get(name, 99) < SOURCE_RANK[layout.source] for name in stored.sources):
        # A better source already describes this facility: only record the new source.
        row.values = _merged_values(stored, layout, source_row)
        row.label = stored.name
        row.action = UNCHANGED
        # The file's coordinates are not imported, but their problems are still reported.
        for flag in flags:
            if flag in KEPT_LOCATION_FLAGS:
                row.messages.append(_kept_location_message(flag, context, source_row, layout, stored))
        return row

    for field in NOT_IN_LAYOUT.get(layout.source, ()):
        record[field] = getattr(stored, field) if stored else record[field]
    record["sources"] = sorted(set(stored.sources if stored else []) | set(record["sources"]))
    row.values = dict(record, quality_flags=list(flags))
    row.label = record["name"]
    row.action = CREATED if stored is None else UPDATED
    for flag in flags:
        row.messages.append(_location_message(flag, context, source_row, layout))
    return row


def _merged_values(stored: Facility, layout: Layout, source_row: dict) -> dict:
    values = {field: getattr(stored, field) for field in STORED_FIELDS}
    values["sources"] = sorted(set(stored.sources) | {layout.source})
    if layout.source == "serums_2026":
        values["serums_difficulty"] = source_row.get("grado_dificultad", "").strip()
    return values


def _coordinate_values(context: dict, source_row: dict, layout: Layout) -> dict:
    lat_column, lon_column = ("ESTE", "NORTE") if layout.source == "minsa_ipress" else ("latitude", "longitude")
    return dict(context, lat=repr(source_row.get(lat_column, "")), lon=repr(source_row.get(lon_column, "")),
                lat_column=lat_column, lon_column=lon_column)


def _location_message(flag: str, context: dict, source_row: dict, layout: Layout) -> str:
    values = _coordinate_values(context, source_row, layout)
    messages = {
        "missing_coordinates": _(
            "Line %(line)d of %(file)s (RENAES %(code)s): the coordinates %(lat)s, %(lon)s are missing or not "
            "numbers. The facility is kept out of search; fill in columns %(lat_column)s and %(lon_column)s."
        ),
        "zero_coordinates": _(
            "Line %(line)d of %(file)s (RENAES %(code)s): the coordinates are 0, 0. The facility is kept out "
            "of search; enter its real latitude and longitude."
        ),
        "outside_peru": _(
            "Line %(line)d of %(file)s (RENAES %(code)s): the point %(lat)s, %(lon)s is outside Peru. The "
            "facility is kept out of search; correct its latitude and longitude."
        ),
        "coordinates_swapped": _(
            "Line %(line)d of %(file)s (RENAES %(code)s): latitude and longitude were swapped (%(lat)s, "
            "%(lon)s) and were exchanged on import. Correct columns %(lat_column)s and %(lon_column)s."
        ),
    }
    return messages[flag] % values


def _kept_location_message(flag: str, context: dict, source_row: dict, layout: Layout, stored: Facility) -> str:
    """Describe bad coordinates of a row whose facility keeps the location of a better source."""
    source = min(stored.sources, key=lambda name: SOURCE_RANK.get(name, 99))
    values = dict(_coordinate_values(context, source_row, layout), source=SOURCE_LABELS.get(source, source))
    messages = {
        "missing_coordinates": _(
            "Line %(line)d of %(file)s (RENAES %(code)s): the coordinates %(lat)s, %(lon)s are missing or not "
            "numbers. The facility keeps its location from %(source)s; fill in columns %(lat_column)s and "
            "%(lon_column)s."
        ),
        "zero_coordinates": _(
            "Line %(line)d of %(file)s (RENAES %(code)s): the coordinates are 0, 0. The facility keeps its "
            "location from %(source)s; enter its real latitude and longitude."
        ),
        "outside_peru": _(
            "Line %(line)d of %(file)s (RENAES %(code)s): the point %(lat)s, %(lon)s is outside Peru. The "
            "facility keeps its location from %(source)s; correct its latitude and longitude."
        ),
        "coordinates_swapped": _(
            "Line %(line)d of %(file)s (RENAES %(code)s): latitude and longitude are swapped (%(lat)s, "
            "%(lon)s). The facility keeps its location from %(source)s; correct columns %(lat_column)s and "
            "%(lon_column)s."
        ),
    }
    return messages[flag] % values


def _add_spatial_checks(rows: list[RowChange], file_name: str) -> None:
    """Find the district that covers each planned point, in one query, and flag mismatches."""
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT p.index, COALESCE((SELECT d.ubigeo FROM geoservices_district AS d
                WHERE ST_Covers(d.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)) LIMIT 1), '')
            FROM unnest(%s::int[], %s::float8[], %s::float8[]) AS p(index, lon, lat)
            """,
            [list(range(len(rows))), [row.values["location"].x for row in rows],
             [row.values["location"].y for row in rows]],
        )
        covering = dict(cursor.fetchall())
    for index, row in enumerate(rows):
        row.values["spatial_ubigeo"] = covering[index]
        probe = Facility(location=row.values["location"], declared_ubigeo=row.values["declared_ubigeo"],
                         spatial_ubigeo=covering[index])
        for flag in loader._spatial_flags(probe):
            row.values["quality_flags"].append(flag)
            row.messages.append(_spatial_message(flag, row, file_name))


def _spatial_message(flag: str, row: RowChange, file_name: str) -> str:
    values = {"line": row.number, "file": file_name, "code": row.key, "declared": row.values["declared_ubigeo"],
              "found": row.values["spatial_ubigeo"], "point": f"{row.values['location'].y:.5f}, "
              f"{row.values['location'].x:.5f}"}
    if flag == "outside_districts":
        return _(
            "Line %(line)d of %(file)s (RENAES %(code)s): the point %(point)s is in no stored district. "
            "The facility is kept out of search; check its coordinates."
        ) % values
    return _(
        "Line %(line)d of %(file)s (RENAES %(code)s): the point %(point)s is in district %(found)s, not in its "
        "declared district %(declared)s. Check the coordinates or the ubigeo."
    ) % values


def _add_field_flags(row: RowChange, file_name: str) -> None:
    if row.action == UNCHANGED:
        # Only the source name is added to a facility that a better source describes.
        return
    values = row.values
    flags = values["quality_flags"]
    flags.extend(flag for flag, missing in (
        ("no_name", not values["name"]), ("no_category", not values["category"]),
        ("not_operating", not values["is_operating"]),
    ) if missing)
    if values["hours"] and parse_hours(values["hours"]) is None:
        flags.append("hours_unparseable")
        row.messages.append(_(
            "Line %(line)d of %(file)s (RENAES %(code)s): the opening hours %(hours)s cannot be read. The text "
            "is kept as it is; write them as 08:00 - 14:00 or 24 HORAS."
        ) % {"line": row.number, "file": file_name, "code": row.key, "hours": repr(values["hours"])})
    values.setdefault("spatial_ubigeo", "")
    values["quality_flags"] = sorted(set(flags))
    values["is_searchable"] = not loader.BLOCKING_FLAGS.intersection(values["quality_flags"])


def _compare(row: RowChange, stored: Facility | None) -> None:
    if stored is None:
        return
    before = {field: getattr(stored, field) for field in STORED_FIELDS}
    row.changed = [field for field in STORED_FIELDS if not _same(before[field], row.values[field])]
    row.stored_values = {field: before[field] for field in row.changed}
    row.action = UPDATED if row.changed else UNCHANGED


def _same(stored, new) -> bool:
    if hasattr(new, "coords") or hasattr(stored, "coords"):
        if stored is None or new is None:
            return stored is new
        return (round(stored.x, 7), round(stored.y, 7)) == (round(new.x, 7), round(new.y, 7))
    if isinstance(new, list):
        return sorted(stored or []) == sorted(new)
    return stored == new


def mark_duplicates(plan: ImportPlan) -> None:
    """Flag the first row of each repeated RENAES code so it stays out of search."""
    repeated = {row.key for row in plan.rows if row.action == SKIPPED}
    for row in plan.rows:
        if row.key in repeated and row.action in (CREATED, UPDATED, UNCHANGED) and "quality_flags" in row.values:
            # An unchanged row's values are the stored ones, so they are its stored values before the flag.
            before = {"quality_flags": list(row.values["quality_flags"]), "is_searchable": row.values["is_searchable"]}
            row.values["quality_flags"] = sorted(set(row.values["quality_flags"]) | {"duplicate_code"})
            row.values["is_searchable"] = False
            if row.action == UNCHANGED:
                row.action, row.changed, row.stored_values = UPDATED, ["quality_flags", "is_searchable"], before


def apply_facilities(plan: ImportPlan, user=None) -> ImportRecord:
    """Write a plan's created and updated facilities in one transaction and record it.

    Raises
    ------
    ImportRejected
        When the plan has failed rows; the attempt is recorded and nothing is changed.
    """
    if not plan.can_apply:
        record_rejection(plan, plan.failures(), user)
        raise ImportRejected(plan.failures())

    with transaction.atomic():
        changes = plan.changes()
        stored = {
            facility.renaes_code: facility
            for facility in Facility.objects.select_for_update().filter(renaes_code__in=[row.key for row in changes])
        }
        previous = {"created": [], "updated": {}}
        new_rows, changed_rows = [], []
        for row in changes:
            facility = stored.get(row.key)
            if facility is None:
                new_rows.append(Facility(renaes_code=row.key, **row.values))
                previous["created"].append(row.key)
                continue
            previous["updated"][row.key] = snapshot(facility, STORED_FIELDS)
            for field, value in row.values.items():
                setattr(facility, field, value)
            changed_rows.append(facility)
        Facility.objects.bulk_create(new_rows, batch_size=2000)
        Facility.objects.bulk_update(changed_rows, list(STORED_FIELDS), batch_size=2000)
        if new_rows or any("category" in row.changed for row in changes):
            infer_facility_services()
        record = ImportRecord.objects.create(
            kind=ImportRecord.Kind.FACILITIES, target="facility", status=ImportRecord.Status.APPLIED,
            file_name=plan.file_name[:255], file_sha256=plan.file_sha256, user=user_or_none(user),
            counts=plan.counts(), messages=plan.notes + plan.warnings(), previous=previous,
        )
    logger.info("Applied facility import of %s: %s", plan.file_name, plan.summary())
    return record
