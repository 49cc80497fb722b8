"""Read elevation rasters with GeoDjango's GDAL bindings for the pure routing code."""
from pathlib import Path

import numpy as np
from django.contrib.gis.gdal import GDALException, GDALRaster

from .build import file_sha256
from .elevation import ElevationGrid
from .exceptions import GraphBuildError


def read_elevation_grid(path: Path) -> ElevationGrid:
    """Read the first band of a north-up EPSG:4326 raster as an :class:`ElevationGrid`.

    Raises
    ------
    GraphBuildError
        If the file cannot be read, is not in EPSG:4326 or is rotated.
    """
    try:
        raster = GDALRaster(str(path))
    except GDALException as exc:
        msg = f"Cannot read the elevation raster {path}: {exc}. Give a GeoTIFF in EPSG:4326."
        raise GraphBuildError(msg) from exc
    if raster.srs is None or raster.srs.srid != 4326:
        msg = f"The elevation raster {path} is not in EPSG:4326; reproject it (gdalwarp -t_srs EPSG:4326) first."
        raise GraphBuildError(msg)
    if raster.skew.x or raster.skew.y:
        msg = f"The elevation raster {path} is rotated; warp it to a north-up grid first."
        raise GraphBuildError(msg)

    band = raster.bands[0]
    values = np.asarray(band.data(), dtype=float)
    if band.nodata_value is not None:
        values[values == band.nodata_value] = np.nan
    return ElevationGrid(
        values=values,
        origin_lon=raster.origin.x,
        origin_lat=raster.origin.y,
        pixel_lon=raster.scale.x,
        pixel_lat=raster.scale.y,
        source_sha256=file_sha256(path),
    )


def uploaded_elevation_path(graph_dir: Path, slug: str) -> Path:
    """Return where the elevation grid an admin loaded for a road region is kept.

    ``build_graphs`` (and the build of uploaded extracts) uses this grid for
    the region's walking graph when the file exists, in place of any staged grid.
    """
    return Path(graph_dir) / "elevation" / f"{slug}.tif"
