"""Read a boundary layer (shapefile, GeoJSON or GeoPackage) into EPSG:4326 polygons.

The reader finds the layer among the unpacked files, takes its CRS from the
``.prj`` (or the GeoPackage / GeoJSON metadata), takes the ``.dbf`` encoding
from the ``.cpg`` or detects it, and checks that the layer contains polygons.
Invalid polygons are repaired with ``shapely.make_valid`` and each repair is
reported; Z coordinates are dropped and reported.
"""
from __future__ import annotations

import codecs
import logging
import struct
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError
from django.utils.translation import gettext as _

from .errors import reject

logger = logging.getLogger(__name__)

SHAPEFILE_SUFFIXES = (".shp",)
GEOPACKAGE_SUFFIXES = (".gpkg",)
GEOJSON_SUFFIXES = (".geojson", ".json")

#: Coordinate reference systems used for boundary data in Peru, by EPSG code.
PERU_CRS = {
    4326: "WGS 84",
    32717: "WGS 84 / UTM 17S",
    32718: "WGS 84 / UTM 18S",
    32719: "WGS 84 / UTM 19S",
    4248: "PSAD56",
    24877: "PSAD56 / UTM 17S",
    24878: "PSAD56 / UTM 18S",
    24879: "PSAD56 / UTM 19S",
}

_POLYGON_TYPES = {"Polygon", "MultiPolygon"}


@dataclass
class Layer:
    """A boundary layer read into EPSG:4326, with what was detected and repaired.

    ``frame`` has one row per feature, the source fields as columns and the
    geometry (None where the feature had none). ``feature_numbers`` are the
    1-based positions of the features in the file, for messages.
    """

    file_name: str
    crs_name: str
    encoding: str
    frame: gpd.GeoDataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def fields(self) -> list[str]:
        return [name for name in self.frame.columns if name != "geometry"]


def find_layer_file(files: list[Path], upload_name: str) -> Path:
    """Pick the one layer file among the uploaded or unpacked files."""
    for suffixes in (SHAPEFILE_SUFFIXES, GEOPACKAGE_SUFFIXES, GEOJSON_SUFFIXES):
        matches = [path for path in files if path.suffix.lower() in suffixes]
        if len(matches) > 1:
            names = ", ".join(path.name for path in matches)
            raise reject(_(
                "The upload %(file)s contains several layers (%(names)s). Upload one layer per file."
            ) % {"file": upload_name, "names": names})
        if matches:
            return matches[0]
    found = ", ".join(path.name for path in files) or _("no files")
    raise reject(_(
        "The upload %(file)s contains no boundary layer (found: %(found)s). Upload a zip with a shapefile "
        "(.shp, .shx, .dbf, .prj), a GeoJSON file or a GeoPackage."
    ) % {"file": upload_name, "found": found})


def _sibling(path: Path, suffix: str) -> Path | None:
    for candidate in path.parent.iterdir():
        if candidate.stem == path.stem and candidate.suffix.lower() == suffix:
            return candidate
    return None


def _check_shapefile_parts(path: Path) -> None:
    for suffix, purpose in ((".shx", _("the index of the shapes")), (".dbf", _("the attribute table"))):
        if _sibling(path, suffix) is None:
            raise reject(_(
                "The shapefile %(file)s has no %(suffix)s file (%(purpose)s). "
                "Add %(expected)s to the zip next to the .shp and upload it again."
            ) % {"file": path.name, "suffix": suffix, "purpose": purpose, "expected": path.stem + suffix})


def detect_crs(path: Path, srid: int | None) -> CRS:
    """Return the layer's CRS: ``srid`` when the admin chose one, else the file's own.

    A shapefile's CRS comes from its ``.prj``; GeoPackage and GeoJSON carry
    theirs (GeoJSON without a ``crs`` member is WGS 84 by RFC 7946).
    """
    if srid is not None:
        return _crs_from_srid(srid)
    if path.suffix.lower() in SHAPEFILE_SUFFIXES:
        return _crs_from_prj(path)
    info_crs = pyogrio.read_info(path).get("crs")
    if info_crs:
        return CRS.from_user_input(info_crs)
    if path.suffix.lower() in GEOJSON_SUFFIXES:
        return CRS.from_epsg(4326)
    raise reject(_(
        "The layer %(file)s declares no coordinate reference system. Choose it in the form "
        "(or pass --srid), for example 4326 for WGS 84 or 32718 for UTM zone 18S."
    ) % {"file": path.name})


def _crs_from_srid(srid: int) -> CRS:
    try:
        return CRS.from_epsg(srid)
    except CRSError as exc:
        raise reject(_(
            "%(srid)s is not a known EPSG code. Use one of %(codes)s."
        ) % {"srid": srid, "codes": accepted_crs_text()}) from exc


def _crs_from_prj(path: Path) -> CRS:
    prj = _sibling(path, ".prj")
    if prj is None:
        raise reject(_(
            "The shapefile %(file)s has no .prj file, so its coordinate reference system is unknown. "
            "Add the .prj to the zip, or choose the system in the form (or pass --srid), "
            "for example 4326 for WGS 84 or 32718 for UTM zone 18S."
        ) % {"file": path.name})
    text = prj.read_text(encoding="latin-1").strip()
    try:
        return CRS.from_wkt(text)
    except CRSError as exc:
        raise reject(_(
            "The file %(file)s does not describe a coordinate reference system that can be read "
            "(it starts with %(start)s). Export the layer again with its .prj, or choose the system "
            "in the form (or pass --srid): %(codes)s."
        ) % {"file": prj.name, "start": repr(text[:40]), "codes": accepted_crs_text()}) from exc


def accepted_crs_text() -> str:
    """Return the usual Peruvian CRS as "code (name)" items for messages."""
    return ", ".join(f"{code} ({name})" for code, name in PERU_CRS.items())


def crs_label(crs: CRS) -> str:
    """Return "EPSG:code name" for a CRS, or its name when it has no EPSG code."""
    code = crs.to_epsg(min_confidence=70)
    return f"EPSG:{code} {crs.name}" if code else crs.name


def normalise_encoding(label: str, file_name: str) -> str:
    """Turn a ``.cpg`` label (``UTF-8``, ``1252``, ``8859_1``...) into a Python codec name."""
    value = label.strip().upper().replace("ISO-", "ISO").replace("ISO_", "ISO")
    if value.isdigit():
        value = f"cp{value}"
    elif value.startswith("8859_") or value.startswith("ISO8859"):
        value = "iso8859-" + value.rsplit("_", 1)[-1].rsplit("-", 1)[-1].replace("ISO8859", "")
    try:
        return codecs.lookup(value).name
    except LookupError as exc:
        raise reject(_(
            "The file %(file)s names the text encoding %(value)s, which is not known. "
            "Write UTF-8 or 1252 in it, or remove it so that the encoding is detected."
        ) % {"file": file_name, "value": repr(label.strip())}) from exc


def _dbf_records(dbf: Path) -> list[bytes]:
    data = dbf.read_bytes()
    count, header_length, record_length = struct.unpack("<IHH", data[4:12])
    body = data[header_length:header_length + count * record_length]
    return [body[start:start + record_length] for start in range(0, len(body), record_length)]


def _first_non_utf8_record(dbf: Path) -> tuple[int, bytes] | None:
    for number, record in enumerate(_dbf_records(dbf), start=1):
        try:
            record.decode("utf-8")
        except UnicodeDecodeError:
            return number, record
    return None


def detect_encoding(path: Path) -> str:
    """Return the codec of a shapefile's ``.dbf``: the ``.cpg`` one, else UTF-8 or Windows-1252.

    Without a ``.cpg``, a table that decodes as UTF-8 is read as UTF-8, and
    any other as Windows-1252, the Latin-1 superset that Peruvian offices'
    Windows tools write. A ``.cpg`` that says UTF-8 over a table that is not
    UTF-8 is rejected, since the names would be stored garbled.
    """
    dbf = _sibling(path, ".dbf")
    cpg = _sibling(path, ".cpg")
    bad_record = _first_non_utf8_record(dbf)
    if cpg is None:
        return "utf-8" if bad_record is None else "cp1252"

    encoding = normalise_encoding(cpg.read_text(encoding="latin-1"), cpg.name)
    if encoding == "utf-8" and bad_record is not None:
        number, record = bad_record
        raise reject(_(
            "The file %(cpg)s says the table %(dbf)s is UTF-8, but record %(number)d is not UTF-8 "
            "(%(text)s). Write 1252 in %(cpg)s if the table comes from a Windows tool, "
            "or remove %(cpg)s so that the encoding is detected."
        ) % {
            "cpg": cpg.name,
            "dbf": dbf.name,
            "number": number,
            "text": repr(record.decode("cp1252", errors="replace").strip()[:60]),
        })
    return encoding


def read_layer(path: Path, *, srid: int | None = None, encoding: str | None = None, layer: str | None = None) -> Layer:
    """Read a boundary layer, reproject it to EPSG:4326 and check its geometries.

    Parameters
    ----------
    path
        The ``.shp``, ``.gpkg`` or ``.geojson`` file, with its sidecar files beside it.
    srid
        EPSG code chosen by the admin, which overrides the file's CRS.
    encoding
        Codec chosen by the admin for the ``.dbf``, which overrides the ``.cpg``.
    layer
        Layer name inside a GeoPackage with several layers.
    """
    is_shapefile = path.suffix.lower() in SHAPEFILE_SUFFIXES
    if is_shapefile:
        _check_shapefile_parts(path)
        encoding = normalise_encoding(encoding, path.name) if encoding else detect_encoding(path)
    crs = detect_crs(path, srid)
    layer = layer or _only_layer(path)

    try:
        frame = pyogrio.read_dataframe(path, layer=layer, encoding=encoding if is_shapefile else None)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise reject(_(
            "The layer %(file)s cannot be read (%(error)s). Export it again from the GIS tool."
        ) % {"file": path.name, "error": exc}) from exc

    if frame.empty:
        raise reject(_(
            "The layer %(file)s has no features. Check that the right layer was exported."
        ) % {"file": path.name})

    notes: list[str] = []
    frame = _check_geometry_types(frame, path.name, notes)
    frame = frame.set_crs(crs, allow_override=True).to_crs(4326)
    _check_metres_as_degrees(frame, path.name, crs)
    frame = _repair(frame, path.name, notes)
    logger.info("Read %d features from %s in %s", len(frame), path.name, crs_label(crs))
    return Layer(file_name=path.name, crs_name=crs_label(crs), encoding=encoding or "utf-8", frame=frame, notes=notes)


def _only_layer(path: Path) -> str | None:
    if path.suffix.lower() not in GEOPACKAGE_SUFFIXES:
        return None
    names = [str(row[0]) for row in pyogrio.list_layers(path)]
    if len(names) > 1:
        raise reject(_(
            "The GeoPackage %(file)s has several layers (%(names)s). Choose one in the form (or pass --layer)."
        ) % {"file": path.name, "names": ", ".join(names)})
    return names[0] if names else None


def _check_geometry_types(frame: gpd.GeoDataFrame, file_name: str, notes: list[str]) -> gpd.GeoDataFrame:
    present = frame.geometry.dropna()
    types = set(present.geom_type)
    wrong = sorted(types - _POLYGON_TYPES)
    if wrong:
        raise reject(_(
            "The layer %(file)s contains %(types)s geometries, but boundaries must be polygons. "
            "Export the boundary (polygon) layer, not points or lines."
        ) % {"file": file_name, "types": ", ".join(wrong)})

    with_z = int(present.has_z.sum())
    if with_z:
        frame = frame.set_geometry(shapely.force_2d(frame.geometry.values), crs=frame.crs)
        notes.append(_(
            "%(count)d features of %(file)s had Z (height) coordinates; the heights were dropped."
        ) % {"count": with_z, "file": file_name})
    return frame


def _check_metres_as_degrees(frame: gpd.GeoDataFrame, file_name: str, crs: CRS) -> None:
    min_x, min_y, max_x, max_y = frame.total_bounds
    if max(abs(min_x), abs(max_x)) > 180 or max(abs(min_y), abs(max_y)) > 90:
        raise reject(_(
            "The coordinates of %(file)s do not fit its coordinate reference system %(crs)s "
            "(they look like metres read as degrees). The .prj is probably wrong: choose the real "
            "system in the form (or pass --srid), for example 32718 for UTM zone 18S."
        ) % {"file": file_name, "crs": crs_label(crs)})


def _repair(frame: gpd.GeoDataFrame, file_name: str, notes: list[str]) -> gpd.GeoDataFrame:
    geometries = list(frame.geometry.values)
    for index, geometry in enumerate(geometries):
        if geometry is None or geometry.is_empty or geometry.is_valid:
            continue
        reason = shapely.is_valid_reason(geometry)
        repaired = _polygonal_part(shapely.make_valid(geometry))
        geometries[index] = repaired
        notes.append(_(
            "Feature %(number)d of %(file)s was an invalid polygon (%(reason)s). It was repaired; "
            "check its outline on the map preview."
        ) % {"number": index + 1, "file": file_name, "reason": reason})
    return frame.set_geometry(gpd.GeoSeries(geometries, index=frame.index, crs=frame.crs))


def _polygonal_part(geometry):
    """Keep the polygons of a repaired geometry; make_valid may add stray lines or points."""
    if geometry.geom_type in _POLYGON_TYPES:
        return geometry
    parts = [part for part in getattr(geometry, "geoms", []) if part.geom_type in _POLYGON_TYPES]
    return shapely.union_all(parts) if parts else None

