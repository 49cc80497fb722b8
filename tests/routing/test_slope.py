"""Slope-aware walking on the Cusco graph with the staged elevation grid."""
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings

from routing import parameters, services
from routing.elevation import ElevationGrid, edge_grades, tobler_ratio, walk_speed_kph
from routing.models import RoadRegion
from routing.rasters import read_elevation_grid

DEM = Path(settings.GEOSALUD["SOURCE_DATA_DIR"]) / "elevation" / "cusco_dem_from_contours_30m.tif"


def test_tobler_ratio_shape():
    assert tobler_ratio(0.0) == pytest.approx(1.0)
    # Fastest on a 5 % descent, and a climb is slower than the same descent.
    assert tobler_ratio(-0.05) == pytest.approx(np.exp(3.5 * 0.05))
    assert tobler_ratio(0.10) < tobler_ratio(-0.10)
    assert tobler_ratio(0.30) < tobler_ratio(0.10)


def test_unknown_grade_walks_level():
    assert walk_speed_kph(np.nan) == pytest.approx(parameters.WALK_SPEED_KPH)


def test_steep_grade_clipped():
    assert walk_speed_kph(5.0) == pytest.approx(walk_speed_kph(parameters.MAX_WALK_GRADE))


def test_grid_sample_at_cell_centres():
    grid = ElevationGrid(
        values=np.array([[3000.0, 3010.0, np.nan], [3020.0, 3030.0, 3040.0]]),
        origin_lon=-72.0, origin_lat=-13.0, pixel_lon=0.001, pixel_lat=-0.001, source_sha256="",
    )
    assert grid.sample(-71.9995, -13.0005) == pytest.approx(3000.0)
    assert grid.sample(-71.9990, -13.0005) == pytest.approx(3005.0)  # halfway between two centres
    assert grid.sample(-71.9990, -13.0010) == pytest.approx(3015.0)  # between four centres
    assert np.isnan(grid.sample(-71.9980, -13.0005))  # next to the unknown cell
    assert np.isnan(grid.sample(-73.0, -13.0005))  # outside


def test_cusco_dem_reads_plaza_de_armas():
    grid = read_elevation_grid(DEM)
    # The Plaza de Armas of Cusco lies at about 3,400 m.
    assert 3300 < grid.sample(-71.9786, -13.5167) < 3500


@pytest.mark.django_db
def test_cusco_walk_edges_follow_tobler():
    region = RoadRegion.objects.get(slug="cusco-centro")
    graph = services.load_graph(region.graph_files["walk"])
    assert graph.meta["elevation_sha256"] is not None
    grid = read_elevation_grid(DEM)

    coo = graph.adjacency.tocoo()
    tail, head = coo.row, coo.col
    # length_m is aligned with the CSR data, which tocoo() keeps in order.
    length_m = graph.length_m
    grade = edge_grades(
        grid, graph.node_lon[tail], graph.node_lat[tail], graph.node_lon[head], graph.node_lat[head], length_m
    )
    expected_s = np.maximum(length_m / (walk_speed_kph(grade) / 3.6), 1e-6)
    np.testing.assert_allclose(coo.data, expected_s, rtol=1e-9)

    steep = np.flatnonzero((grade > 0.08) & (length_m > 20))
    assert len(steep) > 100
    reverse = np.asarray(graph.adjacency[head[steep], tail[steep]]).ravel()
    assert np.all(coo.data[steep] > reverse)
