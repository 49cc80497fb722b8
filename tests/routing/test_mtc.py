"""Drive graphs from the staged MTC road lines."""
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from scipy.sparse.csgraph import connected_components

from routing import mtc
from routing.graph import one_to_many

ROADS = Path(settings.GEOSALUD["SOURCE_DATA_DIR"]) / "roads_mtc"
AMAZONAS = sorted(ROADS.glob("*/*_amazonas.geojson"))
NATIONAL = sorted((ROADS / "nacional").glob("*.geojson"))


@pytest.fixture(scope="module")
def amazonas():
    return mtc.build_mtc_graph(AMAZONAS)


def test_amazonas_has_three_levels():
    assert [p.parent.name for p in AMAZONAS] == ["departamental", "nacional", "vecinal"]


def test_planned_roads_dropped(amazonas):
    lines = mtc.read_lines(AMAZONAS)
    _, report = amazonas
    assert report.planned_dropped == int((lines["superficie"] == mtc.PLANNED_SURFACE).sum())
    assert report.planned_dropped > 0


def test_graph_is_one_connected_piece(amazonas):
    graph, report = amazonas
    n_components, _ = connected_components(graph.adjacency, directed=True, connection="strong")
    assert n_components == 1
    assert 0 < report.connected_node_share <= 1
    assert 0 < report.connected_length_share <= 1


def test_snapping_joins_lines(amazonas, monkeypatch):
    _, snapped = amazonas
    monkeypatch.setattr(mtc, "SNAP_TOLERANCE_M", 0.0)
    _, unsnapped = mtc.build_mtc_graph(AMAZONAS)
    assert snapped.snapped_ends > unsnapped.snapped_ends
    assert snapped.components < unsnapped.components
    assert snapped.connected_length_share > unsnapped.connected_length_share


def test_edge_speeds_follow_surface(amazonas):
    graph, _ = amazonas
    speed_kph = graph.length_m / graph.adjacency.data * 3.6
    allowed = sorted(set(mtc.SURFACE_SPEED_KPH.values()) | {mtc.UNKNOWN_SURFACE_SPEED_KPH})
    # Edges shorter than a centimetre carry the one-microsecond floor instead of a speed.
    long_enough = graph.length_m > 0.01
    assert np.all(np.isin(np.round(speed_kph[long_enough], 6), allowed))


def test_national_network_mostly_connected():
    # Measured when this test was written: 94 % of the national road length at 50 m.
    graph, report = mtc.build_mtc_graph(NATIONAL)
    assert report.connected_length_share > 0.9
    times, _ = one_to_many(graph, 0, np.arange(0, graph.n_nodes, 5000))
    assert np.all(np.isfinite(times))
