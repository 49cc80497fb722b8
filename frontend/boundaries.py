"""Simplified boundaries that draw a usable map when the tile server cannot be reached."""
import json

from django.contrib.gis.db.models.functions import AsGeoJSON, GeomOutputGeoFunc
from django.contrib.gis.geos import Polygon
from django.utils.translation import gettext as _

from geoservices.models import Department, District

from .exceptions import FrontendError

#: Simplification tolerance in degrees (0.01 is about 1.1 km), per level.
TOLERANCE_DEG = {"departments": 0.02, "districts": 0.002}

#: Largest box, in square degrees, for which district outlines are sent at once.
MAX_DISTRICT_BBOX_DEG2 = 4.0

#: Decimal places kept in coordinates (4 is about 11 m).
PRECISION = 4


class SimplifyPreserveTopology(GeomOutputGeoFunc):
    """PostGIS ST_SimplifyPreserveTopology: fewer vertices, no self-intersections."""

    function = "ST_SimplifyPreserveTopology"


def parse_bbox(text: str) -> Polygon:
    """Parse ``minlon,minlat,maxlon,maxlat`` in degrees into a polygon.

    Raises
    ------
    FrontendError
        If the text is not four numbers in order, or the box is too large.
    """
    try:
        min_lon, min_lat, max_lon, max_lat = (float(part) for part in text.split(","))
    except ValueError as exc:
        raise FrontendError(
            _("bbox must be minlon,minlat,maxlon,maxlat in degrees; received %(value)s.") % {"value": text[:80]}
        ) from exc
    if min_lon >= max_lon or min_lat >= max_lat:
        raise FrontendError(_("In bbox the minimum must come before the maximum: %(value)s.") % {"value": text[:80]})
    box = Polygon.from_bbox((min_lon, min_lat, max_lon, max_lat))
    if box.area > MAX_DISTRICT_BBOX_DEG2:
        raise FrontendError(
            _("bbox %(value)s is too large for district outlines; zoom in to at most %(area)s square degrees.")
            % {"value": text[:80], "area": MAX_DISTRICT_BBOX_DEG2}
        )
    return box


def boundary_collection(level: str, bbox: Polygon | None = None) -> dict:
    """Return a GeoJSON FeatureCollection of simplified outlines with ``ubigeo`` and ``name``.

    Parameters
    ----------
    level
        "departments" (all 25) or "districts" (those intersecting ``bbox``).
    bbox
        Required for districts, in EPSG:4326.
    """
    if level == "departments":
        rows = Department.objects.all()
    else:
        rows = District.objects.filter(geom__intersects=bbox)
    shapes = rows.annotate(
        shape=AsGeoJSON(SimplifyPreserveTopology("geom", TOLERANCE_DEG[level]), precision=PRECISION)
    ).values_list("ubigeo", "name", "shape")
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"ubigeo": ubigeo, "name": name}, "geometry": json.loads(shape)}
            for ubigeo, name, shape in shapes
        ],
    }
