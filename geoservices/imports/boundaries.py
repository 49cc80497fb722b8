"""Plan and apply the import of a district, province or department layer.

Each feature is matched to a stored row by its ubigeo. Names and outlines
are updated; census and poverty figures are left as the bulk loader stored
them. A plan with any failed feature cannot be applied.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import geopandas as gpd
import shapely
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import models as db_models
from django.db import transaction
from django.utils.translation import gettext as _

from geoservices.loaders.facilities import PERU_BBOX, refresh_spatial_flags
from geoservices.models import Department, District, ImportRecord, Province
from geoservices.text import search_key, title_name

from .errors import ImportRejected, reject
from .layers import Layer
from .plan import CREATED, FAILED, UNCHANGED, UPDATED, ImportPlan, RowChange
from .versions import user_or_none, record_rejection, snapshot

logger = logging.getLogger(__name__)

#: Outlines whose Hausdorff distance is below this (degrees, about 1 m) count as
#: unchanged, because GIS tools round coordinates and reorder vertices on export.
GEOMETRY_TOLERANCE_DEG = 1e-5


@dataclass(frozen=True)
class Level:
    """One INEI boundary level: its model, ubigeo length, parent and usual field names."""

    name: str
    model: type[db_models.Model]
    digits: int
    parent_model: type[db_models.Model] | None
    ubigeo_fields: tuple[str, ...]
    name_fields: tuple[str, ...]
    capital_fields: tuple[str, ...] = ()

    @property
    def parent_field(self) -> str | None:
        return {District: "province_id", Province: "department_id"}.get(self.model)

    @property
    def compared_fields(self) -> tuple[str, ...]:
        return ("name", "capital", "geom") if self.capital_fields else ("name", "geom")


LEVELS = {
    "district": Level(
        "district", District, 6, Province,
        ubigeo_fields=("ubigeo", "iddist", "ubigeo_dis", "ubigeo_dist", "cod_ubigeo", "ubigeo_inei"),
        name_fields=("distrito", "nombdist", "nom_dist", "nombre", "name"),
        capital_fields=("capital", "nom_cap", "nomb_cap"),
    ),
    "province": Level(
        "province", Province, 4, Department,
        ubigeo_fields=("ubigeo_prov", "ubigeo_pro", "idprov", "cod_prov", "ubigeo"),
        name_fields=("provincia", "nombprov", "nom_prov", "nombre", "name"),
    ),
    "department": Level(
        "department", Department, 2, None,
        ubigeo_fields=("ubigeo_dep", "ubigeo_dpto", "iddpto", "cod_dep", "ubigeo"),
        name_fields=("departamento", "departamen", "nombdep", "nom_dpto", "nombre", "name"),
    ),
}


@dataclass(frozen=True)
class FieldMapping:
    """Names of the layer fields that contain the ubigeo, the name and (for districts) the capital."""

    ubigeo: str
    name: str
    capital: str | None = None


def get_level(name: str) -> Level:
    """Return the boundary level ``name`` or reject it, naming the accepted ones."""
    try:
        return LEVELS[name]
    except KeyError:
        raise reject(_(
            "%(level)s is not a boundary level. Use district, province or department."
        ) % {"level": name}) from None


def _guess(fields: list[str], candidates: tuple[str, ...]) -> str | None:
    by_lower = {name.lower(): name for name in fields}
    return next((by_lower[name] for name in candidates if name in by_lower), None)


def map_fields(layer: Layer, level: Level, ubigeo: str | None = None, name: str | None = None) -> FieldMapping:
    """Choose the ubigeo and name fields: the admin's choice, else the usual INEI names."""
    fields = layer.fields
    chosen = {
        "ubigeo": ubigeo or _guess(fields, level.ubigeo_fields),
        "name": name or _guess(fields, level.name_fields),
    }
    for role, field_name in chosen.items():
        if field_name is None or field_name not in fields:
            raise reject(_(
                "The layer %(file)s has no field for the %(role)s (fields: %(fields)s). "
                "Choose the field in the form (or pass --%(role)s-field)."
            ) % {"file": layer.file_name, "role": role, "fields": ", ".join(fields)})
    capital = _guess(fields, level.capital_fields) if level.capital_fields else None
    return FieldMapping(ubigeo=chosen["ubigeo"], name=chosen["name"], capital=capital)


def _is_missing(value) -> bool:
    # Readers return None or NaN for an empty attribute, depending on the driver.
    return value is None or (isinstance(value, float) and math.isnan(value))


def _ubigeo_text(value, digits: int) -> str:
    if _is_missing(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text.zfill(digits) if text.isdigit() and len(text) < digits else text


def _display_name(raw: str, existing_name: str | None) -> str:
    """Keep the stored spelling (with accents) when the file gives the same name in capitals."""
    if existing_name and search_key(existing_name) == search_key(raw):
        return existing_name
    return title_name(raw) if raw.isupper() else raw.strip()


def _multipolygon(geometry) -> MultiPolygon:
    geom = GEOSGeometry(memoryview(geometry.wkb), srid=4326)
    return MultiPolygon(geom, srid=4326) if geom.geom_type == "Polygon" else geom


def _in_peru(geometry) -> bool:
    min_lon, min_lat, max_lon, max_lat = PERU_BBOX
    x0, y0, x1, y1 = geometry.bounds
    return min_lon <= x0 and x1 <= max_lon and min_lat <= y0 and y1 <= max_lat


def plan_boundaries(layer: Layer, level: Level, mapping: FieldMapping, file_name: str, sha256: str) -> ImportPlan:
    """Compare every feature of ``layer`` with the stored rows of ``level``.

    Returns
    -------
    ImportPlan
        One row per feature: created, updated, unchanged or failed, with the
        reasons for failures. The layer's notes (repairs) are the plan's notes.
    """
    plan = ImportPlan("boundaries", level.name, file_name, sha256, notes=list(layer.notes))
    plan.details = {"crs": layer.crs_name, "encoding": layer.encoding, "mapping": mapping.__dict__}
    existing = {row.pk: row for row in level.model.objects.all()}
    parents = set(level.parent_model.objects.values_list("pk", flat=True)) if level.parent_model else set()
    seen: dict[str, int] = {}

    for number, record in enumerate(layer.frame.itertuples(index=False), start=1):
        values = record._asdict()
        row = _plan_feature(number, values, layer, level, mapping, existing, parents, seen)
        plan.rows.append(row)
    logger.info("Planned %s import of %s: %s", level.name, file_name, plan.summary())
    return plan


def _plan_feature(number, values, layer, level, mapping, existing, parents, seen) -> RowChange:
    ubigeo = _ubigeo_text(values.get(mapping.ubigeo), level.digits)
    name_value = values.get(mapping.name)
    raw_name = "" if _is_missing(name_value) else str(name_value).strip()
    row = RowChange(number=number, key=ubigeo, action=FAILED, label=raw_name)
    context = {"number": number, "file": layer.file_name, "ubigeo": ubigeo or "—"}

    problem = _feature_problem(values, ubigeo, raw_name, layer, level, mapping, parents, seen, context)
    if problem:
        row.messages.append(problem)
        return row
    seen[ubigeo] = number

    stored = existing.get(ubigeo)
    row.values = {"name": _display_name(raw_name, stored.name if stored else None)}
    if level.capital_fields:
        capital = values.get(mapping.capital) if mapping.capital else None
        if not _is_missing(capital) and str(capital).strip():
            row.values["capital"] = title_name(str(capital))
        else:
            row.values["capital"] = stored.capital if stored else ""
    row.values["geom"] = _multipolygon(values["geometry"])
    row.label = row.values["name"]

    if stored is None:
        row.action = CREATED
        return row
    row.changed = [name for name in level.compared_fields if not _same(getattr(stored, name), row.values[name])]
    row.stored_values = {name: getattr(stored, name) for name in row.changed}
    row.action = UPDATED if row.changed else UNCHANGED
    return row


def _feature_problem(values, ubigeo, raw_name, layer, level, mapping, parents, seen, context) -> str | None:
    raw_ubigeo = values.get(mapping.ubigeo)
    if not (ubigeo.isdigit() and len(ubigeo) == level.digits):
        return _(
            "Feature %(number)d of %(file)s: the value %(value)s of field %(field)s is not a %(digits)d-digit "
            "ubigeo. Correct it in the layer, or choose the field that holds the ubigeo."
        ) % dict(context, value=repr(raw_ubigeo), field=mapping.ubigeo, digits=level.digits)
    if ubigeo in seen:
        return _(
            "Feature %(number)d of %(file)s repeats the ubigeo %(ubigeo)s of feature %(first)d. "
            "Merge the two features or correct one ubigeo."
        ) % dict(context, first=seen[ubigeo])
    if not raw_name:
        return _(
            "Feature %(number)d of %(file)s (ubigeo %(ubigeo)s) has an empty name in field %(field)s. "
            "Fill in the name or choose the field that holds it."
        ) % dict(context, field=mapping.name)
    geometry = values.get("geometry")
    if geometry is None or geometry.is_empty:
        return _(
            "Feature %(number)d of %(file)s (ubigeo %(ubigeo)s) has no geometry. Draw its outline or remove it."
        ) % context
    if not _in_peru(geometry):
        return _(
            "Feature %(number)d of %(file)s (ubigeo %(ubigeo)s) lies outside Peru (bounds %(bounds)s). "
            "Check the coordinate reference system of the layer, or remove the feature."
        ) % dict(context, bounds=", ".join(f"{value:.4f}" for value in geometry.bounds))
    parent = ubigeo[: level.digits - 2]
    if level.parent_model is not None and parent not in parents:
        return _(
            "Feature %(number)d of %(file)s (ubigeo %(ubigeo)s) belongs to %(parent)s, which is not stored. "
            "Import the layer of the level above first, or correct the ubigeo."
        ) % dict(context, parent=parent)
    return None


def _same(stored, new) -> bool:
    if isinstance(new, GEOSGeometry):
        if stored is None:
            return False
        distance = shapely.hausdorff_distance(shapely.from_wkb(bytes(stored.wkb)), shapely.from_wkb(bytes(new.wkb)))
        return distance < GEOMETRY_TOLERANCE_DEG
    return (stored or "") == (new or "")


def preview_geojson(plan: ImportPlan, max_features: int = 400, tolerance_deg: float = 0.002) -> dict:
    """Return a light GeoJSON of the created and updated features for the map preview.

    Outlines are simplified by ``tolerance_deg`` (about 200 m) and at most
    ``max_features`` are included, so the page stays small.
    """
    changed = [row for row in plan.changes() if "geom" in row.values][:max_features]
    if not changed:
        return {"type": "FeatureCollection", "features": []}
    frame = gpd.GeoDataFrame(
        {"ubigeo": [row.key for row in changed], "name": [row.label for row in changed],
         "action": [row.action for row in changed]},
        geometry=gpd.GeoSeries.from_wkb([bytes(row.values["geom"].wkb) for row in changed], crs=4326),
    )
    frame["geometry"] = frame.geometry.simplify(tolerance_deg, preserve_topology=True)
    return frame.__geo_interface__


def apply_boundaries(plan: ImportPlan, level: Level, user=None) -> ImportRecord:
    """Write a plan's created and updated features in one transaction and record it.

    The replaced rows are kept on the returned record for :func:`restore`.
    When district outlines change, every facility is located again.

    Raises
    ------
    ImportRejected
        When the plan has failed features, or the stored rows changed since
        the plan was made; the attempt is recorded and nothing is changed.
    """
    if not plan.can_apply:
        record_rejection(plan, plan.failures(), user)
        raise ImportRejected(plan.failures())

    snapshot_fields = level.compared_fields + (("search_name",) if level.model is District else ())
    with transaction.atomic():
        keys = [row.key for row in plan.changes()]
        stored = {row.pk: row for row in level.model.objects.select_for_update().filter(pk__in=keys)}
        _check_not_changed_since_plan(plan, stored)
        previous = {"created": [], "updated": {}}
        new_rows, changed_rows = [], []
        for row in plan.changes():
            if row.action == CREATED:
                new_rows.append(_new_instance(level, row))
                previous["created"].append(row.key)
                continue
            instance = stored[row.key]
            previous["updated"][row.key] = snapshot(instance, snapshot_fields)
            _set_values(instance, row.values)
            changed_rows.append(instance)

        level.model.objects.bulk_create(new_rows, batch_size=500)
        level.model.objects.bulk_update(changed_rows, list(snapshot_fields), batch_size=500)
        if level.model is District and (new_rows or changed_rows):
            refresh_spatial_flags()
        record = ImportRecord.objects.create(
            kind=ImportRecord.Kind.BOUNDARIES, target=level.name, status=ImportRecord.Status.APPLIED,
            file_name=plan.file_name[:255], file_sha256=plan.file_sha256, user=user_or_none(user),
            counts=plan.counts(), messages=plan.notes + plan.warnings(), previous=previous,
        )
    logger.info("Applied %s import of %s: %s", level.name, plan.file_name, plan.summary())
    return record


def _check_not_changed_since_plan(plan: ImportPlan, stored: dict) -> None:
    for row in plan.changes():
        if (row.action == CREATED) == (row.key in stored):
            raise reject(_(
                "The stored row %(key)s changed after the preview of %(file)s was made. "
                "Upload the file again to see a fresh preview."
            ) % {"key": row.key, "file": plan.file_name})


def _new_instance(level: Level, row) -> db_models.Model:
    instance = level.model(pk=row.key)
    if level.parent_field:
        setattr(instance, level.parent_field, row.key[: level.digits - 2])
    _set_values(instance, row.values)
    return instance


def _set_values(instance, values: dict) -> None:
    for name, value in values.items():
        setattr(instance, name, value)
    if isinstance(instance, District):
        instance.search_name = search_key(instance.name)
