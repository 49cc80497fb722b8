"""Elevation grids loaded by an admin for a road region."""
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.gis.gdal import GDALRaster
from django.core.management import call_command
from django.core.management.base import CommandError

from routing.graph import read_meta
from routing.rasters import read_elevation_grid, uploaded_elevation_path

pytestmark = pytest.mark.django_db

CUSCO_DEM = Path(settings.GEOSALUD["SOURCE_DATA_DIR"]) / "elevation" / "cusco_dem_from_contours_30m.tif"
GRAPH_DIR = Path(settings.GEOSALUD["GRAPH_DIR"])


@pytest.fixture
def cusco_upload():
    target = uploaded_elevation_path(GRAPH_DIR, "cusco-centro")
    assert not target.exists(), f"{target} was left by another run; remove it first"
    yield target
    target.unlink(missing_ok=True)


def test_grid_of_other_place_rejected():
    with pytest.raises(CommandError, match="covers 0.0% of the walking nodes of lima-sjl-canto-grande"):
        call_command("load_elevation", str(CUSCO_DEM), region="lima-sjl-canto-grande", stdout=StringIO())
    assert not uploaded_elevation_path(GRAPH_DIR, "lima-sjl-canto-grande").exists()


def test_projected_grid_rejected(tmp_path):
    path = tmp_path / "utm.tif"
    GDALRaster({
        "driver": "GTiff", "name": str(path), "srid": 32718, "width": 4, "height": 4,
        "origin": [820_000, 8_500_000], "scale": [30, -30], "bands": [{"data": list(range(16))}],
    })
    with pytest.raises(CommandError, match="not in EPSG:4326"):
        call_command("load_elevation", str(path), region="cusco-centro", stdout=StringIO())


def test_mtc_region_rejected():
    with pytest.raises(CommandError, match="walked without slope"):
        call_command("load_elevation", str(CUSCO_DEM), region="peru-mtc", stdout=StringIO())


def test_unknown_region_rejected():
    with pytest.raises(CommandError, match="Unknown road region 'atlantis'"):
        call_command("load_elevation", str(CUSCO_DEM), region="atlantis", stdout=StringIO())


def test_dry_run_changes_nothing(cusco_upload):
    out = StringIO()
    call_command("load_elevation", str(CUSCO_DEM), region="cusco-centro", dry_run=True, stdout=out)
    assert "Dry run" in out.getvalue()
    assert not cusco_upload.exists()


def test_loaded_grid_used_by_build(cusco_upload):
    out = StringIO()
    call_command("load_elevation", str(CUSCO_DEM), region="cusco-centro", stdout=out)
    assert cusco_upload.read_bytes() == CUSCO_DEM.read_bytes()
    # The same grid as the staged one, so the graphs stay current and are reused.
    assert "cusco-centro walk: reused" in out.getvalue()
    meta = read_meta(GRAPH_DIR / "cusco-centro_walk.npz")
    assert meta["elevation_sha256"] == read_elevation_grid(cusco_upload).source_sha256


def test_build_prefers_loaded_grid(tmp_path):
    from routing.management.commands.build_graphs import _elevation_grid
    from routing.regions import STAGED_REGIONS

    sjl = next(r for r in STAGED_REGIONS if r.slug == "lima-sjl-canto-grande")
    source_dir = Path(settings.GEOSALUD["SOURCE_DATA_DIR"])
    assert _elevation_grid(sjl, source_dir, tmp_path) is None

    loaded = uploaded_elevation_path(tmp_path, sjl.slug)
    loaded.parent.mkdir()
    loaded.write_bytes(CUSCO_DEM.read_bytes())
    grid = _elevation_grid(sjl, source_dir, tmp_path)
    assert grid is not None
    assert grid.source_sha256 == read_elevation_grid(CUSCO_DEM).source_sha256
