"""The import preview as staff read it: translated actions and field names, and old -> new values."""
from __future__ import annotations

import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from pyproj import CRS, Geod, Transformer

from geoservices.quality_flags import describe_flag
from geoservices.vocabulary import INSTITUTION_CHOICES

from .plan import CREATED, FAILED, SKIPPED, UNCHANGED, UPDATED, RowChange

#: Label of the action on one row. The context keeps these apart from the
#: plural column headers of the counts table, which Spanish inflects differently.
ACTION_LABELS = {
    CREATED: pgettext_lazy("import row", "Created"),
    UPDATED: pgettext_lazy("import row", "Updated"),
    UNCHANGED: pgettext_lazy("import row", "Unchanged"),
    SKIPPED: pgettext_lazy("import row", "Skipped"),
    FAILED: pgettext_lazy("import row", "Failed"),
}

#: Column headers of the counts table, reused to summarise an applied import.
COUNT_LABELS = {
    CREATED: gettext_lazy("Created"),
    UPDATED: gettext_lazy("Updated"),
    UNCHANGED: gettext_lazy("Unchanged"),
    SKIPPED: gettext_lazy("Skipped"),
    FAILED: gettext_lazy("Failed"),
    "deleted": gettext_lazy("Deleted"),
}

#: Names of the stored fields of boundaries and facilities that an import compares.
FIELD_LABELS = {
    "name": gettext_lazy("Name"),
    "capital": gettext_lazy("Capital"),
    "geom": gettext_lazy("Outline"),
    "category": gettext_lazy("Category"),
    "institution": gettext_lazy("Institution"),
    "classification": gettext_lazy("Classification"),
    "facility_type": gettext_lazy("Facility type"),
    "address": gettext_lazy("Address"),
    "phone": gettext_lazy("Phone"),
    "hours": gettext_lazy("Opening hours"),
    "is_operating": gettext_lazy("Operating"),
    "beds": gettext_lazy("Beds"),
    "declared_ubigeo": gettext_lazy("Declared district"),
    "spatial_ubigeo": gettext_lazy("District of the point"),
    "location": gettext_lazy("Location"),
    "sources": gettext_lazy("Sources"),
    "serums_difficulty": gettext_lazy("SERUMS difficulty grade"),
    "quality_flags": gettext_lazy("Flags"),
    "is_searchable": gettext_lazy("In search"),
}

#: WGS 84 ellipsoid, for geodesic areas of outlines stored in EPSG:4326.
GEOD = Geod(ellps="WGS84")


def preview_rows(rows: list[RowChange]) -> list[dict]:
    """Describe each row for the preview table: its action and each changed field with old and new values."""
    return [
        {
            "number": row.number,
            "key": row.key,
            "label": row.label,
            "action": row.action,
            "action_label": str(ACTION_LABELS.get(row.action, row.action)),
            "changes": [_field_change(row, name) for name in row.changed],
        }
        for row in rows
    ]


def counts_text(counts: dict[str, int]) -> str:
    """Write the rows per action in the active language, e.g. ``Creadas: 0, Actualizadas: 4, ...``.

    Actions follow the order of ``COUNT_LABELS``, because stored counts come
    back from a JSON column with their keys reordered.
    """
    actions = [action for action in COUNT_LABELS if action in counts]
    actions += [action for action in counts if action not in COUNT_LABELS]
    return ", ".join(f"{COUNT_LABELS.get(action, action)}: {counts[action]}" for action in actions)


def restore_sentence(file_name: str, counts: dict[str, int]) -> str:
    """Write the result of a restore, whose counts are ``deleted`` and ``updated`` rows, as one sentence."""
    deleted, updated = int(counts.get("deleted", 0)), int(counts.get("updated", 0))
    deleted_text = ngettext(
        "%(count)d row that the import created was deleted",
        "%(count)d rows that the import created were deleted",
        deleted,
    ) % {"count": deleted}
    updated_text = ngettext(
        "%(count)d row got its former values back",
        "%(count)d rows got their former values back",
        updated,
    ) % {"count": updated}
    return _("The version before %(file)s was restored: %(deleted)s and %(updated)s.") % {
        "file": file_name, "deleted": deleted_text, "updated": updated_text,
    }


def _field_change(row: RowChange, name: str) -> dict:
    old, new = row.stored_values.get(name), row.values.get(name)
    if isinstance(new, GEOSGeometry) and new.geom_type != "Point" and isinstance(old, GEOSGeometry):
        old_text, new_text = outline_change(old, new)
    else:
        old_text, new_text = format_value(name, old), format_value(name, new)
    return {"field": name, "label": str(FIELD_LABELS.get(name, name)), "old": old_text, "new": new_text}


def format_value(name: str, value) -> str:
    """Write a stored or imported value as staff read it, in the active language."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, GEOSGeometry) and value.geom_type == "Point":
        return f"{value.y:.5f}, {value.x:.5f}"
    if name == "quality_flags":
        return "; ".join(describe_flag(code) for code in value)
    if name == "institution":
        return str(dict(INSTITUTION_CHOICES).get(value, value))
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value)
    return str(value)


def outline_change(old: GEOSGeometry, new: GEOSGeometry) -> tuple[str, str]:
    """Describe a changed outline by its area before and after, and how far its border moved."""
    old_shape, new_shape = shapely.from_wkb(bytes(old.wkb)), shapely.from_wkb(bytes(new.wkb))
    old_text = _("%(area)s km²") % {"area": _area_km2(old_shape)}
    new_text = _("%(area)s km², border moved up to %(shift)s m") % {
        "area": _area_km2(new_shape), "shift": number_format(round(_max_shift_m(old_shape, new_shape)), 0),
    }
    return old_text, new_text


def _area_km2(shape) -> str:
    area_m2, _perimeter = GEOD.geometry_area_perimeter(shape)
    return number_format(abs(area_m2) / 1e6, 1)


def _max_shift_m(old_shape, new_shape) -> float:
    # The Hausdorff distance is the farthest any point of one outline is from
    # the other. An azimuthal equidistant projection centred on the outline
    # keeps distances within a district's extent true to well under 1 %.
    centre = old_shape.centroid
    local = CRS.from_proj4(f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +datum=WGS84 +units=m")
    project = Transformer.from_crs("EPSG:4326", local, always_xy=True).transform
    old_local = shapely.transform(old_shape, project, interleaved=False)
    new_local = shapely.transform(new_shape, project, interleaved=False)
    return shapely.hausdorff_distance(old_local, new_local)
